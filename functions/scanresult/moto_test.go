package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/uuid"

	"github.com/redress-grm/redress/infra/local/bootstrap"
	"github.com/redress-grm/redress/infra/local/moto"
	"github.com/redress-grm/redress/shared/files"
	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/platform"
	"github.com/redress-grm/redress/shared/store"
)

func TestMain(m *testing.M) { os.Exit(moto.Main(m)) }

// Ensure the function does its work against DynamoDB and S3 (moto), as
// main.go wires it, with its calls recorded as scanresult's: a clean file
// joins its ticket, an infected one moves to quarantine/ (also when the
// result comes again), the file of an attachment deleted before its scan
// moves to deleted/.
func TestHandleAgainstMoto(t *testing.T) {
	ctx := context.Background()
	cfg, err := moto.AWSConfig(ctx, moto.ForTest(t).Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	names, err := bootstrap.CreateTables(ctx, dynamodb.NewFromConfig(cfg), fmt.Sprintf("scan%d-", os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	bucket := fmt.Sprintf("scan-%d", os.Getpid())
	if err := bootstrap.CreateBucket(ctx, cfg, bucket); err != nil {
		t.Fatal(err)
	}
	t.Setenv(platform.EnvBucket, bucket)
	fnCfg := cfg
	platform.RecordCalls(&fnCfg, "scanresult", names, "")
	st := store.New(fnCfg, names)
	b := files.New(fnCfg, bucket, "")
	h := &Handler{Scans: grievance.NewService(st, time.Now, uuid.NewString, grievance.Options{Attachments: st, Files: b}),
		Files: b, Bucket: bucket, Log: slog.New(slog.DiscardHandler)}

	// Set up behind the function's back.
	db := store.New(cfg, names)
	direct := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	now := time.Now().UTC()
	tk := &grievance.Ticket{ID: uuid.NewString(), Version: 1, Status: grievance.StatusOpen, Category: "Default",
		DateCreated: now, DateUpdated: now, DateValidFrom: now, UserCreated: "u", UserUpdated: "u"}
	if err := db.Commit(ctx, &grievance.Write{NewTicket: tk}); err != nil {
		t.Fatal(err)
	}
	pending := func(status grievance.AttachmentStatus) *grievance.Attachment {
		a := &grievance.Attachment{ID: uuid.NewString(), TicketID: tk.ID, Version: 1, FileName: "f.pdf", ContentType: "application/pdf",
			Size: 4, Status: grievance.AttachmentPending, UploadedBy: "u", DateCreated: now, DateUpdated: now, UserUpdated: "u"}
		w := &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: a}}}
		if err := db.Commit(ctx, w); err != nil {
			t.Fatal(err)
		}
		if status != grievance.AttachmentPending {
			d := a.Clone()
			d.Version, d.Status = 2, status
			if err := db.Commit(ctx, &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: d, Prev: 1}}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := direct.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(a.ObjectKey()), Body: strings.NewReader("data")}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	clean, infected, deleted := pending(grievance.AttachmentPending), pending(grievance.AttachmentPending), pending(grievance.AttachmentDeleted)
	event := func(a *grievance.Attachment, result string) events.EventBridgeEvent {
		return fixture(t, "scan-clean.json", func(d *ScanResult) {
			d.S3ObjectDetails.BucketName, d.S3ObjectDetails.ObjectKey = bucket, a.ObjectKey()
			d.ScanResultDetails.ScanResultStatus = result
		})
	}
	for _, ev := range []events.EventBridgeEvent{
		event(clean, "NO_THREATS_FOUND"), event(infected, "THREATS_FOUND"), event(infected, "THREATS_FOUND"), event(deleted, "NO_THREATS_FOUND"),
	} {
		if err := h.Handle(ctx, ev); err != nil {
			t.Fatalf("handle: %v", err)
		}
	}

	exists := func(key string) bool {
		_, err := direct.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err == nil
	}
	if a, _ := db.Attachment(ctx, clean.ID); a.Status != grievance.AttachmentClean || !exists(clean.ObjectKey()) {
		t.Errorf("clean attachment %+v", a)
	}
	if got, _ := db.Ticket(ctx, tk.ID); len(got.AttachmentIDs) != 1 || got.AttachmentIDs[0] != clean.ID {
		t.Errorf("ticket attachments %v, want the clean one", got.AttachmentIDs)
	}
	if a, _ := db.Attachment(ctx, infected.ID); a.Status != grievance.AttachmentInfected || exists(infected.ObjectKey()) ||
		!exists(grievance.QuarantineKey(tk.ID, infected.ID)) {
		t.Errorf("infected attachment %+v not quarantined", a)
	}
	if exists(deleted.ObjectKey()) || !exists(grievance.DeletedKey(tk.ID, deleted.ID)) {
		t.Errorf("the file of the attachment deleted before its scan is not in deleted/")
	}
}
