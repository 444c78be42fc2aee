package grievance_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// panelConfig: "Hush" hides the priority, the reporter and the attending
// staff from readers without the confidential right (127007).
const panelConfig = `{"grievance_types": ["Open", "Payments", "Hush"],
 "grievance_anonymized_fields": {"Hush": ["priority", "reporter", "attending_staff"]},
 "default_attending_staff_role_ids": {}, "default_resolution": {}, "default_responses": {}}`

// panelSpy records what a list reads: its ranges and dictionary reads.
type panelSpy struct {
	*grievancetest.Store
	ranges []grievance.TicketRange
	values int
}

func (s *panelSpy) ScanTickets(ctx context.Context, r grievance.TicketRange, fn func(*grievance.Ticket) (bool, error)) error {
	s.ranges = append(s.ranges, r)
	return s.Store.ScanTickets(ctx, r, fn)
}

func (s *panelSpy) TicketValues(ctx context.Context, fields ...string) (map[string]map[string]int, error) {
	s.values++
	return s.Store.TicketValues(ctx, fields...)
}

// reads sums up the ranges read: "all" for the whole live list, else
// the kinds of partitions.
func (s *panelSpy) reads() string {
	var out []string
	for _, r := range s.ranges {
		switch r.By {
		case grievance.RangeAll:
			out = append(out, "all")
		case grievance.RangeSorted:
			within := ""
			if r.Within != nil {
				within = fmt.Sprintf(" within %v%v", r.Within.Keys, r.Within.Statuses)
			}
			out = append(out, fmt.Sprintf("sorted %s %v%s", r.SortBy, r.Keys, within))
		default:
			out = append(out, fmt.Sprintf("%d %v%v", r.By, r.Keys, r.Statuses))
		}
	}
	return strings.Join(out, "; ")
}

const (
	reporterA = "00000000-0000-4000-c000-00000000000a"
	reporterB = "00000000-0000-4000-c000-00000000000b"
)

// newPanel seeds tickets of every category, four priorities (one typed
// free, one an old category no longer configured), two reporters.
func newPanel(t *testing.T) (*panelSpy, *grievance.Service, []*grievance.Ticket) {
	t.Helper()
	st := &panelSpy{Store: grievancetest.NewStore()}
	st.SetConfigDocument([]byte(panelConfig))
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var ts []*grievance.Ticket
	for i := range 36 {
		tk := &grievance.Ticket{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1), Version: 1 + i%3,
			Status:   grievance.Statuses[i%len(grievance.Statuses)],
			Category: []string{"Open", "Payments", "Hush", "Legacy payments"}[i%4],
			Priority: []string{"High", "Low", "Very high", "urgent-ish", ""}[i%5],
			Title:    fmt.Sprintf("t%02d", i%7), DateCreated: at, DateUpdated: at, DateValidFrom: at}
		if i%6 == 0 {
			tk.ReporterType, tk.ReporterID = grievance.PersonIndividual, reporterA
		} else {
			tk.ReporterType, tk.ReporterID = grievance.PersonIndividual, reporterB
		}
		if i%2 == 0 {
			tk.AttendingStaffID = staff.ID
		}
		tk.IsDeleted = i == 35
		st.SeedTicket(tk)
		ts = append(ts, tk)
	}
	clock := grievancetest.NewClock(at, time.Millisecond)
	return st, grievance.NewService(st, clock.Now, grievancetest.IDs(), grievance.Options{History: st}), ts
}

// expected lists the codes a reader should get: live tickets they see
// whose fields, as shown to them, match, newest first.
func expected(ts []*grievance.Ticket, keep func(*grievance.Ticket) bool) []string {
	var out []string
	for i := len(ts) - 1; i >= 0; i-- {
		if tk := ts[i]; !tk.IsDeleted && keep(tk) {
			out = append(out, grievance.FormatCode(int64(i+1)))
		}
	}
	return out
}

func contains(have, want string) bool {
	return strings.Contains(strings.ToLower(have), strings.ToLower(want))
}

func list(t *testing.T, svc *grievance.Service, p *grievance.Principal, q grievance.TicketQuery) ([]string, *grievance.Page[*grievance.Ticket]) {
	t.Helper()
	q.WantCount = true
	page, err := svc.ListTickets(grievance.NewContext(context.Background(), p), q)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, tk := range page.Items {
		codes = append(codes, tk.Code)
	}
	return codes, page
}

func lookup(field string, l grievance.Lookup, v string) grievance.Filter {
	return grievance.Filter{Field: field, Lookup: l, Value: v}
}

// The filter panel's lookups on category and priority read only the
// partitions of the stored values they match (every stored value, an
// unconfigured category and a free-typed priority included), give the rows
// a scan of every ticket gives, and count from the maintained counts.
func TestListTickets_PanelLookupsReadTheMatchingPartitions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		filters []grievance.Filter
		keep    func(*grievance.Ticket) bool
		reads   string
	}{
		{"category icontains, configured or not", []grievance.Filter{lookup("category", grievance.IContains, "PAY")},
			func(tk *grievance.Ticket) bool { return contains(tk.Category, "pay") },
			"2 [Legacy payments Payments][]"},
		{"category iexact", []grievance.Filter{lookup("category", grievance.IExact, "payments")},
			func(tk *grievance.Ticket) bool { return tk.Category == "Payments" }, "2 [Payments][]"},
		{"priority icontains", []grievance.Filter{lookup("priority", grievance.IContains, "high")},
			func(tk *grievance.Ticket) bool { return contains(tk.Priority, "high") },
			"sorted priority [High Very high]"},
		{"priority istartswith, typed free", []grievance.Filter{lookup("priority", grievance.IStartsWith, "URG")},
			func(tk *grievance.Ticket) bool { return tk.Priority == "urgent-ish" }, "sorted priority [urgent-ish]"},
		{"status and category icontains: the pairs", []grievance.Filter{lookup("status", grievance.IContains, "ed"), lookup("category", grievance.IContains, "pay")},
			func(tk *grievance.Ticket) bool {
				return contains(string(tk.Status), "ed") && contains(tk.Category, "pay")
			},
			"2 [Legacy payments Payments][RECEIVED RESOLVED CLOSED]"},
		{"both fields: no partition holds the pair, the value postings answer", []grievance.Filter{lookup("category", grievance.IContains, "o"), lookup("priority", grievance.IContains, "low")},
			func(tk *grievance.Ticket) bool { return contains(tk.Category, "o") && contains(tk.Priority, "low") },
			""},
		{"no value matches: nothing read", []grievance.Filter{lookup("category", grievance.IContains, "zzz")},
			func(*grievance.Ticket) bool { return false }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, svc, ts := newPanel(t)
			got, page := list(t, svc, confOfficer, grievance.TicketQuery{Filters: tc.filters})
			want := expected(ts, tc.keep)
			if !slices.Equal(got, want) || page.TotalCount != len(want) {
				t.Errorf("rows %v (%d), want %v (%d)", got, page.TotalCount, want, len(want))
			}
			if !page.Counted {
				t.Error("totalCount not counted")
			}
			if got := st.reads(); got != tc.reads {
				t.Errorf("read %q, want %q", got, tc.reads)
			}
		})
	}
}

// A container resolves lookups from the values it read last, beside the
// fresh read; a value that appeared since is found all the same (the list
// reads again), and one that vanished costs nothing wrong.
func TestListTickets_PanelValuesGuessedAreVerified(t *testing.T) {
	st, svc, ts := newPanel(t)
	q := grievance.TicketQuery{Filters: []grievance.Filter{lookup("category", grievance.IContains, "pay")}}
	list(t, svc, confOfficer, q)
	at := ts[0].DateCreated
	st.SeedTicket(&grievance.Ticket{ID: "00000000-0000-4000-8000-000000000099", Version: 1, Status: grievance.StatusOpen,
		Category: "Payday", DateCreated: at, DateUpdated: at, DateValidFrom: at})
	st.ranges, st.values = nil, 0
	got, page := list(t, svc, confOfficer, q)
	if len(got) == 0 || got[0] != grievance.FormatCode(37) || !page.Counted || page.TotalCount != len(expected(ts, func(tk *grievance.Ticket) bool { return contains(tk.Category, "pay") }))+1 {
		t.Errorf("rows %v (%d, counted %v): the new value's ticket is missing", got, page.TotalCount, page.Counted)
	}
	if st.values != 1 || len(st.ranges) != 2 {
		t.Errorf("%d dictionary reads and ranges %s, want one read and the guess read again", st.values, st.reads())
	}
	st.ranges = nil
	again, _ := list(t, svc, confOfficer, q)
	if !slices.Equal(again, got) || len(st.ranges) != 1 {
		t.Errorf("third list %v reading %s, want %v in one read", again, st.reads(), got)
	}
}

// A reader from whom a category hides a field never finds a ticket of that
// category by it: not through the values' partitions, not through a sort
// index of the stored values (the list then sorts what the reader sees).
func TestListTickets_PanelHiddenValuesNeverMatchNorSort(t *testing.T) {
	st, svc, ts := newPanel(t)
	shown := func(p *grievance.Principal) func(tk *grievance.Ticket) bool {
		return func(tk *grievance.Ticket) bool { return p == confOfficer || tk.Category != "Hush" }
	}
	for _, p := range []*grievance.Principal{officer, confOfficer} {
		got, page := list(t, svc, p, grievance.TicketQuery{Filters: []grievance.Filter{lookup("priority", grievance.IContains, "high")}})
		want := expected(ts, func(tk *grievance.Ticket) bool { return contains(tk.Priority, "high") && shown(p)(tk) })
		if !slices.Equal(got, want) || page.TotalCount != len(want) {
			t.Errorf("%s: priority icontains rows %v (%d), want %v", p.Username, got, page.TotalCount, want)
		}
	}
	for _, order := range []string{"reporter_id", "-attending_staff", "priority"} {
		for _, p := range []*grievance.Principal{officer, confOfficer} {
			st.ranges = nil
			got, _ := list(t, svc, p, grievance.TicketQuery{OrderBy: []string{order}})
			indexed := slices.ContainsFunc(st.ranges, func(r grievance.TicketRange) bool { return r.By == grievance.RangeSorted })
			if indexed != (p == confOfficer) {
				t.Errorf("%s by %s: sort index read %v, want %v", p.Username, order, indexed, p == confOfficer)
			}
			// The order of the rows as the reader sees them.
			want, _ := list(t, svc, p, grievance.TicketQuery{OrderBy: []string{order, "-date_created"}})
			if !slices.Equal(got, want) {
				t.Errorf("%s by %s: %v, want %v", p.Username, order, got, want)
			}
		}
	}
}

// The filter panel with an order by a column of the order postings reads
// no key range (the postings place the filters' tickets, "" below), but
// for one status by due date (its own index, g16) and filters the
// postings do not answer (a date); every list gives the in-memory order.
func TestListTickets_SortableColumnsWithFilters(t *testing.T) {
	for _, tc := range []struct {
		name    string
		order   string
		filters []grievance.Filter
		reads   string
	}{
		{"version within a status", "-version", []grievance.Filter{lookup("status", grievance.Exact, "OPEN")}, ""},
		{"reporter within category icontains", "reporter_id", []grievance.Filter{lookup("category", grievance.IContains, "pay")}, ""},
		{"attending staff within priorities", "attending_staff", []grievance.Filter{lookup("priority", grievance.IContains, "high")}, ""},
		{"code is number order", "code", nil, "all"},
		{"the many tickets of a reporter", "-title", []grievance.Filter{lookup("reporter_id", grievance.Exact, reporterB)}, ""},
		{"the few tickets of a reporter", "-title", []grievance.Filter{lookup("reporter_id", grievance.Exact, reporterA)}, ""},
		{"one status by due date: g16", "due_date", []grievance.Filter{lookup("status", grievance.Exact, "OPEN")}, "sorted due_date [] within [OPEN][]"},
		{"two statuses by due date", "-due_date", []grievance.Filter{lookup("status", grievance.IContains, "e")}, ""},
		{"a filter no index decides: the column's index", "title", []grievance.Filter{lookup("date_created", grievance.IContains, "5")}, "sorted title []"},
		{"a key: its postings", "title", []grievance.Filter{lookup("key", grievance.IContains, "5")}, ""},
		{"a resolution time: its postings", "title", []grievance.Filter{lookup("resolution", grievance.IContains, "5")}, ""},
		{"a date of incident: its postings", "title", []grievance.Filter{lookup("date_of_incident", grievance.Exact, "2026-01-02")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, svc, _ := newPanel(t)
			first := 4
			got, page := list(t, svc, confOfficer, grievance.TicketQuery{OrderBy: []string{tc.order}, Filters: tc.filters, Page: grievance.PageArgs{First: &first}})
			if r := st.reads(); r != tc.reads {
				t.Errorf("read %q, want %q", r, tc.reads)
			}
			want, all := list(t, svc, confOfficer, grievance.TicketQuery{OrderBy: []string{tc.order, "-date_created"}, Filters: tc.filters, Page: grievance.PageArgs{First: &first}})
			if !slices.Equal(got, want) || page.TotalCount != all.TotalCount {
				t.Errorf("%v (%d), want %v (%d)", got, page.TotalCount, want, all.TotalCount)
			}
		})
	}
}

// The client's next-page button on a sortable column: every page from
// the last one's cursor, concatenated, is the whole list in that order
// (runs of equal values cut across pages included), each with the whole
// count; a list read from a sort index starts its next page after the
// cursor's row instead of re-reading the rows before it.
func TestListTickets_NextPagesOfASortableColumn(t *testing.T) {
	filters := map[string][]grievance.Filter{
		"no filter":         nil,
		"a status":          {lookup("status", grievance.Exact, "OPEN")},
		"category contains": {lookup("category", grievance.IContains, "pay")},
		"a reporter":        {lookup("reporter_id", grievance.Exact, reporterB)},
	}
	for _, order := range []string{"title", "-title", "priority", "-priority", "version", "-version", "status", "-status",
		"category", "-category", "attending_staff", "-attending_staff", "reporter_id", "-reporter_id", "due_date", "-due_date"} {
		for name, fs := range filters {
			t.Run(order+"/"+name, func(t *testing.T) {
				st, svc, _ := newPanel(t)
				hundred := 100
				want, all := list(t, svc, confOfficer, grievance.TicketQuery{OrderBy: []string{order, "-date_created"}, Filters: fs, Page: grievance.PageArgs{First: &hundred}})
				var got []string
				after, keyset := "", false
				for n := 1; ; n++ {
					first := 4
					st.ranges = nil
					codes, page := list(t, svc, confOfficer, grievance.TicketQuery{OrderBy: []string{order}, Filters: fs, Page: grievance.PageArgs{First: &first, After: after}})
					if page.TotalCount != all.TotalCount {
						t.Fatalf("page %d: totalCount %d, want %d", n, page.TotalCount, all.TotalCount)
					}
					for _, r := range st.ranges {
						if n > 1 && r.By == grievance.RangeSorted && len(r.Keys) == 0 {
							if r.After == 0 {
								t.Fatalf("page %d read the sort index from the top", n)
							}
							keyset = true
						}
					}
					got = append(got, codes...)
					if !page.HasNextPage || n > 20 {
						break
					}
					after = page.Cursor(len(page.Items) - 1)
				}
				if !slices.Equal(got, want) {
					t.Errorf("pages %v\nwant  %v", got, want)
				}
				if name == "no filter" && !keyset && len(want) > 4 {
					t.Errorf("no page after the first started after its cursor in the sort index")
				}
			})
		}
	}
}

// peopleSpy records the ids of each people read.
type peopleSpy struct {
	*grievancetest.Store
	reads [][]string
}

func (s *peopleSpy) People(ctx context.Context, ids []string) (map[string]*grievance.Person, error) {
	s.reads = append(s.reads, slices.Clone(ids))
	return s.Store.People(ctx, ids)
}

// Once a beneficiary has been read, its individual is read with it: a
// page of beneficiary reporters then costs one directory read, not two.
// The records read decide: a beneficiary linked to another individual
// since is answered with the new one (read then).
func TestPeople_BeneficiarysIndividualReadWithIt(t *testing.T) {
	const ben, ind, ind2 = "00000000-0000-4000-d000-000000000001", "00000000-0000-4000-d000-000000000002", "00000000-0000-4000-d000-000000000003"
	st := &peopleSpy{Store: grievancetest.NewStore()}
	st.AddPeople(grievance.Person{ID: ben, Type: grievance.PersonBeneficiary, IndividualID: ind},
		grievance.Person{ID: ind, Type: grievance.PersonIndividual, FirstName: "Ada"},
		grievance.Person{ID: ind2, Type: grievance.PersonIndividual, FirstName: "Bea"})
	svc := grievance.NewService(st, time.Now, grievancetest.IDs(), grievance.Options{})
	ctx := context.Background()
	for i, want := range [][]string{{ben}, {ben, ind}} {
		got, err := svc.People(ctx, []string{ben})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(st.reads[i], want) {
			t.Errorf("read %d asked for %v, want %v", i, st.reads[i], want)
		}
		if i == 1 && got[ind] == nil {
			t.Errorf("the individual read with its beneficiary is not returned: %v", got)
		}
	}
	st.AddPeople(grievance.Person{ID: ben, Type: grievance.PersonBeneficiary, IndividualID: ind2})
	got, err := svc.People(ctx, []string{ben})
	if err != nil || got[ben].IndividualID != ind2 {
		t.Fatalf("beneficiary %+v, %v: want the new link", got[ben], err)
	}
	if again, _ := svc.People(ctx, []string{ben}); again[ind2] == nil {
		t.Errorf("the new individual is not read with its beneficiary: %v", st.reads[len(st.reads)-1])
	}
}
