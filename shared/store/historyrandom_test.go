package store_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
	"github.com/redress-grm/redress/shared/store"
)

// The history rows the consumer keeps are what the versions say: over a
// programme drawn at random (seeded, the same on every run), whose
// records arrive in batches of any size, some delivered twice, every
// column a list may read (the rows, each value's, the reporter's
// unchanged versions, each text's changes and versions before the first
// or last (some retitled at a dozen versions),
// the counts by value before it, every pair's and the pairs' count)
// equals the column computed from the recorded versions, which the
// domain's tests trust. Values holding the names' separators ("@", "=")
// and long ones are among them.
func TestHistoryColumns_RandomProgrammeSameAsComputedFromTheVersions(t *testing.T) {
	s := MustOpen(t)
	mem := grievancetest.NewStore()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 19))
	commit := func(w func() *grievance.Write) {
		t.Helper()
		for _, st := range []interface {
			Commit(context.Context, *grievance.Write) error
		}{s, mem} {
			if err := st.Commit(ctx, w()); err != nil {
				t.Fatal(err)
			}
		}
	}
	choices := map[string][]string{
		"status":   {"OPEN", "IN_PROGRESS", "RESOLVED"},
		"category": {"Default", "Payments", "Water & sanitation", "a@b=c", fmt.Sprintf("%070d", 7)},
		"priority": {"", "High", "Low"},
		"staff":    {"", id(700), id(701), "officer@example.org"},
		"reporter": {id(100), id(101)},
		"title":    {"water point broken", "road closed", "water road", "point"},
		"desc":     {"", "late payment", "no water at the tap"},
	}
	set := func(tk *grievance.Ticket, field, v string) {
		switch field {
		case "status":
			tk.Status = grievance.Status(v)
		case "category":
			tk.Category = v
		case "priority":
			tk.Priority = v
		case "staff":
			tk.AttendingStaffID = v
		case "reporter":
			tk.ReporterType, tk.ReporterID = grievance.PersonIndividual, v
		case "title":
			tk.Title = v
		case "desc":
			tk.Description = v
		}
	}
	fields := slices.Sorted(maps.Keys(choices))
	for i := 1; i <= 30; i++ {
		tk := newTicket(id(i), grievance.StatusOpen, pick(r, choices["category"]))
		for _, f := range fields {
			if f != "status" && f != "category" && r.IntN(2) == 0 {
				set(tk, f, pick(r, choices[f]))
			}
		}
		commit(func() *grievance.Write { return &grievance.Write{NewTicket: tk.Clone()} })
		tk.Seq, tk.Code = int64(i), grievance.FormatCode(int64(i))
		updates := r.IntN(6)
		if i%10 == 0 {
			// Retitled at each version, past the changes a text's
			// FirstValue says (grievance.LastChange).
			updates += 12
		}
		for k := range updates {
			n := tk.Clone()
			if i%10 == 0 && k >= updates-12 {
				// The title alone: a reference that takes a score of
				// values is dropped (histMaxBytes), which the versions'
				// columns do not model.
				set(n, "title", choices["title"][k%len(choices["title"])])
			} else {
				for range 1 + r.IntN(3) {
					f := pick(r, fields)
					set(n, f, pick(r, choices[f]))
				}
			}
			n.IsDeleted = r.IntN(40) == 0
			n.Version++
			commit(func() *grievance.Write {
				return &grievance.Write{Tickets: []grievance.TicketWrite{{Ticket: n.Clone(), Prev: tk.Version}}}
			})
			if tk = n; n.IsDeleted {
				break
			}
		}
	}
	// The stream's batches: any size, some delivered again.
	recs := ticketRecords(t, s)
	for start := 0; start < len(recs); {
		end := min(len(recs), start+1+r.IntN(40))
		batch := recs[start:end]
		for range 1 + r.IntN(2) {
			consumeBatch(t, s, batch)
		}
		start = end - r.IntN(min(3, end-start))
	}

	compare := func(name string, got, want []uint16) {
		t.Helper()
		for seq := int64(1); seq <= 30; seq++ {
			if at(got, seq) != at(want, seq) {
				t.Errorf("%s: ticket %d %d, computed from its versions %d", name, seq, at(got, seq), at(want, seq))
			}
		}
	}
	got, err := s.HistoryRows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := mem.HistoryRows(ctx)
	if changes, _ := mem.HistoryValueRows(ctx, "title", grievance.ChangesValue); slices.Max(changes) <= 7 {
		t.Fatalf("no title changed more than 7 times (at most %d): the programme no longer tries the changes FirstValue cannot say", slices.Max(changes))
	}
	compare("rows", got, want)
	// Every column name and value the versions give a list to ask.
	asks := map[[2]string]bool{
		{"reporter_id", grievance.UnchangedValue}: true, {"attending_staff__id", grievance.PairsValue}: true,
	}
	for _, text := range grievance.TextIndexedFields {
		for _, v := range []string{grievance.ChangesValue, grievance.FirstValue, grievance.FirstSplitValue} {
			asks[[2]string{text, v}] = true
		}
	}
	vs, err := mem.VersionsBySeq(ctx, seqsTo(30))
	if err != nil {
		t.Fatal(err)
	}
	for _, versions := range vs {
		for _, v := range versions {
			value := func(f string) string { return grievance.IndexedValue(v, f) }
			for _, f := range grievance.RowValueFields {
				if x := value(f); x != "" {
					asks[[2]string{f, x}] = true
					for _, text := range grievance.TextIndexedFields {
						asks[[2]string{grievance.FirstRowsField(f, text), x}] = true
					}
				}
			}
			for _, k := range grievance.RowPairKeys(value) {
				asks[[2]string{k.Field, k.Value}] = true
			}
		}
	}
	pairs := 0
	for ask := range asks {
		if _, _, ok := grievance.RowPairOf(ask[0]); ok {
			pairs++
		}
		got, err := s.HistoryValueRows(ctx, ask[0], ask[1])
		if err != nil {
			t.Fatalf("%s=%s: %v", ask[0], ask[1], err)
		}
		want, err := mem.HistoryValueRows(ctx, ask[0], ask[1])
		if err != nil {
			t.Fatal(err)
		}
		compare(ask[0]+"="+ask[1], got, want)
	}
	if len(asks) < 100 || pairs < 50 {
		t.Errorf("%d columns compared, %d of them pairs: the programme should give more", len(asks), pairs)
	}
}

// consumeBatch gives a batch of stream records to the history and search
// consumers, as the history function does.
func consumeBatch(t *testing.T, s *store.Store, batch []events.DynamoDBEventRecord) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.RecordHistory(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplySearch(ctx, batch); err != nil {
		t.Fatal(err)
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func seqsTo(n int64) []int64 {
	seqs := make([]int64, n)
	for i := range seqs {
		seqs[i] = int64(i + 1)
	}
	return seqs
}
