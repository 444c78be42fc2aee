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

// fakeQuarantine records where objects moved: moved by key, versions by
// key and version ("key?versionId=v").
type fakeQuarantine struct {
	moved    map[string]string
	versions map[string]string
}

func (f *fakeQuarantine) move(key, version, dest string) {
	f.moved[key] = dest
	if f.versions != nil {
		f.versions[key+"?versionId="+version] = dest
	}
}

func (f *fakeQuarantine) Quarantine(ctx context.Context, key, version, dest string) error {
	f.move(key, version, dest)
	return nil
}

func (f *fakeQuarantine) RetireVersion(ctx context.Context, key, version, dest string) error {
	f.move(key, version, dest)
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
		{"clean result naming no object version fails closed", "scan-clean.json", func(d *ScanResult) {
			d.S3ObjectDetails.VersionID = ""
		}, true, false, grievance.AttachmentInfected, true},
		{"clean result of the null version fails closed", "scan-clean.json", func(d *ScanResult) {
			d.S3ObjectDetails.VersionID = "null"
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

// The upload form may be used again within its 5 minutes: after a clean
// verdict the uploader posts other bytes under the same key. Their result,
// whatever it says, must not change the attachment (still CLEAN, of the
// version scanned first, which downloads name), and that later version
// leaves the uploads for quarantine/, the way orphans go; the log names
// ids only.
func TestHandleLaterUploadToAScannedKeyKeepsTheVerdictAndQuarantinesThatVersion(t *testing.T) {
	const first, second = "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "Xq0Fm2sFX1jqzl5SzB0a6fSg5Zc2RVa8"
	for _, tc := range []struct {
		name   string
		result func(*ScanResult)
	}{
		{"infected", func(d *ScanResult) {
			d.ScanResultDetails.ScanResultStatus = "THREATS_FOUND"
			d.ScanResultDetails.Threats = []struct {
				Name string `json:"name"`
			}{{Name: "EICAR-Test-File (not a virus)"}}
		}},
		{"unscannable", func(d *ScanResult) { d.ScanResultDetails.ScanResultStatus = "UNSUPPORTED" }},
		{"clean but other bytes", func(d *ScanResult) {}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := grievancetest.NewStore()
			now := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
			st.SeedTicket(&grievance.Ticket{ID: ticketID, Version: 1, Status: grievance.StatusOpen, Category: "Default",
				DateCreated: now, DateUpdated: now, DateValidFrom: now, UserCreated: "u", UserUpdated: "u"})
			a := &grievance.Attachment{ID: attachmentID, TicketID: ticketID, Version: 1, FileName: "secret-name.pdf",
				ContentType: "application/pdf", Size: 68, Status: grievance.AttachmentPending, UploadedBy: "u",
				DateCreated: now, DateUpdated: now, UserUpdated: "u"}
			if err := st.Commit(context.Background(), &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: a}}}); err != nil {
				t.Fatal(err)
			}
			files := &grievancetest.Files{}
			svc := grievance.NewService(st, func() time.Time { return now }, grievancetest.IDs(), grievance.Options{Attachments: st, Files: files})
			q := &fakeQuarantine{moved: map[string]string{}, versions: map[string]string{}}
			var logs bytes.Buffer
			h := &Handler{Scans: svc, Files: q, Bucket: fixtureBucket, Log: slog.New(slog.NewJSONHandler(&logs, nil))}

			if err := h.Handle(context.Background(), fixture(t, "scan-clean.json", nil)); err != nil { // versionId: first
				t.Fatal(err)
			}
			tk, _ := st.Ticket(context.Background(), ticketID)
			later := fixture(t, "scan-clean.json", func(d *ScanResult) {
				d.S3ObjectDetails.VersionID = second
				tc.result(d)
			})
			for range 2 { // EventBridge delivers at least once
				if err := h.Handle(context.Background(), later); err != nil {
					t.Fatal(err)
				}
			}

			got, err := st.Attachment(context.Background(), attachmentID)
			if err != nil || got.Status != grievance.AttachmentClean || got.ObjectVersion != first || got.Threat != "" {
				t.Fatalf("attachment %+v, %v; want CLEAN of version %s, unchanged", got, err, first)
			}
			if again, _ := st.Ticket(context.Background(), ticketID); again.Version != tk.Version || len(again.AttachmentIDs) != 1 {
				t.Errorf("the later result changed the ticket: version %d (was %d), attachments %v", again.Version, tk.Version, again.AttachmentIDs)
			}
			quarantine := "quarantine/" + ticketID + "/" + attachmentID
			if q.versions[objectKey+"?versionId="+second] != quarantine || q.versions[objectKey+"?versionId="+first] != "" {
				t.Errorf("moved %v; want version %s alone quarantined", q.versions, second)
			}
			page, err := svc.TicketAttachments(grievance.NewContext(context.Background(), &grievance.Principal{ID: "admin", Admin: true}), ticketID, grievance.PageArgs{})
			if err != nil || len(page.Items) != 1 {
				t.Fatalf("listed %+v, %v", page, err)
			}
			if u := page.Items[0].DownloadURL; !strings.Contains(u, "versionId="+first) {
				t.Errorf("download URL %q; want one of version %s", u, first)
			}
			if out := logs.String(); strings.Contains(out, "secret-name") || !strings.Contains(out, "later upload") || !strings.Contains(out, attachmentID) {
				t.Errorf("logs %s: want the later upload named by ids, never the file name", out)
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
