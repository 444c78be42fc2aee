package grievance_test

import (
	"context"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// The acknowledgement and the satisfaction fields come only from the
// complainant's contact: where a category masks the reporter, they are
// hidden with it (zero, null on the wire).
func TestConfidentiality_SatisfactionFieldsGoWithTheReporter(t *testing.T) {
	at := time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		reader   *grievance.Principal
		category string
		wantSeen bool
	}{
		{confReaders[1], "Default", true},    // plain reader, nothing masked
		{confReaders[1], "Sensitive", false}, // plain reader, reporter masked
		{confReaders[2], "Sensitive", true},  // confidential reader sees it in full
		{confReaders[5], "Sensitive", true},  // admin
	}
	for _, tt := range tests {
		t.Run(tt.reader.Username+"/"+tt.category, func(t *testing.T) {
			st := grievancetest.NewStore()
			st.SetConfigDocument([]byte(matrixConfig))
			st.SeedTicket(&grievance.Ticket{ID: "t1", Version: 1, Category: tt.category, Status: grievance.StatusOpen, Title: "x",
				ReporterType: "individual", ReporterID: matrixReporter, Contact: &grievance.Contact{Phone: "+258841234567"},
				AcknowledgedAt: at, Rating: 1, RatedAt: at.Add(time.Hour), AppealedAt: at.Add(time.Hour)})
			svc := grievance.NewService(st, func() time.Time { return at.Add(48 * time.Hour) }, grievancetest.IDs(), grievance.Options{})
			n := 10
			page, err := svc.ListTickets(grievance.NewContext(context.Background(), tt.reader), grievance.TicketQuery{Page: grievance.PageArgs{First: &n}})
			if err != nil || len(page.Items) != 1 {
				t.Fatalf("list: %v, %d rows", err, len(page.Items))
			}
			r := page.Items[0]
			seen := !r.AcknowledgedAt.IsZero() && r.Rating == 1 && !r.RatedAt.IsZero() && !r.AppealedAt.IsZero()
			hidden := r.AcknowledgedAt.IsZero() && r.Rating == 0 && r.RatedAt.IsZero() && r.AppealedAt.IsZero()
			if tt.wantSeen && !seen || !tt.wantSeen && !hidden {
				t.Fatalf("acknowledgedAt %v rating %d ratedAt %v appealedAt %v; want seen=%v", r.AcknowledgedAt, r.Rating, r.RatedAt, r.AppealedAt, tt.wantSeen)
			}
		})
	}
}
