package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
// moves to deleted/, a clean result naming no version fails closed, and
// other bytes posted later under a clean attachment's key leave the
// uploads while its download still serves the scanned bytes.
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
	versions := map[string]string{} // attachment id -> the version its file was stored as
	put := func(a *grievance.Attachment, body string) string {
		out, err := direct.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(a.ObjectKey()), Body: strings.NewReader(body)})
		if err != nil || aws.ToString(out.VersionId) == "" {
			t.Fatalf("put %s: %v, version %q (the bucket must be versioned)", a.ID, err, aws.ToString(out.VersionId))
		}
		return aws.ToString(out.VersionId)
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
		versions[a.ID] = put(a, "data")
		return a
	}
	clean, infected, deleted := pending(grievance.AttachmentPending), pending(grievance.AttachmentPending), pending(grievance.AttachmentDeleted)
	unpinned := pending(grievance.AttachmentPending)
	event := func(a *grievance.Attachment, version, result string) events.EventBridgeEvent {
		return fixture(t, "scan-clean.json", func(d *ScanResult) {
			d.S3ObjectDetails.BucketName, d.S3ObjectDetails.ObjectKey = bucket, a.ObjectKey()
			d.S3ObjectDetails.VersionID = version
			d.ScanResultDetails.ScanResultStatus = result
		})
	}
	handle := func(evs ...events.EventBridgeEvent) {
		t.Helper()
		for _, ev := range evs {
			if err := h.Handle(ctx, ev); err != nil {
				t.Fatalf("handle: %v", err)
			}
		}
	}
	handle(event(clean, versions[clean.ID], "NO_THREATS_FOUND"), event(infected, versions[infected.ID], "THREATS_FOUND"),
		event(infected, versions[infected.ID], "THREATS_FOUND"), event(deleted, versions[deleted.ID], "NO_THREATS_FOUND"),
		event(unpinned, "", "NO_THREATS_FOUND"))
	// The clean attachment's form, used again: other bytes, found infected.
	swapped := put(clean, "evil")
	handle(event(clean, swapped, "THREATS_FOUND"), event(clean, swapped, "THREATS_FOUND"))

	exists := func(key string) bool {
		_, err := direct.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err == nil
	}
	body := func(key, version string) string {
		in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
		if version != "" {
			in.VersionId = aws.String(version)
		}
		out, err := direct.GetObject(ctx, in)
		if err != nil {
			return "error: " + err.Error()
		}
		defer out.Body.Close()
		b, _ := io.ReadAll(out.Body)
		return string(b)
	}
	if a, _ := db.Attachment(ctx, clean.ID); a.Status != grievance.AttachmentClean || a.ObjectVersion != versions[clean.ID] {
		t.Errorf("clean attachment %+v; want CLEAN of version %s after the later upload's result", a, versions[clean.ID])
	}
	if got := body(clean.ObjectKey(), ""); got != "data" {
		t.Errorf("the key's object is %q; want the scanned bytes back once the later upload is quarantined", got)
	}
	if got := body(clean.ObjectKey(), swapped); !strings.HasPrefix(got, "error") {
		t.Errorf("the later upload's version is still under attachments/: %q", got)
	}
	if got := body(grievance.QuarantineKey(tk.ID, clean.ID), ""); got != "evil" {
		t.Errorf("quarantined %q; want the later upload's bytes", got)
	}
	// The download staff get (signed by the API, not this function) names
	// the scanned version.
	url, err := files.New(cfg, bucket, "").PresignDownload(ctx, clean.ObjectKey(), versions[clean.ID], "f.pdf", "application/pdf", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get(url); err != nil {
		t.Fatal(err)
	} else if got, _ := io.ReadAll(resp.Body); resp.Body.Close() != nil || resp.StatusCode != 200 || string(got) != "data" {
		t.Errorf("download: %d %q; want the scanned bytes", resp.StatusCode, got)
	}
	if a, _ := db.Attachment(ctx, unpinned.ID); a.Status != grievance.AttachmentInfected || exists(unpinned.ObjectKey()) {
		t.Errorf("a clean result naming no version: %+v; want INFECTED (fail closed), quarantined", a)
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
