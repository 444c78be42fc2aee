package store_test

import (
	"context"
	"testing"

	"github.com/redress-grm/redress/shared/grievance"
)

// Ensure an attachment's record keeps the object version its scan was
// about (downloads are signed for it), and that a record without one (a
// pending upload, or one scanned before versions were recorded) reads
// back without one.
func TestAttachment_KeepsTheScannedObjectVersion(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	tk := mustCreate(t, s, newTicket(id(1), grievance.StatusOpen, "Default"))
	pending := func(n int) *grievance.Attachment {
		a := &grievance.Attachment{ID: id(n), TicketID: tk.ID, Version: 1, FileName: "slip.pdf", ContentType: "application/pdf",
			Size: 10, Status: grievance.AttachmentPending, UploadedBy: "u1", DateCreated: t0, DateUpdated: t0, UserUpdated: "u1"}
		if err := s.Commit(ctx, &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: a}}}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	scan := func(a *grievance.Attachment, version string) {
		c := a.Clone()
		c.Version, c.Status, c.ObjectVersion = 2, grievance.AttachmentClean, version
		if err := s.Commit(ctx, &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: c, Prev: 1}}}); err != nil {
			t.Fatal(err)
		}
	}
	pinned, legacy, waiting := pending(101), pending(102), pending(103)
	scan(pinned, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")
	scan(legacy, "")
	for _, tc := range []struct {
		a    *grievance.Attachment
		want string
	}{{pinned, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"}, {legacy, ""}, {waiting, ""}} {
		got, err := s.Attachment(ctx, tc.a.ID)
		if err != nil || got.ObjectVersion != tc.want {
			t.Errorf("attachment %s: %+v, %v; want object version %q", tc.a.ID, got, err, tc.want)
		}
	}
	all, err := s.AttachmentsOfTicket(ctx, tk.ID)
	if err != nil || len(all) != 3 || all[0].ObjectVersion != "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY" {
		t.Errorf("attachments of the ticket: %+v, %v", all, err)
	}
}
