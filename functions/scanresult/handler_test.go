package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// The fixtures name ticket …0001, attachment …0101, in this bucket.
const (
	fixtureBucket = "redress-attachments-example"
	ticketID      = "00000000-0000-4000-8000-000000000001"
	attachmentID  = "00000000-0000-4000-8000-000000000101"
	objectKey     = "attachments/" + ticketID + "/" + attachmentID
)

type fakeQuarantine struct {
	moved map[string]string
}

func (f *fakeQuarantine) Quarantine(ctx context.Context, key, dest string) error {
	f.moved[key] = dest
	return nil
}

func (f *fakeQuarantine) Retire(ctx context.Context, key, dest string) error {
	f.moved[key] = dest
	return nil
}

func fixture(t *testing.T, name string, edit func(*ScanResult)) events.EventBridgeEvent {
	t.Helper()
	b, err := os.ReadFile("../../events/guardduty/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		var d ScanResult
		if err := json.Unmarshal(ev.Detail, &d); err != nil {
			t.Fatal(err)
		}
		edit(&d)
		ev.Detail, _ = json.Marshal(d)
	}
	return ev
}

func TestHandleAppliesGuardDutyScanResults(t *testing.T) {
	for _, tc := range []struct {
		name        string
		event       string
		edit        func(*ScanResult)
		pending     bool // a pending upload exists for the key
		deleted     bool // and it was deleted before its file was scanned
		want        grievance.AttachmentStatus
		quarantined bool
	}{
		{"clean file becomes an attachment", "scan-clean.json", nil, true, false, grievance.AttachmentClean, false},
		{"file of an upload deleted meanwhile goes to deleted/", "scan-clean.json", nil, true, true, grievance.AttachmentDeleted, false},
		{"infected file is marked and quarantined", "scan-infected.json", nil, true, false, grievance.AttachmentInfected, true},
		{"failed scan fails closed", "scan-clean.json", func(d *ScanResult) {
			d.ScanStatus, d.ScanResultDetails.ScanResultStatus = "FAILED", "FAILED"
		}, true, false, grievance.AttachmentInfected, true},
		{"unsupported object fails closed", "scan-clean.json", func(d *ScanResult) {
			d.ScanResultDetails.ScanResultStatus = "UNSUPPORTED"
		}, true, false, grievance.AttachmentInfected, true},
		{"object of no pending upload is quarantined", "scan-clean.json", nil, false, false, "", true},
		{"another bucket's result is dropped", "scan-infected.json", func(d *ScanResult) {
			d.S3ObjectDetails.BucketName = "someone-else"
		}, true, false, grievance.AttachmentPending, false},
		{"a key outside attachments/ is dropped", "scan-infected.json", func(d *ScanResult) {
			d.S3ObjectDetails.ObjectKey = "quarantine/" + ticketID + "/" + attachmentID
		}, true, false, grievance.AttachmentPending, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := grievancetest.NewStore()
			now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
			st.SeedTicket(&grievance.Ticket{ID: ticketID, Version: 1, Status: grievance.StatusOpen, Category: "Default",
				DateCreated: now, DateUpdated: now, DateValidFrom: now, UserCreated: "u", UserUpdated: "u"})
			if tc.pending {
				a := &grievance.Attachment{ID: attachmentID, TicketID: ticketID, Version: 1, FileName: "secret-name.pdf",
					ContentType: "application/pdf", Size: 68, Status: grievance.AttachmentPending, UploadedBy: "u",
					DateCreated: now, DateUpdated: now, UserUpdated: "u"}
				if err := st.Commit(context.Background(), &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: a}}}); err != nil {
					t.Fatal(err)
				}
				if tc.deleted {
					d := a.Clone()
					d.Version, d.Status = 2, grievance.AttachmentDeleted
					if err := st.Commit(context.Background(), &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: d, Prev: 1}}}); err != nil {
						t.Fatal(err)
					}
				}
			}
			svc := grievance.NewService(st, func() time.Time { return now }, grievancetest.IDs(),
				grievance.Options{Attachments: st, Files: &grievancetest.Files{}})
			q := &fakeQuarantine{moved: map[string]string{}}
			var logs bytes.Buffer
			h := &Handler{Scans: svc, Files: q, Bucket: fixtureBucket, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			for range 2 { // EventBridge delivers at least once
				if err := h.Handle(context.Background(), fixture(t, tc.event, tc.edit)); err != nil {
					t.Fatalf("handle: %v", err)
				}
			}
			if tc.want != "" {
				a, err := st.Attachment(context.Background(), attachmentID)
				if err != nil || a.Status != tc.want {
					t.Fatalf("attachment %+v, %v; want %s", a, err, tc.want)
				}
			}
			if got := q.moved[objectKey] == "quarantine/"+ticketID+"/"+attachmentID; got != tc.quarantined {
				t.Errorf("quarantined %v (%v), want %v", got, q.moved, tc.quarantined)
			}
			if retired := q.moved[objectKey] == "deleted/"+ticketID+"/"+attachmentID; retired != tc.deleted {
				t.Errorf("moved to deleted/ %v (%v), want %v", retired, q.moved, tc.deleted)
			}
			tk, _ := st.Ticket(context.Background(), ticketID)
			if wantIDs := tc.want == grievance.AttachmentClean; (len(tk.AttachmentIDs) == 1) != wantIDs || (tk.Version == 2) != wantIDs {
				t.Errorf("ticket version %d, attachments %v; a ticket version only for a clean file", tk.Version, tk.AttachmentIDs)
			}
			if strings.Contains(logs.String(), "secret-name") {
				t.Errorf("a file name reached the logs: %s", logs.String())
			}
		})
	}
}

func TestHandleReturnsStoreFailuresForRetry(t *testing.T) {
	st := grievancetest.NewStore()
	st.Fail = func(op string) error { return errors.New("dynamodb down") }
	svc := grievance.NewService(st, time.Now, grievancetest.IDs(), grievance.Options{Attachments: st, Files: &grievancetest.Files{}})
	h := &Handler{Scans: svc, Files: &fakeQuarantine{moved: map[string]string{}}, Bucket: fixtureBucket, Log: slog.New(slog.DiscardHandler)}
	if err := h.Handle(context.Background(), fixture(t, "scan-clean.json", nil)); err == nil {
		t.Fatal("a store failure was swallowed; the event would be lost instead of retried")
	}
}
