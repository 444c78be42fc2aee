package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

func sub(t *testing.T, c *cip.Client, pool, username string) string {
	t.Helper()
	out, err := c.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: aws.String(pool), Username: aws.String(username)})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out.UserAttributes {
		if aws.ToString(a.Name) == "sub" {
			return aws.ToString(a.Value)
		}
	}
	t.Fatalf("%s has no sub", username)
	return ""
}

// Ensure a user created only in the pool becomes a directory user, and
// assignable, after a sync; disabled and deleted users stay on their
// tickets but cannot be newly assigned.
func TestSync_PoolUsersBecomeAssignableStaff(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("sync%d-", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(cfg, names)
	const seededAlice = "92f6450c-efe8-5899-ae45-671c4543b555"
	if err := st.UpsertPeople(ctx, []grievance.Person{{ID: seededAlice, Type: grievance.PersonUser, Username: "alice", Roles: []string{"1"}}}); err != nil {
		t.Fatal(err)
	}
	pool, err := bootstrap.CreateUserPool(ctx, cfg, fmt.Sprintf("sync-%d", os.Getpid()), []bootstrap.PoolUser{
		{Username: "alice", GivenName: "Alice", FamilyName: "Officer", Groups: []string{"GrievanceOfficer"}},
		{Username: "dave", GivenName: "Dave", FamilyName: "New", Groups: []string{"GrievanceOfficer"}},
		{Username: "erin", GivenName: "Erin", FamilyName: "Viewer", Groups: []string{"GrievanceViewer"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := cip.NewFromConfig(cfg)
	now := func() time.Time { return time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC) }
	newID := func() string { return "00000000-0000-4000-8000-0000000000aa" }
	svc := grievance.NewService(st, now, newID, grievance.Options{})
	// The handler's clients record their calls as staffsync's
	// (REDRESS_CALL_LOG); the test's own go through c, st and svc.
	hcfg := cfg.Copy()
	platform.RecordDirectoryCalls(&hcfg, "staffsync", names, "", "", pool)
	hst := store.New(hcfg, names)
	var logs bytes.Buffer
	h := &Handler{Cognito: cip.NewFromConfig(hcfg), PoolID: pool, Store: hst,
		Config: grievance.NewService(hst, now, newID, grievance.Options{}), Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	assign := func(id string) error {
		admin := grievance.NewContext(ctx, &grievance.Principal{ID: seededAlice, Admin: true})
		cat, title := "Default", "t"
		_, err := svc.CreateTicket(admin, grievance.TicketInput{Category: &cat, Title: &title, AttendingStaffID: &id})
		return err
	}
	dave := sub(t, c, pool, "dave")
	if err := assign(dave); err == nil {
		t.Fatal("a pool user is assignable before any sync")
	}

	res, err := h.Handle(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.PoolUsers != 3 || res.Created != 2 || res.Updated != 1 {
		t.Fatalf("first sync = %+v", res)
	}
	if err := assign(dave); err != nil {
		t.Fatalf("dave after the sync: %v", err)
	}
	people, _ := st.People(ctx, []string{seededAlice, dave})
	if a := people[seededAlice]; a.FirstName != "Alice" || len(a.Roles) != 2 || len(a.Groups) != 1 || a.Groups[0] != "GrievanceOfficer" {
		t.Fatalf("alice keeps her seeded id and gets the pool's names, her group (stored, for her rights) and its roles: %+v", a)
	}

	c.AdminDisableUser(ctx, &cip.AdminDisableUserInput{UserPoolId: aws.String(pool), Username: aws.String("dave")})
	erin := sub(t, c, pool, "erin")
	c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(pool), Username: aws.String("erin")})
	c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(pool), Username: aws.String("frank"), MessageAction: ciptypes.MessageActionTypeSuppress})
	if res, err = h.Handle(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || res.Updated != 1 || res.Deactivated != 1 || res.Unchanged != 1 {
		t.Fatalf("second sync = %+v", res)
	}
	for _, id := range []string{dave, erin} {
		if err := assign(id); grievance.ErrorCode(err) != grievance.CodeInvalid {
			t.Fatalf("disabled or deleted %s assignable: %v", id, err)
		}
	}
	people, _ = st.People(ctx, []string{erin})
	if people[erin] == nil || !people[erin].Inactive {
		t.Fatalf("deleted erin = %+v (kept, inactive)", people[erin])
	}
	if res, _ = h.Handle(ctx, nil); res.Created+res.Updated+res.Deactivated != 0 {
		t.Fatalf("third sync changed %+v", res)
	}
}
