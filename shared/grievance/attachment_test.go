package grievance_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// attachWorld is a store with one ticket of a category, attended by staff,
// and a service that serves attachments through a fake Files.
type attachWorld struct {
	*world
	files *grievancetest.Files
}

func newAttachWorld(t *testing.T, category string) *attachWorld {
	t.Helper()
	w := newWorld(t, category)
	files := &grievancetest.Files{}
	clock := grievancetest.NewClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), time.Millisecond)
	// Ids of the second service must not collide with the seed's.
	ids := grievancetest.IDs()
	for range 100 {
		ids()
	}
	w.svc = grievance.NewService(w.st, clock.Now, ids, grievance.Options{History: w.st, Attachments: w.st, Files: files})
	return &attachWorld{world: w, files: files}
}

func (w *attachWorld) upload(p *grievance.Principal, in grievance.AttachmentInput) (*grievance.AttachmentUpload, error) {
	if in.TicketID == "" {
		in.TicketID = w.id
	}
	return w.svc.CreateAttachmentUpload(grievance.NewContext(context.Background(), p), in)
}

func (w *attachWorld) list(p *grievance.Principal) (*grievance.Page[*grievance.AttachmentView], error) {
	return w.svc.TicketAttachments(grievance.NewContext(context.Background(), p), w.id, grievance.PageArgs{})
}

func (w *attachWorld) del(p *grievance.Principal, id string) error {
	return w.do(p, "deleteAttachment", func(ctx context.Context) (*grievance.Write, error) {
		return w.svc.DeleteAttachment(ctx, id, nil)
	})
}

// cleanAttachment uploads a PDF as p and scans it clean.
func (w *attachWorld) cleanAttachment(t *testing.T, p *grievance.Principal) *grievance.Attachment {
	t.Helper()
	up, err := w.upload(p, grievance.AttachmentInput{FileName: "slip.pdf", ContentType: "application/pdf", Size: 100})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	a, err := w.svc.RecordScan(context.Background(), grievance.ScanVerdict{Key: up.Attachment.ObjectKey(), Clean: true})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return a
}

func TestCreateAttachmentUploadChecksInputAndRights(t *testing.T) {
	pdf := func(mod func(*grievance.AttachmentInput)) grievance.AttachmentInput {
		in := grievance.AttachmentInput{FileName: "slip.pdf", ContentType: "application/pdf", Size: 2048}
		if mod != nil {
			mod(&in)
		}
		return in
	}
	for _, tc := range []struct {
		name     string
		category string
		p        *grievance.Principal
		in       grievance.AttachmentInput
		want     grievance.Code
	}{
		{"officer uploads a pdf", "Open", officer, pdf(nil), ""},
		{"content type is compared without case", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.ContentType = "Application/PDF" }), ""},
		{"attending staff without the right uploads", "Open", person(6, "staff", false, "127000"), pdf(nil), ""},
		{"viewer lacks the upload right", "Open", viewer, pdf(nil), grievance.CodeForbidden},
		{"refused type", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.ContentType = "application/x-msdownload" }), grievance.CodeInvalid},
		{"type with parameters", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.ContentType = "application/pdf; charset=x" }), grievance.CodeInvalid},
		{"overlong content type", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.ContentType = "application/" + strings.Repeat("x", 300) }), grievance.CodeInvalid},
		{"empty size", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.Size = 0 }), grievance.CodeInvalid},
		{"over the limit", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.Size = 10<<20 + 1 }), grievance.CodeInvalid},
		{"at the limit", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.Size = 10 << 20 }), ""},
		{"path in the name", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.FileName = "../x.pdf" }), grievance.CodeInvalid},
		{"control character in the name", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.FileName = "a\nb.pdf" }), grievance.CodeInvalid},
		{"empty name", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.FileName = " " }), grievance.CodeInvalid},
		{"restricted ticket does not exist for the officer", "Secret", officer, pdf(nil), grievance.CodeNotFound},
		{"without the right a hidden ticket is refused like a visible one", "Secret", viewer, pdf(nil), grievance.CodeForbidden},
		{"without the right an unknown id is refused like a visible one", "Open", viewer, pdf(func(in *grievance.AttachmentInput) {
			in.TicketID = "00000000-0000-4000-8000-0000000dead0"
		}), grievance.CodeForbidden},
		{"restricted ticket: holder of its right uploads", "Secret", gbvOfficer, pdf(nil), ""},
		{"anonymized ticket: intake officer may still add evidence", "Anon", officer, pdf(nil), ""},
		{"not a ticket id", "Open", officer, pdf(func(in *grievance.AttachmentInput) { in.TicketID = "nope" }), grievance.CodeInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newAttachWorld(t, tc.category)
			up, err := w.upload(tc.p, tc.in)
			if got := grievance.ErrorCode(err); got != tc.want {
				t.Fatalf("error code %q (%v), want %q", got, err, tc.want)
			}
			if tc.want != "" {
				if len(w.files.Policies) != 0 {
					t.Errorf("a refused upload was signed: %+v", w.files.Policies)
				}
				return
			}
			pol := w.files.Policies[0]
			a := up.Attachment
			if pol.Key != "attachments/"+w.id+"/"+a.ID || pol.ContentType != "application/pdf" || pol.Size != tc.in.Size || pol.Expires != 5*time.Minute {
				t.Errorf("policy %+v does not bind ticket %s, attachment %s, type and size %d", pol, w.id, a.ID, tc.in.Size)
			}
			if a.Status != grievance.AttachmentPending || a.UploadedBy != tc.p.ID || a.ExpiresAt.IsZero() {
				t.Errorf("attachment %+v: want PENDING by %s with an expiry", a, tc.p.ID)
			}
		})
	}
}

func TestPendingUploadIsNeverListedAndCleanScanAddsATicketVersion(t *testing.T) {
	w := newAttachWorld(t, "Open")
	up, err := w.upload(officer, grievance.AttachmentInput{FileName: "slip.pdf", ContentType: "application/pdf", Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	before := w.ticket(t)
	page, err := w.list(officer)
	if err != nil || len(page.Items) != 0 || page.TotalCount != 0 {
		t.Fatalf("pending upload listed: %+v, %v", page, err)
	}
	a, err := w.svc.RecordScan(context.Background(), grievance.ScanVerdict{Key: up.Attachment.ObjectKey(), Clean: true})
	if err != nil || a.Status != grievance.AttachmentClean || !a.ExpiresAt.IsZero() {
		t.Fatalf("scan: %+v, %v", a, err)
	}
	after := w.ticket(t)
	if after.Version != before.Version+1 || !slices.Equal(after.AttachmentIDs, []string{a.ID}) || after.UserUpdated != officer.ID {
		t.Errorf("ticket after the scan: version %d (was %d), attachments %v, by %s", after.Version, before.Version, after.AttachmentIDs, after.UserUpdated)
	}
	page, err = w.list(officer)
	if err != nil || len(page.Items) != 1 || page.Items[0].DownloadURL == "" {
		t.Fatalf("clean attachment not listed with a URL: %+v, %v", page, err)
	}
	// The scanner redelivers: nothing changes a second time.
	if _, err := w.svc.RecordScan(context.Background(), grievance.ScanVerdict{Key: up.Attachment.ObjectKey(), Clean: false, Threat: "x"}); err != nil {
		t.Fatal(err)
	}
	if again := w.ticket(t); again.Version != after.Version {
		t.Errorf("redelivered scan made version %d", again.Version)
	}
	if page, _ := w.list(officer); page.Items[0].Status != grievance.AttachmentClean {
		t.Errorf("redelivered verdict changed the status to %s", page.Items[0].Status)
	}
}

func TestInfectedAttachmentIsListedWithoutURLAndAddsNothingToTheTicket(t *testing.T) {
	w := newAttachWorld(t, "Open")
	up, _ := w.upload(officer, grievance.AttachmentInput{FileName: "eicar.pdf", ContentType: "application/pdf", Size: 68})
	before := w.ticket(t)
	a, err := w.svc.RecordScan(context.Background(), grievance.ScanVerdict{Key: up.Attachment.ObjectKey(), Threat: "EICAR-Test-File"})
	if err != nil || a.Status != grievance.AttachmentInfected || a.Threat != "EICAR-Test-File" {
		t.Fatalf("scan: %+v, %v", a, err)
	}
	if after := w.ticket(t); after.Version != before.Version || len(after.AttachmentIDs) != 0 {
		t.Errorf("an infected file changed the ticket: version %d, attachments %v", after.Version, after.AttachmentIDs)
	}
	for _, p := range []*grievance.Principal{officer, staff, admin} {
		page, err := w.list(p)
		if err != nil || len(page.Items) != 1 || page.Items[0].Status != grievance.AttachmentInfected || page.Items[0].DownloadURL != "" {
			t.Errorf("%s: infected attachment listed as %+v, %v; want INFECTED without URL", p.Username, page, err)
		}
	}
}

// The upload form stays valid for 5 minutes and may be used again: an
// uploader posts a clean file, waits for its verdict, then posts other
// bytes of the same size and type under the same key. The download must
// still name the scanned version, and the later result (whatever it
// says) must not change the verdict nor the ticket.
func TestLaterUploadToTheSameKeyNeitherChangesTheVerdictNorIsDownloaded(t *testing.T) {
	for _, second := range []grievance.ScanVerdict{
		{Version: "v2", Threat: "EICAR-Test-File"},      // malware swapped in
		{Version: "v2", Threat: "not scanned: FAILED "}, // unscannable bytes
		{Version: "v2", Clean: true},                    // altered evidence that scans clean
	} {
		w := newAttachWorld(t, "Open")
		up, err := w.upload(officer, grievance.AttachmentInput{FileName: "slip.pdf", ContentType: "application/pdf", Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		key := up.Attachment.ObjectKey()
		a, err := w.svc.RecordScan(context.Background(), grievance.ScanVerdict{Key: key, Version: "v1", Clean: true})
		if err != nil || a.Status != grievance.AttachmentClean || a.ObjectVersion != "v1" {
			t.Fatalf("first scan: %+v, %v; want CLEAN of version v1", a, err)
		}
		before := w.ticket(t)
		second.Key = key
		got, err := w.svc.RecordScan(context.Background(), second)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != grievance.AttachmentClean || got.ObjectVersion != "v1" || got.Threat != "" || !got.OtherUpload(second) {
			t.Errorf("%+v: attachment %+v; want CLEAN of v1 unchanged, the result another upload's", second, got)
		}
		if after := w.ticket(t); after.Version != before.Version {
			t.Errorf("%+v: the later upload's result made ticket version %d", second, after.Version)
		}
		page, err := w.list(officer)
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("list: %+v, %v", page, err)
		}
		if v := page.Items[0]; v.Status != grievance.AttachmentClean || !strings.Contains(v.DownloadURL, "versionId=v1") {
			t.Errorf("%+v: listed %s with URL %q; want CLEAN, signed for version v1", second, v.Status, v.DownloadURL)
		}
		// The scanned version's own result, redelivered, is no other upload.
		if a.OtherUpload(grievance.ScanVerdict{Key: key, Version: "v1", Clean: true}) {
			t.Error("a redelivered result of the scanned version counted as another upload")
		}
	}
}

// Records scanned before versions were recorded keep working: their
// download names no version (as before), and only a result that
// contradicts their clean verdict is surely another upload's.
func TestAttachmentScannedBeforeVersionsWereRecordedStillDownloads(t *testing.T) {
	w := newAttachWorld(t, "Open")
	a := w.cleanAttachment(t, officer) // a verdict naming no version
	if a.ObjectVersion != "" {
		t.Fatalf("version %q recorded from a verdict without one", a.ObjectVersion)
	}
	page, err := w.list(officer)
	if err != nil || len(page.Items) != 1 || page.Items[0].DownloadURL == "" || strings.Contains(page.Items[0].DownloadURL, "versionId") {
		t.Fatalf("legacy attachment listed as %+v, %v; want a URL for the key", page, err)
	}
	for _, tc := range []struct {
		v     grievance.ScanVerdict
		other bool
	}{
		{grievance.ScanVerdict{Version: "v2", Threat: "x"}, true},
		{grievance.ScanVerdict{Version: "v2", Clean: true}, false}, // may be the scanned bytes' redelivery
		{grievance.ScanVerdict{Threat: "x"}, false},                // names no version: nothing to single out
	} {
		if got := a.OtherUpload(tc.v); got != tc.other {
			t.Errorf("%+v: other upload %v, want %v", tc.v, got, tc.other)
		}
	}
}

func TestRecordScanRefusesKeysThatNameNoPendingUpload(t *testing.T) {
	w := newAttachWorld(t, "Open")
	up, _ := w.upload(officer, grievance.AttachmentInput{FileName: "a.png", ContentType: "image/png", Size: 1})
	other := "00000000-0000-4000-8000-999999999999"
	for _, key := range []string{
		"attachments/" + other + "/" + up.Attachment.ID,                             // the attachment under another ticket
		"attachments/" + w.id + "/" + other,                                         // no such attachment
		"quarantine/" + w.id + "/" + up.Attachment.ID,                               // not an upload key
		"attachments/" + w.id,                                                       // no attachment id
		"attachments/" + strings.ReplaceAll(w.id, "-", "") + "/" + up.Attachment.ID, // not the canonical id
	} {
		if _, err := w.svc.RecordScan(context.Background(), grievance.ScanVerdict{Key: key, Clean: true}); grievance.ErrorCode(err) != grievance.CodeNotFound {
			t.Errorf("%s: %v, want NOT_FOUND", key, err)
		}
	}
	if page, _ := w.list(officer); len(page.Items) != 0 {
		t.Errorf("a scan of another key listed the upload: %+v", page.Items)
	}
}

// The attachments of a ticket follow the ticket's visibility (sight): a
// restricted category's attachments do not exist for others; an
// anonymized ticket's are hidden from readers without the confidential
// right; attending staff and admins see them.
func TestAttachmentVisibilityFollowsTheTicket(t *testing.T) {
	const (
		url    = "url"     // listed with a download URL
		hidden = "hidden"  // the list is empty
		absent = "missing" // the ticket does not exist for the reader
	)
	want := map[string]map[string]string{
		"Open":       {"viewer": url, "officer": url, "gbvOfficer": url, "confOfficer": url, "specialist": url, "staff": url, "ally": url, "admin": url},
		"Anon":       {"viewer": hidden, "officer": hidden, "gbvOfficer": hidden, "confOfficer": url, "specialist": url, "staff": url, "ally": hidden, "admin": url},
		"Secret":     {"viewer": absent, "officer": absent, "gbvOfficer": url, "confOfficer": absent, "specialist": url, "staff": url, "ally": absent, "admin": url},
		"SecretAnon": {"viewer": absent, "officer": absent, "gbvOfficer": hidden, "confOfficer": absent, "specialist": url, "staff": url, "ally": absent, "admin": url},
	}
	for _, category := range writeCategories {
		w := newAttachWorld(t, category)
		w.cleanAttachment(t, staff)
		for _, p := range allPrincipal {
			page, err := w.list(p)
			got := url
			switch {
			case grievance.ErrorCode(err) == grievance.CodeNotFound:
				got = absent
			case err != nil:
				got = err.Error()
			case len(page.Items) == 0:
				got = hidden
			case page.Items[0].DownloadURL == "":
				got = "no url"
			}
			if got != want[category][p.Username] {
				t.Errorf("%s, %s: %s, want %s", category, p.Username, got, want[category][p.Username])
			}
		}
	}
}

func TestDeleteAttachmentByUploaderOrAttendingStaffOnly(t *testing.T) {
	for _, tc := range []struct {
		name     string
		category string
		uploader *grievance.Principal
		deleter  *grievance.Principal
		want     grievance.Code
	}{
		{"uploader deletes their own", "Open", officer, officer, ""},
		{"attending staff deletes another's", "Open", officer, staff, ""},
		{"admin deletes", "Open", officer, admin, ""},
		{"colleague may not", "Open", officer, ally, grievance.CodeForbidden},
		{"viewer may not", "Open", officer, viewer, grievance.CodeForbidden},
		{"restricted: an officer is refused as for another's", "Secret", staff, officer, grievance.CodeForbidden},
		{"anonymized: an officer without the right is refused as for another's", "Anon", staff, officer, grievance.CodeForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newAttachWorld(t, tc.category)
			a := w.cleanAttachment(t, tc.uploader)
			before := w.ticket(t)
			err := w.del(tc.deleter, a.ID)
			if got := grievance.ErrorCode(err); got != tc.want {
				t.Fatalf("delete: %q (%v), want %q", got, err, tc.want)
			}
			after := w.ticket(t)
			if tc.want != "" {
				if after.Version != before.Version || len(w.files.Retired) != 0 {
					t.Errorf("a refused delete changed the ticket or retired the file")
				}
				return
			}
			if after.Version != before.Version+1 || len(after.AttachmentIDs) != 0 || after.UserUpdated != tc.deleter.ID {
				t.Errorf("ticket after delete: version %d (was %d), attachments %v", after.Version, before.Version, after.AttachmentIDs)
			}
			page, _ := w.list(admin)
			if len(page.Items) != 1 || page.Items[0].Status != grievance.AttachmentDeleted || page.Items[0].DownloadURL != "" {
				t.Errorf("deleted attachment listed as %+v; want DELETED without URL", page.Items)
			}
			if err := w.del(tc.deleter, a.ID); grievance.ErrorCode(err) != grievance.CodeInvalid {
				t.Errorf("second delete: %v, want INVALID", err)
			}
			if !slices.Equal(w.files.Retired, []string{a.ObjectKey()}) || !slices.Equal(w.files.RetiredTo, []string{"deleted/" + w.id + "/" + a.ID}) {
				t.Errorf("retired files %v to %v, want the attachment's object once, to deleted/", w.files.Retired, w.files.RetiredTo)
			}
		})
	}
}

func TestAttachmentConfigurationIsValidated(t *testing.T) {
	for _, tc := range []struct {
		doc string
		ok  bool
	}{
		{`{"attachment_content_types": ["image/png", "text/plain"], "attachment_max_bytes": 1024}`, true},
		{`{"attachment_content_types": []}`, true},
		{`{"attachment_content_types": ["image/*"]}`, false},
		{`{"attachment_content_types": ["Image/PNG"]}`, false},
		{`{"attachment_content_types": ["text/plain; charset=utf-8"]}`, false},
		{`{"attachment_content_types": ["pdf"]}`, false},
		{`{"attachment_content_types": ["image/png", "image/png"]}`, false},
		{`{"attachment_max_bytes": 0}`, false},
		{`{"attachment_max_bytes": 5368709121}`, false},
		{`{"attachment_max_bytes": "10"}`, false},
	} {
		_, err := grievance.ParseConfig([]byte(tc.doc))
		if (err == nil) != tc.ok {
			t.Errorf("%s: error %v, want ok=%v", tc.doc, err, tc.ok)
		}
	}
}

// Rights before existence: a principal without the ticket-query right
// (and not the attending staff) is refused alike for a visible, a hidden
// and an unknown ticket.
func TestTicketAttachmentsRefuseNoRightAlike(t *testing.T) {
	nobody := person(9, "nobody", false)
	for _, tc := range []struct{ category, id string }{
		{"Open", ""}, {"Secret", ""}, {"Open", "00000000-0000-4000-8000-0000000dead0"}, {"Open", "not-an-id"},
	} {
		w := newAttachWorld(t, tc.category)
		id := w.id
		if tc.id != "" {
			id = tc.id
		}
		_, err := w.svc.TicketAttachments(grievance.NewContext(context.Background(), nobody), id, grievance.PageArgs{})
		if grievance.ErrorCode(err) != grievance.CodeForbidden {
			t.Errorf("%s %q: %v, want FORBIDDEN", tc.category, tc.id, err)
		}
	}
	w := newAttachWorld(t, "Secret")
	if _, err := w.list(person(6, "staff", false)); err != nil {
		t.Errorf("attending staff without rights: %v, want their ticket's list", err)
	}
}
