package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

func TestAttachments_PendingCleanDeletedRoundTripAgainstMoto(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	tk := mustCreate(t, s, newTicket(id(1), grievance.StatusOpen, "Default"))
	a := &grievance.Attachment{ID: id(50), TicketID: tk.ID, Version: 1, FileName: "slip.pdf", ContentType: "application/pdf",
		Size: 1234, Status: grievance.AttachmentPending, UploadedBy: "u1", DateCreated: t0, DateUpdated: t0, UserUpdated: "u1",
		ExpiresAt: t0.Add(25 * time.Hour)}
	if err := s.Commit(ctx, &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: a}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Attachment(ctx, a.ID)
	if err != nil || *got != *a {
		t.Fatalf("read back %+v, %v; want %+v", got, err, a)
	}
	// A second create of the same id is a conflict, not an overwrite.
	if err := s.Commit(ctx, &grievance.Write{Attachments: []grievance.AttachmentWrite{{Attachment: a}}}); grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Errorf("re-create: %v, want CONFLICT", err)
	}

	// The scan's write: attachment clean and the ticket's new version, together.
	clean := a.Clone()
	clean.Version, clean.Status, clean.ExpiresAt = 2, grievance.AttachmentClean, time.Time{}
	t2 := tk.Clone()
	t2.Version, t2.AttachmentIDs = 2, []string{a.ID}
	w := &grievance.Write{Mutation: grievance.MutationScan,
		Attachments: []grievance.AttachmentWrite{{Attachment: clean, Prev: 1}},
		Tickets:     []grievance.TicketWrite{{Ticket: t2, Prev: 1, Old: tk}}}
	if err := s.Commit(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, w); grievance.ErrorCode(err) != grievance.CodeConflict {
		t.Errorf("stale scan write: %v, want CONFLICT", err)
	}
	back, err := s.Ticket(ctx, tk.ID)
	if err != nil || !slices.Equal(back.AttachmentIDs, []string{a.ID}) || back.Version != 2 {
		t.Fatalf("ticket %+v, %v", back, err)
	}
	list, err := s.AttachmentsOfTicket(ctx, tk.ID)
	if err != nil || len(list) != 1 || list[0].Status != grievance.AttachmentClean || !list[0].ExpiresAt.IsZero() {
		t.Fatalf("attachments of ticket: %+v, %v", list, err)
	}
	// Attachment records share the ticket's partition; the ticket's
	// one-Query read of ticket and comments must not mistake them.
	_, cs, err := s.TicketWithComments(ctx, tk.ID)
	if err != nil || len(cs) != 0 {
		t.Errorf("ticket with comments: %d comments, %v", len(cs), err)
	}
	if _, err := s.Attachment(ctx, id(51)); grievance.ErrorCode(err) != grievance.CodeNotFound {
		t.Errorf("missing attachment: %v, want NOT_FOUND", err)
	}
	if list, _ := s.AttachmentsOfTicket(ctx, id(2)); len(list) != 0 {
		t.Errorf("another ticket lists %d attachments", len(list))
	}
}
