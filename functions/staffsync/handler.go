package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/redress-grm/redress/shared/directory"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/store"
)

// Cognito is the part of the user-pool API the sync reads.
type Cognito interface {
	ListUsers(ctx context.Context, in *cip.ListUsersInput, opts ...func(*cip.Options)) (*cip.ListUsersOutput, error)
	ListGroups(ctx context.Context, in *cip.ListGroupsInput, opts ...func(*cip.Options)) (*cip.ListGroupsOutput, error)
	ListUsersInGroup(ctx context.Context, in *cip.ListUsersInGroupInput, opts ...func(*cip.Options)) (*cip.ListUsersInGroupOutput, error)
}

var _ Cognito = (*cip.Client)(nil)

// Store is what the sync needs from the directory; *store.Store
// implements it.
type Store interface {
	Users(ctx context.Context) ([]*grievance.Person, error)
	UpsertPeople(ctx context.Context, people []grievance.Person) error
}

var _ Store = (*store.Store)(nil)

type configSource interface {
	Config(ctx context.Context) (*grievance.Config, error)
}

// Handler keeps the directory's staff users in step with the user pool.
// Any event runs a full sync: the schedule's, or an on-demand invocation
// (`aws lambda invoke`, `go run ./infra/local people sync`) with any
// payload.
type Handler struct {
	Cognito Cognito
	PoolID  string
	Store   Store
	Config  configSource
	Log     *slog.Logger
}

// Result is the function's response and log line.
type Result struct {
	PoolUsers int `json:"poolUsers"`
	directory.StaffCounts
}

// Handle reads the pool (users, then each group's members: one request
// per 60 users and per group, rather than one per user) and stores the
// staff records that changed.
func (h *Handler) Handle(ctx context.Context, _ json.RawMessage) (Result, error) {
	cfg, err := h.Config.Config(ctx)
	if err != nil {
		return Result{}, err
	}
	pool, err := h.readPool(ctx)
	if err != nil {
		return Result{}, err
	}
	current, err := h.Store.Users(ctx)
	if err != nil {
		return Result{}, err
	}
	changes, counts := directory.PlanStaffSync(pool, current, cfg.GroupRoles)
	if err := h.Store.UpsertPeople(ctx, changes); err != nil {
		return Result{}, err
	}
	res := Result{PoolUsers: len(pool), StaffCounts: counts}
	h.Log.Info("staff sync", "poolUsers", res.PoolUsers, "created", counts.Created, "updated", counts.Updated,
		"unchanged", counts.Unchanged, "deactivated", counts.Deactivated)
	return res, nil
}

func (h *Handler) readPool(ctx context.Context) ([]directory.PoolUser, error) {
	var users []directory.PoolUser
	index := map[string]int{} // username → users index
	var token *string
	for {
		out, err := h.Cognito.ListUsers(ctx, &cip.ListUsersInput{UserPoolId: aws.String(h.PoolID), PaginationToken: token})
		if err != nil {
			return nil, fmt.Errorf("list users of the pool: %w", err)
		}
		for _, u := range out.Users {
			pu := directory.PoolUser{Username: aws.ToString(u.Username), Enabled: u.Enabled}
			for _, a := range u.Attributes {
				switch aws.ToString(a.Name) {
				case "sub":
					pu.Sub = aws.ToString(a.Value)
				case "given_name":
					pu.GivenName = aws.ToString(a.Value)
				case "family_name":
					pu.FamilyName = aws.ToString(a.Value)
				}
			}
			index[pu.Username] = len(users)
			users = append(users, pu)
		}
		if token = out.PaginationToken; token == nil || *token == "" {
			break
		}
	}
	var next *string
	for {
		out, err := h.Cognito.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: aws.String(h.PoolID), NextToken: next})
		if err != nil {
			return nil, fmt.Errorf("list groups of the pool: %w", err)
		}
		for _, g := range out.Groups {
			if err := h.members(ctx, aws.ToString(g.GroupName), users, index); err != nil {
				return nil, err
			}
		}
		if next = out.NextToken; next == nil || *next == "" {
			break
		}
	}
	return users, nil
}

func (h *Handler) members(ctx context.Context, group string, users []directory.PoolUser, index map[string]int) error {
	var next *string
	for {
		out, err := h.Cognito.ListUsersInGroup(ctx, &cip.ListUsersInGroupInput{UserPoolId: aws.String(h.PoolID), GroupName: aws.String(group), NextToken: next})
		if err != nil {
			return fmt.Errorf("list members of group %s: %w", group, err)
		}
		for _, u := range out.Users {
			// A user created between the two reads is picked up next time.
			if i, ok := index[aws.ToString(u.Username)]; ok {
				users[i].Groups = append(users[i].Groups, group)
			}
		}
		if next = out.NextToken; next == nil || *next == "" {
			return nil
		}
	}
}
