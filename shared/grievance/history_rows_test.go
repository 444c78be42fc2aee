package grievance_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
	"github.com/redress-grm/redress/shared/grievance/grievancetest"
)

// rowsNow is the clock the history rows' tests list by, after
// seedHistory's.
func rowsNow() time.Time { return time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC) }

// oracle lists st's history judging every version, without the history
// rows: the totals the rows must give.
func oracle(st *grievancetest.Store) *grievance.Service {
	return grievance.NewService(noIndex{st}, rowsNow, grievancetest.IDs(), grievance.Options{History: uncounted{st}})
}

// rowsSpy adds skew versions to every ticket the history rows know (a
// totalCount that moves with it came from them) and counts the tickets
// whose versions a list reads.
type rowsSpy struct {
	*grievancetest.Store
	skew, read int
	single     int // tickets read one by one
	texts      int // reads of a text's counts
	reads      int // requests for versions
	mu         sync.Mutex
	columns    []string       // the value and pair columns read, field=value
	within     [][2]int64     // the bounds of each column read within some tickets
	newest     int            // tickets whose newest version alone was read
	behind     map[int64]bool // tickets whose newest version reads as the one before
	// lag: versions the history rows column is behind the History table.
	lag int
	// older: tickets whose older versions alone were read (a version
	// past the first), in olderReads requests; live: tickets read from
	// the live list, in liveReads requests.
	older, olderReads, live, liveReads int
	// versionsOf: the tickets whose versions were read, whole or older.
	versionsOf map[int64]bool
}

// readVersionsOf records that seqs' versions were read.
func (s *rowsSpy) readVersionsOf(seqs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.versionsOf == nil {
		s.versionsOf = map[int64]bool{}
	}
	for _, n := range seqs {
		s.versionsOf[n] = true
	}
}

// versionsRead is how many tickets had versions read: whole, or those
// older than the live ticket read beside them.
func (s *rowsSpy) versionsRead() int { return s.read + s.older }

func (s *rowsSpy) VersionsWithin(ctx context.Context, spans map[int64]grievance.VersionSpan) (map[int64][]*grievance.Ticket, error) {
	older := 0
	for _, sp := range spans {
		if !sp.Empty() {
			older++
		}
	}
	s.tally(&s.older, &s.olderReads, older)
	for n, sp := range spans {
		if !sp.Empty() {
			s.readVersionsOf(n)
		}
	}
	return s.Store.VersionsWithin(ctx, spans)
}

func (s *rowsSpy) LiveTicketsBySeq(ctx context.Context, seqs []int64, spare int) (map[int64]*grievance.Ticket, error) {
	s.tally(&s.live, &s.liveReads, len(seqs))
	return s.Store.LiveTicketsBySeq(ctx, seqs, spare)
}

// tally counts a request for n tickets.
func (s *rowsSpy) tally(tickets, requests *int, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*tickets += n
	*requests++
}

func (s *rowsSpy) Ticket(ctx context.Context, id string) (*grievance.Ticket, error) {
	s.single++
	return s.Store.Ticket(ctx, id)
}

func (s *rowsSpy) HistoryRows(ctx context.Context) ([]uint16, error) {
	col, err := s.Store.HistoryRows(ctx)
	for i, v := range col {
		if v != 0 {
			col[i] = v + uint16(s.skew-s.lag)*grievance.HistoryRowsValue(1, 0)
		}
	}
	return col, err
}

func (s *rowsSpy) HistoryValueRows(ctx context.Context, field, value string) ([]uint16, error) {
	s.mu.Lock()
	if slices.Contains(grievance.TextIndexedFields, field) {
		s.texts++
	}
	s.columns = append(s.columns, field+"="+value)
	s.mu.Unlock()
	col, err := s.Store.HistoryValueRows(ctx, field, value)
	for i := 1; i < len(col); i++ {
		col[i] += uint16(s.skew)
	}
	return col, err
}

// HistoryValueRowsWithin is HistoryValueRows, read and skewed as it is,
// with the numbers outside lo to hi cleared.
func (s *rowsSpy) HistoryValueRowsWithin(ctx context.Context, field, value string, lo, hi int64) ([]uint16, error) {
	s.mu.Lock()
	s.within = append(s.within, [2]int64{lo, hi})
	s.mu.Unlock()
	col, err := s.HistoryValueRows(ctx, field, value)
	return within(col, lo, hi), err
}

// within clears the numbers of col outside lo to hi, as a store that reads
// only the blocks holding them may.
func within(col []uint16, lo, hi int64) []uint16 {
	for i := range col {
		if int64(i) < lo || int64(i) > hi {
			col[i] = 0
		}
	}
	return col
}

// rowsSplitSpy is a rowsSpy whose FirstRowsField columns and
// FirstSplitValue are unknown when unsplit, as on a table whose texts
// changed before they were kept, and that counts their reads.
type rowsSplitSpy struct {
	*rowsSpy
	unsplit bool
	splits  int // reads of a FirstRowsField column
}

func (s *rowsSplitSpy) HistoryValueRows(ctx context.Context, field, value string) ([]uint16, error) {
	split := value == grievance.FirstSplitValue || !slices.Contains(grievance.TextIndexedFields, field) && strings.Contains(field, "~")
	if split && value != grievance.FirstSplitValue {
		s.splits++
	}
	col, err := s.rowsSpy.HistoryValueRows(ctx, field, value)
	if split && s.unsplit {
		clear(col)
	}
	return col, err
}

func (s *rowsSplitSpy) HistoryValueRowsWithin(ctx context.Context, field, value string, lo, hi int64) ([]uint16, error) {
	s.mu.Lock()
	s.within = append(s.within, [2]int64{lo, hi})
	s.mu.Unlock()
	col, err := s.HistoryValueRows(ctx, field, value)
	return within(col, lo, hi), err
}

func (s *rowsSpy) VersionsBySeq(ctx context.Context, seqs []int64) (map[int64][]*grievance.Ticket, error) {
	s.tally(&s.read, &s.reads, len(seqs))
	s.readVersionsOf(seqs...)
	return s.Store.VersionsBySeq(ctx, seqs)
}

// NewestVersionsBySeq counts the tickets whose newest version alone a
// list reads; for those in behind it answers the version before, as a
// History table the consumer has not yet brought up to date would.
func (s *rowsSpy) NewestVersionsBySeq(ctx context.Context, seqs []int64) (map[int64]*grievance.Ticket, error) {
	s.mu.Lock()
	s.newest += len(seqs)
	s.mu.Unlock()
	vs, err := s.Store.VersionsBySeq(ctx, seqs)
	out := map[int64]*grievance.Ticket{}
	for n, v := range vs {
		switch {
		case s.behind[n] && len(v) > 1:
			out[n] = v[1]
		case len(v) > 0:
			out[n] = v[0]
		}
	}
	return out, err
}

// A history list with text filters counts its rows from the history rows
// when the reader sees every version whole: the same totalCount as paging
// through every version, for tickets whose titles and descriptions
// changed (into and out of the query), partial ones and a deleted one,
// while reading about the page's tickets instead of every candidate's.
// With status filters too, the candidates the rows count count their
// versions that held an accepted status, and with a reporter the
// candidates whose reporter changed are judged. For a reader the sight
// rule affects (an officer, their staff member), only the candidates ever
// in a category hidden from them, or attended by them, are judged: the
// same totalCount. Candidates all partial are all judged; another
// filter or a column not complete judge every candidate, as before.
func TestHistoryRows_SameTotalAsJudgingEveryVersion(t *testing.T) {
	st := grievancetest.NewStore()
	seedTextVersions(t, st)
	spy := &rowsSpy{Store: st}
	now := rowsNow
	plain := oracle(st)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	twenty, three := 20, 3
	affectedByRows := map[string]int{} // lists an affected reader counted from the rows
	for _, tc := range []struct {
		name    string
		fs      []grievance.Filter
		partial []int64 // tickets the rows say are partial
		complete,
		byRows bool
		// affectedOnly: a list whose count comes from the counts of
		// versions for other readers (no text filter).
		affectedOnly bool
	}{
		{"title", []grievance.Filter{f("title", grievance.IContains, "water")}, nil, true, true, false},
		{"title, partial tickets", []grievance.Filter{f("title", grievance.IContains, "Water")}, []int64{3, 6, 60}, true, true, false},
		{"title, one gram", []grievance.Filter{f("title", grievance.IContains, "w")}, nil, true, true, false},
		{"description", []grievance.Filter{f("description", grievance.IContains, "late pay")}, nil, true, true, false},
		{"title and description", []grievance.Filter{f("title", grievance.IContains, "road"), f("description", grievance.IContains, "pay")}, nil, true, true, false},
		{"code", []grievance.Filter{f("code", grievance.IContains, "0000")}, nil, true, true, false},
		{"title and status", []grievance.Filter{f("title", grievance.IContains, "water"), f("status", grievance.IContains, "OPEN")}, nil, true, true, false},
		{"title and status, partial tickets", []grievance.Filter{f("title", grievance.IContains, "water"), f("status", grievance.Exact, "IN_PROGRESS")}, []int64{3, 6, 60}, true, true, false},
		{"description and two statuses", []grievance.Filter{f("description", grievance.IContains, "pay"), f("status", grievance.IContains, "E")}, nil, true, true, false},
		{"title and two status filters", []grievance.Filter{f("title", grievance.IContains, "road"), f("status", grievance.IContains, "e"), f("status", grievance.IContains, "S")}, nil, true, true, false},
		{"title and status filters that exclude each other", []grievance.Filter{f("title", grievance.IContains, "road"), f("status", grievance.Exact, "OPEN"), f("status", grievance.IContains, "RES")}, nil, true, false, false},
		{"title and category", []grievance.Filter{f("title", grievance.IContains, "water"), f("category", grievance.Exact, writeCategories[0])}, nil, true, true, false},
		{"title and category lookup", []grievance.Filter{f("title", grievance.IContains, "road"), f("category", grievance.IContains, "secret")}, nil, true, true, false},
		{"description and priority lookup", []grievance.Filter{f("description", grievance.IContains, "pay"), f("priority", grievance.IStartsWith, "h")}, nil, true, true, false},
		{"title and a lookup matching no priority", []grievance.Filter{f("title", grievance.IContains, "road"), f("priority", grievance.IContains, "urgent")}, nil, true, false, false},
		{"title, status and category", []grievance.Filter{f("title", grievance.IContains, "water"), f("status", grievance.IContains, "OPEN"), f("category", grievance.Exact, writeCategories[0])}, nil, true, true, false},
		{"the whole panel", []grievance.Filter{f("title", grievance.IContains, "road"), f("status", grievance.IContains, "E"), f("category", grievance.IContains, "e"), f("priority", grievance.IContains, "i")}, nil, true, true, false},
		{"title, status and priority, both changed", []grievance.Filter{f("title", grievance.IContains, "road"), f("status", grievance.IContains, "RE"), f("priority", grievance.Exact, "High")}, nil, true, true, false},
		{"title and staff", []grievance.Filter{f("title", grievance.IContains, "road"), f("attending_staff__id", grievance.Exact, staff.ID)}, nil, true, true, false},
		{"title and no one's staff", []grievance.Filter{f("title", grievance.IContains, "road"), f("attending_staff__id", grievance.Exact, "00000000-0000-0000-0000-000000000000")}, nil, true, false, false},
		{"title and no one's reporter", []grievance.Filter{f("title", grievance.IContains, "road"), f("reporter_id", grievance.Exact, "00000000-0000-0000-0000-000000000000")}, nil, true, false, false},
		{"title and reporter", []grievance.Filter{f("title", grievance.IContains, "road"), f("reporter_id", grievance.Exact, textReporters[0])}, nil, true, true, false},
		{"description and reporter, partial tickets", []grievance.Filter{f("description", grievance.IContains, "pay"), f("reporter_id", grievance.Exact, textReporters[0])}, []int64{3, 6, 60}, true, true, false},
		{"title, status and reporter", []grievance.Filter{f("title", grievance.IContains, "road"), f("status", grievance.IContains, "RE"), f("reporter_id", grievance.Exact, textReporters[1])}, nil, true, true, false},
		{"title and two reporters", []grievance.Filter{f("title", grievance.IContains, "road"), f("reporter_id", grievance.Exact, textReporters[0]), f("reporter_id", grievance.Exact, textReporters[1])}, nil, true, false, false},
		{"every ticket partial", []grievance.Filter{f("title", grievance.IContains, "water")}, seqsTo(90), true, false, false},
		{"column not complete", []grievance.Filter{f("title", grievance.IContains, "water")}, nil, false, false, false},
		{"no filter", nil, nil, true, true, true},
		{"status", []grievance.Filter{f("status", grievance.IContains, "OPEN")}, nil, true, true, true},
		{"category and priority, partial tickets", []grievance.Filter{f("category", grievance.Exact, writeCategories[0]), f("priority", grievance.Exact, "High")}, []int64{3, 6, 60}, true, true, true},
		// Value filters the counts of versions do not count (they count
		// any two of the panel's): the candidates their postings give,
		// counted by the rows.
		{"status, category and priority", []grievance.Filter{f("status", grievance.IContains, "E"), f("category", grievance.IContains, "e"), f("priority", grievance.IContains, "i")}, nil, true, true, false},
		{"status, category and priority, partial tickets", []grievance.Filter{f("status", grievance.IContains, "RE"), f("category", grievance.Exact, writeCategories[1]), f("priority", grievance.Exact, "High")}, []int64{3, 6, 60}, true, true, false},
		{"reporter and status", []grievance.Filter{f("reporter_id", grievance.Exact, textReporters[0]), f("status", grievance.IContains, "OPEN")}, nil, true, true, false},
		{"reporter, status and priority", []grievance.Filter{f("reporter_id", grievance.Exact, textReporters[1]), f("status", grievance.IContains, "RE"), f("priority", grievance.Exact, "High")}, nil, true, true, false},
		{"reporter and a category lookup, column not complete", []grievance.Filter{f("reporter_id", grievance.Exact, textReporters[1]), f("category", grievance.IContains, "e")}, nil, false, false, false},
	} {
		st.SetHistoryRowsPartial(tc.partial...)
		st.SetHistoryRowsComplete(tc.complete)
		// A service remembers a complete column: a new one for each case.
		rowsSvc := grievance.NewService(spy, now, grievancetest.IDs(), grievance.Options{History: spy})
		for _, reader := range []*grievance.Principal{admin, specialist, gbvOfficer, officer, viewer, staff} {
			for _, page := range []grievance.PageArgs{{First: &twenty}, {First: &three}} {
				q := grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: tc.fs, WantCount: true, Page: page, OrderBy: []string{"-dateCreated"}}
				ctx := grievance.NewContext(context.Background(), reader)
				spy.read, spy.single = 0, 0
				got, err := rowsSvc.ListTickets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				read := spy.read
				if spy.single > 0 {
					t.Errorf("%s, %s %+v: read %d live tickets one by one, not with the versions", tc.name, reader.Username, page, spy.single)
				}
				all := rowsByPaging(t, ctx, plain, q)
				want, err := plain.ListTickets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if got.TotalCount != all || versions(got.Items) != versions(want.Items) || got.HasNextPage != want.HasNextPage {
					t.Errorf("%s, %s %+v: totalCount %d (rows %s); every version judged: %d rows (rows %s)",
						tc.name, reader.Username, page, got.TotalCount, versions(got.Items), all, versions(want.Items))
				}
				spy.skew = 1
				skewed, err := rowsSvc.ListTickets(ctx, q)
				spy.skew = 0
				if err != nil {
					t.Fatal(err)
				}
				unaffected := reader == admin || reader == specialist || (reader == gbvOfficer && !touchesAnon(tc.fs))
				byRows := tc.byRows && !(tc.affectedOnly && unaffected)
				// The sight rule judges the candidates ever in a category
				// hidden from the reader (the gbv officer may not match on
				// Anon's texts and people): every one, some lists.
				// A page of 20 rows may read every candidate: then the
				// rows count none of them.
				moved := skewed.TotalCount != got.TotalCount
				if moved && !byRows || !moved && byRows && unaffected && *page.First == three {
					t.Errorf("%s, %s %+v: totalCount %d with the rows skewed, %d without: want it from the rows: %v",
						tc.name, reader.Username, page, skewed.TotalCount, got.TotalCount, byRows)
				}
				if moved && !unaffected {
					affectedByRows[reader.Username]++
				}
				if tc.affectedOnly && !unaffected && !moved && *page.First == three && got.TotalCount > 0 {
					t.Errorf("%s, %s %+v: totalCount %d not from the rows", tc.name, reader.Username, page, got.TotalCount)
				}
				slack := 12
				if slices.ContainsFunc(tc.fs, func(f grievance.Filter) bool { return f.Field == "reporter_id" }) {
					slack += 12 // the candidates whose reporter changed are judged too
				}
				if !unaffected {
					// The tickets ever in a category hidden from the reader
					// (moved out since) or attended by them are judged too;
					// those whose live category is hidden are never read.
					slack += 24
				}
				if byRows && all > 3*len(got.Items) && read > len(got.Items)+slack {
					t.Errorf("%s, %s %+v: read the versions of %d tickets for %d rows of %d", tc.name, reader.Username, page, read, len(got.Items), all)
				}
			}
		}
	}
	for _, reader := range []*grievance.Principal{gbvOfficer, officer, viewer, staff} {
		if affectedByRows[reader.Username] < 10 {
			t.Errorf("%s, whom the sight rule affects, counted %d lists from the rows: want most", reader.Username, affectedByRows[reader.Username])
		}
	}
	st.SetHistoryRowsPartial()
	st.SetHistoryRowsComplete(true)
}

// misspeltWaterPoints are n tickets of the first category titled "Water
// point <i>", High, those filed with the typo ("Water piont <i>") where
// typo says: a test's versions then correct some of them.
func misspeltWaterPoints(n int, typo func(int) bool) []grievance.TicketInput {
	var ins []grievance.TicketInput
	for i := range n {
		title := fmt.Sprintf("Water point %d", i)
		if typo(i) {
			title = fmt.Sprintf("Water piont %d", i)
		}
		ins = append(ins, grievance.TicketInput{Category: strp(writeCategories[0]), Title: strp(title), Priority: strp("High")})
	}
	return ins
}

// A history text list whose candidates changed their titles by the dozen
// (a programme that corrected a typo in two titles in five) counts those
// whose title changed once from the counts of texts and the postings of
// replaced texts, without reading their versions, and judges only the
// others (a title changed twice, a deleted ticket), the same totalCount as
// judging every version, whether the query holds the live text, the
// replaced one or both. It counts within a read budget that judging every
// candidate would pass; a budget the certain judging passes is refused
// before any version is read.
func TestHistoryRows_CountsTextsChangedOnce(t *testing.T) {
	st := grievancetest.NewStore()
	const n = 200
	once := func(i int) bool { return i%5 < 2 }    // "piont" corrected at version 2: 80
	twice := func(i int) bool { return i%10 == 2 } // "point", "piont", "point" again: 20
	const deleted = 0                              // changed once, then deleted
	ins := misspeltWaterPoints(n, once)
	seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
		first := grievance.TicketInput{Status: strp("OPEN")}
		second := grievance.TicketInput{Status: strp("IN_PROGRESS")}
		switch {
		case once(i):
			first.Title = strp(fmt.Sprintf("Water point %d", i))
		case twice(i):
			first.Title = strp(fmt.Sprintf("Water piont %d", i))
			second.Title = strp(fmt.Sprintf("Water point %d", i))
		}
		return []grievance.TicketInput{first, second}
	}, deleted)
	judged := n/10 + 1 // the twice changed and the deleted one
	now := rowsNow
	plain := oracle(st)
	twenty := 20
	ctx := grievance.NewContext(context.Background(), admin)
	query := func(text string) grievance.TicketQuery {
		return grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: []string{"-dateCreated"},
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: text}}}
	}
	for _, text := range []string{"point", "piont", "water p"} {
		q := query(text)
		all := rowsByPaging(t, ctx, plain, q)
		if all == 0 {
			t.Fatalf("%q: no row holds the title", text)
		}
		for _, budget := range []int{grievance.DefaultHistoryReadBudget, 4*judged + 10} {
			spy := &rowsSpy{Store: st}
			svc := grievance.NewService(spy, now, grievancetest.IDs(), grievance.Options{History: spy, HistoryReadBudget: budget})
			got, err := svc.ListTickets(ctx, q)
			if err != nil {
				t.Fatalf("%q, budget %d: %v", text, budget, err)
			}
			if got.TotalCount != all || len(got.Items) != twenty {
				t.Errorf("%q, budget %d: totalCount %d with %d rows; every version judged: %d", text, budget, got.TotalCount, len(got.Items), all)
			}
			// A page of "piont" is a row a ticket: up to two pages' worth
			// of tickets read in batches.
			if spy.versionsRead() > judged+2*twenty {
				t.Errorf("%q, budget %d: read the versions of %d tickets for a page of %d: want the %d changed twice or deleted and the page's, not the 80 changed once too", text, budget, spy.versionsRead(), twenty, judged)
			}
			if spy.texts == 0 {
				t.Errorf("%q, budget %d: the counts of texts were not read", text, budget)
			}
			if budget != grievance.DefaultHistoryReadBudget || text == "piont" {
				// Skewed, the counts of changes say every retitled ticket
				// changed twice: "piont"'s candidates are all judged.
				continue
			}
			spy.skew = 1
			skewed, err := svc.ListTickets(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if skewed.TotalCount == got.TotalCount {
				t.Errorf("%q, budget %d: totalCount %d with the rows skewed too: the unchanged candidates were judged, not counted", text, budget, got.TotalCount)
			}
		}
	}
	// A few candidates to judge are judged without the counts of texts.
	few := query("point 12") // 12 and 120 to 129
	spy := &rowsSpy{Store: st}
	svc := grievance.NewService(spy, now, grievancetest.IDs(), grievance.Options{History: spy})
	got, err := svc.ListTickets(ctx, few)
	if err != nil {
		t.Fatal(err)
	}
	if all := rowsByPaging(t, ctx, plain, few); got.TotalCount != all || spy.texts != 0 {
		t.Errorf("a few candidates: totalCount %d (every version judged: %d), %d reads of the counts of texts, want none", got.TotalCount, all, spy.texts)
	}
	// Past the budget the list is refused, as judging every candidate is:
	// after the counts of texts when they leave too many to judge...
	svc = grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: st, HistoryReadBudget: 3*judged - 10})
	if _, err := svc.ListTickets(ctx, query("point")); grievance.ErrorCode(err) != grievance.CodeLimit {
		t.Errorf("judged candidates past the budget: %v, want %s", err, grievance.CodeLimit)
	}
	// ...and before any version is read when the rows already do.
	var seqs []int64
	for i := range n {
		seqs = append(seqs, int64(i+1))
	}
	st.SetHistoryRowsPartial(seqs...)
	defer st.SetHistoryRowsPartial()
	spy = &rowsSpy{Store: st}
	svc = grievance.NewService(spy, now, grievancetest.IDs(), grievance.Options{History: spy, HistoryReadBudget: 4*judged + 10})
	if _, err := svc.ListTickets(ctx, query("point")); grievance.ErrorCode(err) != grievance.CodeLimit || spy.read != 0 {
		t.Errorf("partial candidates past the budget: %v after reading %d tickets' versions, want %s before any", err, spy.read, grievance.CodeLimit)
	}
}

// A title corrected twice (a typo fixed with another typo, then fixed
// again) and searched by its corrected words is counted without reading
// its versions: its replaced titles' postings lack a gram of the query,
// so its rows are the versions since its last change, which the counts
// of texts say up to seven changes, with the status the panel sends too
// (the counts by status before the last change split its versions).
// Changed back (the query then in a replaced title too), changed eight
// times, or deleted, a ticket is judged by its versions; and every
// total is that of judging every version, for the live title, the typos
// and what they share, alone and with the status.
func TestHistoryRows_CountsTextsChangedTwiceByTheirLastChange(t *testing.T) {
	st := grievancetest.NewStore()
	const n = 200
	once := func(i int) bool { return i%5 < 2 }    // "piont", "point": 80
	twice := func(i int) bool { return i%5 == 2 }  // "piont", "pont", "point": 40
	back := func(i int) bool { return i%10 == 3 }  // "point", "piont", "point": 20
	seven := func(i int) bool { return i%50 == 9 } // 7 changes to "point": 4
	eight := func(i int) bool { return i%50 == 4 } // 8 changes to "point": 4
	const deleted = 0                              // changed once, then deleted
	ins := misspeltWaterPoints(n, func(i int) bool { return once(i) || twice(i) || seven(i) || eight(i) })
	titles := func(i int, words ...string) []grievance.TicketInput {
		var out []grievance.TicketInput
		for _, w := range words {
			out = append(out, grievance.TicketInput{Title: strp(fmt.Sprintf("Water %s %d", w, i))})
		}
		out[0].Status = strp("OPEN")
		return append(out, grievance.TicketInput{Status: strp("IN_PROGRESS")})
	}
	alternate := func(changes int) []string {
		var out []string
		for k := 1; k < changes; k++ {
			out = append(out, []string{"piont", "pont"}[k%2])
		}
		return append(out, "point")
	}
	seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
		switch {
		case once(i):
			return titles(i, "point")
		case twice(i):
			return titles(i, "pont", "point")
		case back(i):
			return titles(i, "piont", "point")
		case seven(i):
			return titles(i, alternate(7)...)
		case eight(i):
			return titles(i, alternate(8)...)
		}
		return []grievance.TicketInput{{Status: strp("OPEN")}, {Status: strp("IN_PROGRESS")}}
	}, deleted)
	ctx := grievance.NewContext(context.Background(), admin)
	twenty := 20
	plain := oracle(st)
	status := grievance.Filter{Field: "status", Lookup: grievance.IContains, Value: "OPEN"}
	for _, tc := range []struct {
		text string
		fs   []grievance.Filter
		// counted: the groups whose versions are not read (but for the
		// page's rows).
		counted []func(int) bool
	}{
		{text: "point", counted: []func(int) bool{twice, seven}},
		{text: "water point", counted: []func(int) bool{twice, seven}},
		{text: "piont"},
		{text: "pont"},
		{text: "water p"},
		{text: "point", fs: []grievance.Filter{status}, counted: []func(int) bool{twice, seven}},
		{text: "pont", fs: []grievance.Filter{status}},
	} {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: []string{"-dateCreated"},
			Filters: append([]grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: tc.text}}, tc.fs...)}
		name := fmt.Sprintf("%q%v", tc.text, tc.fs)
		all := rowsByPaging(t, ctx, plain, q)
		if all == 0 {
			t.Fatalf("%s: no row", name)
		}
		spy := &rowsSpy{Store: st}
		svc := grievance.NewService(spy, rowsNow, grievancetest.IDs(), grievance.Options{History: spy})
		got, err := svc.ListTickets(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.TotalCount != all {
			t.Errorf("%s: totalCount %d, every version judged: %d", name, got.TotalCount, all)
		}
		if spy.texts == 0 {
			t.Errorf("%s: the counts of texts were not read", name)
		}
		// The page's read takes its rows' tickets, newest first, and a
		// few past its last row (sized by the rows' rate).
		lowest := got.Items[len(got.Items)-1].Seq - 5
		judged := map[string]int{}
		for seq := range spy.versionsOf {
			i := int(seq - 1)
			for _, g := range tc.counted {
				if g(i) && seq < lowest {
					t.Errorf("%s: read the versions of ticket %d, whose title changed more than once and whose replaced titles lack the query (the page's last row is ticket %d's)", name, seq, lowest+5)
				}
			}
			switch {
			case back(i):
				judged["back"]++
			case eight(i):
				judged["eight"]++
			}
		}
		if tc.counted != nil && (judged["back"] != 20 || judged["eight"] != 4) {
			t.Errorf("%s: judged %v, want the 20 titles changed back and the 4 changed eight times", name, judged)
		}
	}
}

// The counts of texts changed once are read only between the lowest and
// highest numbers of the candidates they count (a store reads the blocks
// of its columns that hold them, not the table's), and the totals stay
// those of judging every version, with the status the panel sends too.
func TestHistoryRows_ReadsTheCountsOfTextsOnlyWhereItsCandidatesAre(t *testing.T) {
	st := grievancetest.NewStore()
	const n = 60
	corrected := func(i int) bool { return i >= 40 } // tickets 41 to 60
	ins := misspeltWaterPoints(n, corrected)
	seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
		first := grievance.TicketInput{Status: strp("OPEN")}
		if corrected(i) {
			first.Title = strp(fmt.Sprintf("Water point %d", i))
		}
		return []grievance.TicketInput{first, {Status: strp("IN_PROGRESS")}}
	}, 0)
	ctx := grievance.NewContext(context.Background(), admin)
	twenty := 20
	plain := oracle(st)
	for _, fs := range [][]grievance.Filter{
		{{Field: "title", Lookup: grievance.IContains, Value: "water p"}},
		{{Field: "title", Lookup: grievance.IContains, Value: "water p"}, {Field: "status", Lookup: grievance.IContains, Value: "OPEN"}},
	} {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: []string{"-dateCreated"}, Filters: fs}
		spy := &rowsSpy{Store: st}
		svc := grievance.NewService(spy, rowsNow, grievancetest.IDs(), grievance.Options{History: spy})
		got, err := svc.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if all := rowsByPaging(t, ctx, plain, q); got.TotalCount != all {
			t.Errorf("%v: totalCount %d, every version judged: %d", fs, got.TotalCount, all)
		}
		if spy.texts == 0 || len(spy.within) == 0 {
			t.Fatalf("%v: the counts of texts were not read (%d reads, %v)", fs, spy.texts, spy.within)
		}
		for _, b := range spy.within {
			if b != [2]int64{41, 60} {
				t.Errorf("%v: a column read for tickets %d to %d, want 41 to 60 (the corrected ones)", fs, b[0], b[1])
			}
		}
	}
}

// A title corrected once, searched with the status the client's panel
// sends, is counted without reading its versions: the counts of each
// status before the correction split its versions at it. Corrected at
// version 2 or 3 (the status then OPEN in the replaced title or not),
// the totals are those of paging through every version, for the live
// title, the typo and both, with the status or an IN_PROGRESS lookup.
// On a table whose corrections came before those counts, the corrected
// tickets are judged: the same totals, more versions read.
func TestHistoryRows_CountsTextsChangedOnceWithAStatus(t *testing.T) {
	st := grievancetest.NewStore()
	const n = 200
	early := func(i int) bool { return i%5 == 0 }  // corrected at version 2: 40
	late := func(i int) bool { return i%5 == 1 }   // at version 3, OPEN before: 40
	twice := func(i int) bool { return i%10 == 2 } // "point", "piont", "point": 20
	const deleted = 5                              // corrected early, then deleted
	ins := misspeltWaterPoints(n, func(i int) bool { return early(i) || late(i) })
	seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
		point, piont := strp(fmt.Sprintf("Water point %d", i)), strp(fmt.Sprintf("Water piont %d", i))
		switch {
		case early(i):
			return []grievance.TicketInput{{Title: point, Status: strp("OPEN")}, {Status: strp("IN_PROGRESS")}}
		case late(i):
			return []grievance.TicketInput{{Status: strp("OPEN")}, {Title: point}, {Status: strp("IN_PROGRESS")}}
		case twice(i):
			return []grievance.TicketInput{{Title: piont, Status: strp("OPEN")}, {Title: point}}
		default:
			return []grievance.TicketInput{{Status: strp("OPEN")}, {Status: strp("IN_PROGRESS")}}
		}
	}, deleted)
	judged := n/10 + 1 // the twice changed and the deleted one
	now := rowsNow
	plain := oracle(st)
	twenty := 20
	ctx := grievance.NewContext(context.Background(), admin)
	for _, tc := range []struct{ text, status string }{
		{"point", "OPEN"}, {"piont", "OPEN"}, {"water p", "OPEN"}, {"point", "in_prog"}, {"piont", "receiv"}, {"point", "receiv"},
	} {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: []string{"-dateCreated"},
			Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: tc.text}, {Field: "status", Lookup: grievance.IContains, Value: tc.status}}}
		all := rowsByPaging(t, ctx, plain, q)
		if all == 0 {
			t.Fatalf("%+v: no row", tc)
		}
		for _, unsplit := range []bool{false, true} {
			spy := &rowsSplitSpy{rowsSpy: &rowsSpy{Store: st}, unsplit: unsplit}
			svc := grievance.NewService(spy, now, grievancetest.IDs(), grievance.Options{History: spy})
			got, err := svc.ListTickets(ctx, q)
			if err != nil {
				t.Fatalf("%+v, unsplit %v: %v", tc, unsplit, err)
			}
			if got.TotalCount != all {
				t.Errorf("%+v, unsplit %v: totalCount %d; every version judged: %d", tc, unsplit, got.TotalCount, all)
			}
			if spy.splits == 0 {
				t.Errorf("%+v, unsplit %v: the counts before the change were not read", tc, unsplit)
			}
			switch {
			case !unsplit && spy.versionsRead() > judged+2*twenty:
				t.Errorf("%+v: read the versions of %d tickets: want the %d changed twice or deleted and the page's, not the 80 corrected once too", tc, spy.versionsRead(), judged)
			case unsplit && spy.versionsRead() < judged+80-2:
				t.Errorf("%+v, the counts unknown: read the versions of %d tickets, want the %d corrected ones judged", tc, spy.versionsRead(), judged+80-1)
			}
		}
	}
}

// For an officer a restricted category is hidden from, the tickets they
// attend in the other categories are counted from the history rows, not
// judged by their versions: attending a ticket only lifts what a hidden
// category hides. So are, from the columns of the hidden category and
// of the officer's tickets, those in the hidden category they attend
// (from their second version: the first is not theirs), those they
// attended and no longer do (none of their versions), and those moved
// out of it, attended throughout or never. A ticket moved out and
// attended in part is judged (the columns cannot say which of its
// versions were both), as is a deleted one (its last version stands for
// the live ticket). The totals are those of judging every version.
func TestHistoryRows_TicketsTheReaderAttendsAreCounted(t *testing.T) {
	st := grievancetest.NewStore()
	const n = 200
	secret := func(i int) bool { return i%10 == 0 }   // still hidden: 20
	moved := func(i int) bool { return i%10 == 5 }    // hidden in version 1: 20
	handedOn := func(i int) bool { return i%40 == 0 } // secret, attended in version 2, another's in 3: 5
	const (
		inPart  = 35 // moved, attended from version 3
		movedIn = 7  // into the secret category in version 2, then deleted
	)
	var ins []grievance.TicketInput
	for i := range n {
		in := grievance.TicketInput{Category: strp(writeCategories[0]), Title: strp(fmt.Sprintf("Water point %d", i)), Priority: strp("High")}
		if secret(i) || moved(i) {
			in.Category = strp(writeCategories[2])
		}
		if !secret(i) && i%2 == 0 || i%20 == 5 { // half the others, half the moved ones
			in.AttendingStaffID = strp(officer.ID)
		}
		ins = append(ins, in)
	}
	seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
		first := grievance.TicketInput{Status: strp("OPEN")}
		second := grievance.TicketInput{Status: strp("IN_PROGRESS")}
		switch {
		case moved(i):
			first.Category = strp(writeCategories[0])
		case secret(i) && i%20 == 0:
			first.AttendingStaffID = strp(officer.ID)
		}
		switch {
		case handedOn(i):
			second.AttendingStaffID = strp(staff.ID)
		case i == inPart:
			second.AttendingStaffID = strp(officer.ID)
		case i == movedIn:
			first.Category = strp(writeCategories[2])
		}
		return []grievance.TicketInput{first, second}
	}, movedIn)
	now := rowsNow
	plain := oracle(st)
	twenty := 20
	ctx := grievance.NewContext(context.Background(), officer)
	for _, fs := range [][]grievance.Filter{
		{{Field: "title", Lookup: grievance.IContains, Value: "water"}},
		{{Field: "title", Lookup: grievance.IContains, Value: "water"}, {Field: "status", Lookup: grievance.IContains, Value: "OPEN"}},
		nil,
	} {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: []string{"-dateCreated"}, Filters: fs}
		all := rowsByPaging(t, ctx, plain, q)
		spy := &rowsSpy{Store: st}
		svc := grievance.NewService(spy, now, grievancetest.IDs(), grievance.Options{History: spy})
		got, err := svc.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got.TotalCount != all || len(got.Items) != twenty {
			t.Errorf("%v: %d rows of %d; every version judged: %d", fs, len(got.Items), got.TotalCount, all)
		}
		// Judged: the ticket moved out and attended in part and the
		// deleted one, beside the page's 7 or so tickets; with the status
		// (one version in three, a row a ticket on the page), those it
		// splits too: the 5 secret ones attended from version 2, the 10
		// moved ones never attended. Every hidden candidate judged
		// read 39, and 54 with the status.
		judged, page := 2, 10
		if len(fs) == 2 {
			judged, page = judged+15, twenty+4
		}
		if spy.versionsRead() > judged+page {
			t.Errorf("%v: read the versions of %d tickets for a page of %d: want the %d the columns cannot count and the page's", fs, spy.versionsRead(), twenty, judged)
		}
	}
}

// A history list with a title and a status filter (the client's panel
// sends both), where some titles changed, reads its page's tickets in one
// read beside the changed ones: the rows say how many tickets a page
// takes, the changed ones at the others' rate of rows to versions (a
// status passes a few of a ticket's versions). When the rows mislead
// (skewed here), the read after a short one takes about the tickets the
// missing rows need at the rate found, not four times the first read.
func TestHistoryRows_PageReadSizedByTheRows(t *testing.T) {
	st := grievancetest.NewStore()
	const n = 200
	var ins []grievance.TicketInput
	for i := range n {
		title := fmt.Sprintf("Water point (%d)", i)
		if i%20 == 0 {
			title = fmt.Sprintf("Water piont (%d)", i)
		}
		ins = append(ins, grievance.TicketInput{Category: strp(writeCategories[0]), Title: strp(title), Priority: strp("High")})
	}
	statuses := []string{"OPEN", "OPEN", "IN_PROGRESS", "RECEIVED"}
	seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
		first := grievance.TicketInput{Status: strp("OPEN")}
		if i%20 == 0 {
			first.Title = strp(fmt.Sprintf("Water point (%d)", i))
		}
		last := grievance.TicketInput{Status: strp(statuses[i%4])}
		if statuses[i%4] == "IN_PROGRESS" {
			last = grievance.TicketInput{Priority: strp("Low")}
		}
		return []grievance.TicketInput{first, {Status: strp("IN_PROGRESS")}, last}
	}, n-1)
	now := rowsNow
	twenty := 20
	// A reader the configuration hides a category from (none of whose
	// tickets is listed): the guard judges each row by its live ticket.
	ctx := grievance.NewContext(context.Background(), confOfficer)
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: []string{"-dateCreated"},
		Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "point (1"}, {Field: "status", Lookup: grievance.IContains, Value: "OPEN"}}}
	plain := oracle(st)
	all := rowsByPaging(t, ctx, plain, q)
	const judged = 5 // 100 to 180 by twenties: retitled, their status splits them
	for _, skew := range []int{0, 3} {
		spy := &rowsSpy{Store: st, skew: skew}
		svc := grievance.NewService(spy, now, grievancetest.IDs(), grievance.Options{History: spy})
		got, err := svc.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Items) != twenty || skew == 0 && got.TotalCount != all {
			t.Errorf("skew %d: %d rows of %d, want %d of %d", skew, len(got.Items), got.TotalCount, twenty, all)
		}
		t.Logf("skew %d: whole %d in %d, older %d in %d, live %d in %d", skew, spy.read, spy.reads, spy.older, spy.olderReads, spy.live, spy.liveReads)
		// The column skewed says versions the live tickets are not:
		// every ticket read beside its live one is read whole after, so
		// the tickets the page pulled are those read whole.
		read := spy.versionsRead()
		if skew != 0 {
			read = spy.read
		}
		switch {
		case skew == 0 && (spy.reads != 2 || spy.olderReads != 1):
			// The judged, and the removed ticket (not live) after.
			t.Errorf("read versions whole in %d requests (%d tickets), the older in %d: want the judged ones' and the removed one's, and the page's older in one", spy.reads, spy.read, spy.olderReads)
		case read > judged+twenty+2:
			t.Errorf("skew %d: read %d tickets' versions for a page of %d rows, %d of them judged", skew, read, twenty, judged)
		}
	}
}

// touchesAnon reports whether fs filter on a field the category Anon
// hides from readers without the confidential right.
func touchesAnon(fs []grievance.Filter) bool {
	return slices.ContainsFunc(fs, func(f grievance.Filter) bool {
		return slices.Contains([]string{"title", "description", "reporter_id", "attending_staff__id"}, f.Field)
	})
}

func seqsTo(n int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i + 1)
	}
	return out
}

// textReporters report seedTextVersions' tickets, alternately.
var textReporters = []string{"00000000-0000-4000-b000-00000000a001", "00000000-0000-4000-b000-00000000a002"}

// seedTextVersions gives st 90 tickets of 1 to 5 versions: a third titled
// "water …", the rest "road …", half with a late payment described, in
// every category, reported by two people in turn; some change title or
// description (into and out of what the tests search) or their reporter,
// statuses move, one is deleted.
func seedTextVersions(t *testing.T, st *grievancetest.Store) {
	t.Helper()
	var ins []grievance.TicketInput
	for i := range 90 {
		title := fmt.Sprintf("road %d", i)
		if i%3 == 0 {
			title = fmt.Sprintf("Water point %d", i)
		}
		desc := "no water at the tap"
		if i%2 == 0 {
			desc = "late payment of the transfer"
		}
		ins = append(ins, grievance.TicketInput{Category: strp(writeCategories[i%4]), Title: strp(title), Description: strp(desc), Priority: strp([]string{"High", "Medium", "Low"}[i%3]),
			ReporterType: strp("individual"), ReporterID: strp(textReporters[i%2])})
	}
	for _, id := range textReporters {
		st.AddPeople(grievance.Person{ID: id, Type: grievance.PersonIndividual, FirstName: "Reporter"})
	}
	seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
		steps := []grievance.TicketInput{
			{Status: strp("OPEN")},
			{Status: strp("IN_PROGRESS")},
			{Status: strp("RESOLVED")},
			{Status: strp("OPEN")},
		}
		switch i % 10 {
		case 1:
			steps[1].Title = strp(fmt.Sprintf("water road %d", i)) // into "water"
		case 3:
			steps[0].Title = strp(fmt.Sprintf("point %d", i)) // out of "water"
		case 4:
			steps[2].Description = strp("payment was late") // out of "late pay"
		case 5:
			steps[0].Description = strp("late payment again") // into "late pay"
		case 7:
			steps[0].Category = strp(writeCategories[(i+2)%4]) // into or out of "Secret…"
			steps[1].Priority = strp("High")
		case 8, 9:
			steps[1].AttendingStaffID = strp(staff.ID) // attended from the second step
		case 6:
			steps[0].ReporterID = strp(textReporters[1]) // from the first reporter to the second
		}
		return steps[:i%5]
	}, 30)
}

// A ticket's history rows only move forward: the higher version wins and
// a flag once set stays, whichever write comes last.
func TestMergeHistoryRows_KeepsTheHigherVersionAndEveryFlag(t *testing.T) {
	title, desc := grievance.TextChanged("title"), grievance.TextChanged("description")
	v := grievance.HistoryRowsValue
	for _, tc := range []struct {
		name            string
		cur, next, want uint16
	}{
		{"unknown takes the write", 0, v(3, 0), v(3, 0)},
		{"a write of nothing keeps the number", v(3, title), 0, v(3, title)},
		{"a newer version", v(2, 0), v(5, 0), v(5, 0)},
		{"a replayed older version", v(5, 0), v(2, 0), v(5, 0)},
		{"flags of both", v(5, title), v(2, desc), v(5, title|desc)},
		{"partial stays", v(4, grievance.RowsPartial), v(6, 0), v(6, grievance.RowsPartial)},
		{"past the column: partial", 0, v(1<<14, 0), v(1<<13-1, grievance.RowsPartial)},
	} {
		if got := grievance.MergeHistoryRows(tc.cur, tc.next); got != tc.want {
			t.Errorf("%s: merge(%#x, %#x) = %#x, want %#x", tc.name, tc.cur, tc.next, got, tc.want)
		}
	}
	if grievance.TextChanged("code") != 0 || title == desc || title == grievance.RowsPartial {
		t.Errorf("flags: title %d, description %d, code %d", title, desc, grievance.TextChanged("code"))
	}
}

// A container remembers the values versions held; a value a version took
// since is read with the list, its column too, so the count from the
// rows has its versions.
func TestHistoryRows_CountAValueTakenSinceTheLastList(t *testing.T) {
	st := grievancetest.NewStore()
	seedTextVersions(t, st)
	now := rowsNow
	spy := &rowsSpy{Store: st}
	svc := grievance.NewService(spy, now, grievancetest.IDs(), grievance.Options{History: spy})
	plain := oracle(st)
	three := 3
	q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &three}, OrderBy: []string{"-dateCreated"},
		Filters: []grievance.Filter{
			{Field: "title", Lookup: grievance.IContains, Value: "road"},
			{Field: "priority", Lookup: grievance.IContains, Value: "crit"},
		}}
	ctx := grievance.NewContext(context.Background(), admin)
	got, err := svc.ListTickets(ctx, q)
	if err != nil || got.TotalCount != 0 {
		t.Fatalf("before any critical ticket: %d rows, %v", got.TotalCount, err)
	}
	w := &world{st: st, svc: svc}
	twenty := 20
	list, err := svc.ListTickets(ctx, grievance.TicketQuery{Page: grievance.PageArgs{First: &twenty}, Filters: []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "road"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range list.Items[:12] {
		// Two versions critical, then not.
		for _, in := range []grievance.TicketInput{{Priority: strp("Critical")}, {Description: strp("critical again")}, {Priority: strp("Low")}} {
			in.ID = tk.ID
			if err := w.do(admin, "updateTicket", func(ctx context.Context) (*grievance.Write, error) { return svc.UpdateTicket(ctx, in) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := rowsByPaging(t, ctx, plain, q)
	got, err = svc.ListTickets(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	spy.skew = 1
	skewed, err := svc.ListTickets(ctx, q)
	spy.skew = 0
	if err != nil {
		t.Fatal(err)
	}
	if want != 24 || got.TotalCount != want || skewed.TotalCount == want {
		t.Errorf("totalCount %d (%d with the columns skewed); every version judged: %d (want 24)", got.TotalCount, skewed.TotalCount, want)
	}
}

// A history list the postings do not narrow (every version, newest
// first) judges each row by its live ticket when the configuration hides
// anything: the live tickets are read a group at a time, not one request
// a ticket.
func TestHistoryList_ReadsLiveTicketsInGroups(t *testing.T) {
	st := grievancetest.NewStore()
	seedTextVersions(t, st)
	spy := &rowsSpy{Store: st}
	now := rowsNow
	svc := grievance.NewService(spy, now, grievancetest.IDs(), grievance.Options{History: spy})
	for _, first := range []int{3, 20, 100} {
		for _, reader := range []*grievance.Principal{officer, viewer, staff} {
			spy.single = 0
			q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &first}, OrderBy: []string{"-dateCreated"}}
			got, err := svc.ListTickets(grievance.NewContext(context.Background(), reader), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Items) != min(first, got.TotalCount) || spy.single > 0 {
				t.Errorf("%s, first %d: %d rows of %d, %d live tickets read one by one", reader.Username, first, len(got.Items), got.TotalCount, spy.single)
			}
		}
	}
}

// TestHistoryList_TellsEachRowsLiveVersion: a history list hands isHistory
// the live version of each row's ticket from what it read (the guard's
// live tickets where the configuration restricts anything, else the
// versions a search read whole or the history scan met first), the
// version LiveVersions would read (0: none the reader sees), and leaves
// no row's ticket to read.
func TestHistoryList_TellsEachRowsLiveVersion(t *testing.T) {
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	now := rowsNow
	for _, config := range []struct{ name, doc string }{
		{"restricted", writeConfig},
		{"nothing restricted", `{"grievance_types": ["Open", "Anon", "Secret", "SecretAnon"]}`},
	} {
		st := grievancetest.NewStore()
		seedTextVersions(t, st)
		st.SetConfigDocument([]byte(config.doc))
		svc := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: st})
		for _, tc := range []struct {
			name string
			fs   []grievance.Filter
		}{
			{"every version", nil},
			{"title", []grievance.Filter{f("title", grievance.IContains, "water")}},
			{"description and status", []grievance.Filter{f("description", grievance.IContains, "late pay"), f("status", grievance.IContains, "OPEN")}},
			{"category", []grievance.Filter{f("category", grievance.Exact, writeCategories[2])}},
		} {
			for _, reader := range []*grievance.Principal{admin, officer, gbvOfficer, viewer} {
				ctx := grievance.NewContext(context.Background(), reader)
				first := 100
				got, err := svc.ListTickets(ctx, grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: tc.fs, Page: grievance.PageArgs{First: &first}, OrderBy: []string{"-dateCreated"}})
				if err != nil {
					t.Fatal(err)
				}
				if reader == admin && len(got.Items) == 0 {
					t.Fatalf("%s, %s: no rows to check", config.name, tc.name)
				}
				var ids []string
				for _, row := range got.Items {
					ids = append(ids, row.ID)
				}
				live, err := svc.LiveVersions(ctx, ids)
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range got.Items {
					v, known := got.LiveVersions[row.ID]
					if !known {
						t.Errorf("%s, %s, %s: ticket %d's live version not known", config.name, tc.name, reader.Username, row.Seq)
						continue
					}
					want := 0
					if l := live[row.ID]; l != nil {
						want = l.Version
					}
					if v != want {
						t.Errorf("%s, %s, %s: ticket %d told live version %d, LiveVersions reads %d", config.name, tc.name, reader.Username, row.Seq, v, want)
					}
				}
			}
		}
	}
}

// historyPagerSpy counts the history scans from the top and from a row,
// and counts the tickets whose versions a search read.
type historyPagerSpy struct {
	*grievancetest.Store
	mu               sync.Mutex // a list reads versions beside each other
	fromTop, fromRow int
	read             int
}

func (s *historyPagerSpy) VersionsBySeq(ctx context.Context, seqs []int64) (map[int64][]*grievance.Ticket, error) {
	s.mu.Lock()
	s.read += len(seqs)
	s.mu.Unlock()
	return s.Store.VersionsBySeq(ctx, seqs)
}

func (s *historyPagerSpy) ScanTicketHistory(ctx context.Context, id string, fn func(*grievance.Ticket) (bool, error)) error {
	if id == "" {
		s.fromTop++
	}
	return s.Store.ScanTicketHistory(ctx, id, fn)
}

func (s *historyPagerSpy) ScanTicketHistoryAfter(ctx context.Context, seq int64, version int, fn func(*grievance.Ticket) (bool, error)) error {
	s.fromRow++
	return s.Store.ScanTicketHistoryAfter(ctx, seq, version, fn)
}

// The next-page button on a history list: every page from the last one's
// cursor, concatenated, is the whole list (a ticket's versions cut across
// pages included), each page with the whole count and the live version
// of every row it tells; pages after the first start after the cursor's
// row instead of scanning from the newest version again.
func TestHistoryList_NextPagesStartAfterTheCursor(t *testing.T) {
	now := rowsNow
	for _, config := range []struct{ name, doc string }{
		{"restricted", writeConfig},
		{"nothing restricted", `{"grievance_types": ["Open", "Anon", "Secret", "SecretAnon"]}`},
	} {
		for _, reader := range []*grievance.Principal{admin, officer, gbvOfficer, viewer} {
			for _, fc := range []struct {
				name string
				fs   []grievance.Filter
			}{
				{"every version", nil},
				{"title", []grievance.Filter{{Field: "title", Lookup: grievance.IContains, Value: "water"}}},
				{"description and status", []grievance.Filter{{Field: "description", Lookup: grievance.IContains, Value: "late pay"}, {Field: "status", Lookup: grievance.IContains, Value: "OPEN"}}},
			} {
				st := &historyPagerSpy{Store: grievancetest.NewStore()}
				seedTextVersions(t, st.Store)
				st.SetConfigDocument([]byte(config.doc))
				svc := grievance.NewService(st, now, grievancetest.IDs(), grievance.Options{History: st})
				ctx := grievance.NewContext(context.Background(), reader)
				query := func(first int, after string) *grievance.Page[*grievance.Ticket] {
					p, err := svc.ListTickets(ctx, grievance.TicketQuery{Mode: grievance.ModeHistory, Filters: fc.fs, WantCount: true, Page: grievance.PageArgs{First: &first, After: after}, OrderBy: []string{"-dateCreated"}})
					if err != nil {
						t.Fatal(err)
					}
					return p
				}
				rowKey := func(r *grievance.Ticket) string { return fmt.Sprintf("%d.%d", r.Seq, r.Version) }
				all := query(100, "")
				var want []string
				for _, r := range all.Items {
					want = append(want, rowKey(r))
				}
				var got []string
				after, secondRead := "", 0
				st.fromTop, st.fromRow = 0, 0
				for n := 1; n <= 40; n++ {
					st.read = 0
					p := query(3, after)
					if n == 2 {
						secondRead = st.read
					} else if n > 2 && st.read > secondRead+3 {
						// Flat from page 2 on. (Page 1 reads the candidates the count
						// judges as its own rows; later pages read them beside.)
						t.Errorf("%s, %s, %s: page %d read the versions of %d tickets, page 2 of %d", config.name, reader.Username, fc.name, n, st.read, secondRead)
					}
					if p.TotalCount != all.TotalCount {
						t.Fatalf("%s, %s, %s: page %d totalCount %d, want %d", config.name, reader.Username, fc.name, n, p.TotalCount, all.TotalCount)
					}
					for _, r := range p.Items {
						got = append(got, rowKey(r))
						if v, known := p.LiveVersions[r.ID]; known && v != liveVersion(t, svc, ctx, r.ID) {
							t.Errorf("%s, %s: page %d tells ticket %d's live version %d, LiveVersions reads %d", config.name, reader.Username, n, r.Seq, v, liveVersion(t, svc, ctx, r.ID))
						}
					}
					if !p.HasNextPage || len(got) >= len(want) {
						break
					}
					after = p.Cursor(len(p.Items) - 1)
				}
				// The whole list is its first 100 rows (a page's most).
				if !slices.Equal(got[:min(len(got), len(want))], want) || len(got) < len(want) {
					t.Errorf("%s, %s, %s: pages %v\nwant  %v", config.name, reader.Username, fc.name, got, want)
				}
				// (A reader the sight rule affects may be served another way.)
				plain := st.fromTop+st.fromRow > 0 || reader == admin
				if plain && fc.fs == nil && len(want) > 3 && (st.fromTop != 1 || st.fromRow == 0) {
					t.Errorf("%s, %s: %d scans from the top and %d from a row, want 1 and the rest", config.name, reader.Username, st.fromTop, st.fromRow)
				}
			}
		}
	}
}

// liveVersion is ticket id's live version as the reader's LiveVersions
// reads it (0: none they see).
func liveVersion(t *testing.T, svc *grievance.Service, ctx context.Context, id string) int {
	t.Helper()
	live, err := svc.LiveVersions(ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if l := live[id]; l != nil {
		return l.Version
	}
	return 0
}

// A history text list by the staff picker with a status or category,
// whose candidates were attended at their second version and moved
// between statuses (the staff and the status both split their versions),
// counts them from the staff member's pair columns instead of reading
// their versions: the same totalCount as judging every version. Tickets
// whose pairs the rows do not know (indexed before them) are judged, as
// are those that changed category too under a status and category list.
func TestHistoryRows_CountsTheStaffWithAStatusBothChanged(t *testing.T) {
	st := grievancetest.NewStore()
	const n = 120
	seedHistory(t, st, waterPoints(n, "High"), func(i int) []grievance.TicketInput {
		who := []*grievance.Principal{staff, ally}[i%3%2]
		steps := []grievance.TicketInput{
			{Status: strp("OPEN")},
			{Status: strp("IN_PROGRESS"), AttendingStaffID: strp(who.ID)},
			{Status: strp("OPEN")},
		}
		if i%4 == 3 {
			steps[2].Category = strp(writeCategories[(i+1)%2]) // recategorised under the staff member
		}
		return steps
	}, 7)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	mine := f("attending_staff__id", grievance.Exact, staff.ID)
	// judged: of the staff member's 80, the candidates the pairs cannot
	// count (changed in three fields, or deleted).
	checkPairCounts(t, st, n, []pairCase{
		{"status", []grievance.Filter{f("title", grievance.IContains, "water"), f("status", grievance.IContains, "OPEN"), mine}, 1, 70, false},
		{"two statuses", []grievance.Filter{f("title", grievance.IContains, "point"), f("status", grievance.IContains, "o"), mine}, 1, 70, false},
		{"category lookup", []grievance.Filter{f("title", grievance.IContains, "water"), f("category", grievance.IContains, writeCategories[1][:3]), mine}, 1, 18, false},
		{"status and category", []grievance.Filter{f("title", grievance.IContains, "water"), f("status", grievance.IContains, "OPEN"), f("category", grievance.Exact, writeCategories[0]), mine}, 21, 38, false},
		// Received before they attended any: no row, and no candidate
		// read for the page.
		{"a status never theirs", []grievance.Filter{f("title", grievance.IContains, "water"), f("status", grievance.IContains, "RECEIVED"), mine}, 1, 70, true},
	})
}

// pairCase is a history list whose candidates' two filtered fields both
// changed: judged, the most candidates whose versions it may read beyond
// the page's, those the pairs cannot count; unpaired, the fewest it
// reads with the pairs unknown (both fields split); none, a list that
// holds no row.
type pairCase struct {
	name             string
	fs               []grievance.Filter
	judged, unpaired int
	none             bool
}

// checkPairCounts lists each case's first 20 rows with totalCount, with
// st's pairs known and then forgotten for its first n tickets: the same
// totalCount as judging every version, reading the versions of the
// candidates the pairs cannot count and the page's only, and of those
// that changed both fields when the pairs are unknown.
func checkPairCounts(t *testing.T, st *grievancetest.Store, n int64, cases []pairCase) {
	t.Helper()
	plain := oracle(st)
	twenty := 20
	ctx := grievance.NewContext(context.Background(), admin)
	for _, tc := range cases {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: []string{"-dateCreated"}, Filters: tc.fs}
		all := rowsByPaging(t, ctx, plain, q)
		if (all == 0) != tc.none {
			t.Fatalf("%s: %d rows, want none: %v", tc.name, all, tc.none)
		}
		for _, forget := range []bool{false, true} {
			if forget {
				st.ForgetPairs(seqsTo(n)...)
			}
			spy := &rowsSpy{Store: st}
			svc := grievance.NewService(spy, rowsNow, grievancetest.IDs(), grievance.Options{History: spy})
			got, err := svc.ListTickets(ctx, q)
			st.ForgetPairs()
			if err != nil {
				t.Fatalf("%s, forget %v: %v", tc.name, forget, err)
			}
			if got.TotalCount != all {
				t.Errorf("%s, forget %v: totalCount %d; every version judged: %d", tc.name, forget, got.TotalCount, all)
			}
			switch {
			case !forget && all == 0 && spy.versionsRead() > tc.judged:
				t.Errorf("%s: no row, yet read the versions of %d tickets: want the %d judged only", tc.name, spy.versionsRead(), tc.judged)
			case !forget && spy.versionsRead() > tc.judged+2*twenty:
				t.Errorf("%s: read the versions of %d tickets: want the %d the pairs cannot count and the page's", tc.name, spy.versionsRead(), tc.judged)
			case forget && spy.versionsRead() < tc.unpaired:
				t.Errorf("%s, the pairs unknown: read the versions of %d tickets, want those that changed both judged", tc.name, spy.versionsRead())
			}
		}
	}
}

// Ensure a history list by a text, the status and a priority (or a
// category) counts the candidates whose status and priority (or
// category) both changed from the status's pair columns, without reading
// their versions: only those that changed a third field filtered on (or
// were deleted) are judged, and with the pairs unknown every candidate
// that changed both is judged again.
func TestHistoryRows_CountsAStatusWithAPriorityBothChanged(t *testing.T) {
	st := grievancetest.NewStore()
	const n = 120
	seedHistory(t, st, waterPoints(n, "Medium"), func(i int) []grievance.TicketInput {
		steps := []grievance.TicketInput{
			{Status: strp("OPEN")},
			{Status: strp("IN_PROGRESS"), Priority: strp("High")},
			{Status: strp("OPEN")},
		}
		if i%4 == 3 {
			steps[2].Category = strp(writeCategories[(i+1)%2]) // recategorised when reopened
		}
		return steps
	}, 7)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	title, open := f("title", grievance.IContains, "water"), f("status", grievance.IContains, "OPEN")
	// judged: the candidates the pairs cannot count (deleted).
	checkPairCounts(t, st, n, []pairCase{
		{"status and priority", []grievance.Filter{title, open, f("priority", grievance.Exact, "High")}, 1, 100, false},
		{"two statuses and a priority lookup", []grievance.Filter{title, f("status", grievance.IContains, "o"), f("priority", grievance.IContains, "hig")}, 1, 100, false},
		{"status and category", []grievance.Filter{title, open, f("category", grievance.Exact, writeCategories[0])}, 1, 25, false},
		// Those recategorised changed all three: the triples count them.
		{"status, priority and category", []grievance.Filter{title, open, f("priority", grievance.Exact, "High"), f("category", grievance.Exact, writeCategories[0])}, 1, 90, false},
		{"status, priority and category without a text", []grievance.Filter{open, f("priority", grievance.Exact, "High"), f("category", grievance.IContains, "anon")}, 1, 90, false},
	})
}

// Ensure a history list by a text, a category and a priority counts the
// candidates whose category and priority both changed from the
// category's pair columns, without reading their versions, also beside a
// status filter all their versions pass, and those that changed the
// status too from the triples: only the deleted one is judged, and with
// the pairs unknown every candidate that changed both is judged again.
func TestHistoryRows_CountsACategoryWithAPriorityBothChanged(t *testing.T) {
	st := grievancetest.NewStore()
	const n = 120
	seedHistory(t, st, waterPoints(n, "Medium"), func(i int) []grievance.TicketInput {
		steps := []grievance.TicketInput{
			{Priority: strp("High")},
			{Category: strp(writeCategories[(i+1)%2]), Priority: strp("Low")}, // moved, and its priority with it
		}
		if i%4 == 3 {
			steps = append(steps, grievance.TicketInput{Status: strp("OPEN")})
		}
		return steps
	}, 7)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	title, open := f("title", grievance.IContains, "water"), f("category", grievance.Exact, writeCategories[0])
	checkPairCounts(t, st, n, []pairCase{
		{"category and priority", []grievance.Filter{title, open, f("priority", grievance.Exact, "High")}, 1, 100, false},
		{"a category lookup and two priorities", []grievance.Filter{title, f("category", grievance.IContains, "pe"), f("priority", grievance.IContains, "i")}, 1, 100, false},
		{"a received status, category and priority", []grievance.Filter{title, f("status", grievance.IContains, "received"), open, f("priority", grievance.Exact, "High")}, 1, 90, false},
		{"the category at the priority it moved with", []grievance.Filter{title, open, f("priority", grievance.Exact, "Low")}, 1, 50, false},
	})
}

// Ensure a history list by value filters alone whose fields one kind of
// pair column counts together (the whole panel's status, category and
// priority: two value filters are counted by the counts of versions)
// counts its candidates from that kind's columns only, reading no single
// column and no other pair, with the same totalCount as judging every
// version, judging the few tickets the pairs did not count; and that on
// a table whose pairs were not counted it reads every column within the
// same list, counts the same, and reads them all at once in that
// container's next list.
func TestHistoryRows_AValueListCountsByItsPairsAlone(t *testing.T) {
	st := grievancetest.NewStore()
	const n = 120
	seedReopened(t, st, n)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	open := f("status", grievance.IContains, "OPEN")
	cases := []struct {
		name   string
		fs     []grievance.Filter
		family string // what every column read names
	}{
		{"the whole panel", []grievance.Filter{open, f("category", grievance.IContains, "pe"), f("priority", grievance.IContains, "hig")}, grievance.TripleField(grievance.StatusOpen, writeCategories[0])},
		{"four statuses, a category and a priority", []grievance.Filter{f("status", grievance.IContains, "o"), f("category", grievance.Exact, writeCategories[1]), f("priority", grievance.IContains, "hi")}, "priority@@@@"},
		{"four statuses and a category (every priority accepted)", []grievance.Filter{f("status", grievance.IContains, "o"), f("category", grievance.Exact, writeCategories[1]), f("priority", grievance.IContains, "i")}, "category@@"},
		{"a status, a category and a priority received", []grievance.Filter{f("status", grievance.IContains, "IN_PROG"), f("category", grievance.IContains, "anon"), f("priority", grievance.Exact, "High")}, grievance.TripleField(grievance.StatusInProgress, writeCategories[1])},
	}
	plain := oracle(st)
	twenty := 20
	ctx := grievance.NewContext(context.Background(), admin)
	pairsMarker := "attending_staff__id=" + grievance.PairsValue
	for _, tc := range cases {
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: []string{"-dateCreated"}, Filters: tc.fs}
		all := rowsByPaging(t, ctx, plain, q)
		if all == 0 {
			t.Fatalf("%s: no row to count", tc.name)
		}
		list := func(svc *grievance.Service, spy *rowsSpy, when string) {
			t.Helper()
			spy.columns, spy.read = nil, 0
			got, err := svc.ListTickets(ctx, q)
			if err != nil {
				t.Fatalf("%s, %s: %v", tc.name, when, err)
			}
			if got.TotalCount != all {
				t.Errorf("%s, %s: totalCount %d; every version judged: %d", tc.name, when, got.TotalCount, all)
			}
		}
		spy := &rowsSpy{Store: st}
		svc := grievance.NewService(spy, rowsNow, grievancetest.IDs(), grievance.Options{History: spy})
		list(svc, spy, "pairs counted")
		if len(spy.columns) == 0 {
			t.Fatalf("%s: read no column: the list is not counted by the history rows", tc.name)
		}
		for _, c := range spy.columns {
			if !strings.HasPrefix(c, tc.family) && c != pairsMarker {
				t.Errorf("%s: read the column %s; want the pairs %s… and their marker only", tc.name, c, tc.family)
			}
		}
		if spy.versionsRead() > 2*twenty {
			t.Errorf("%s: read the versions of %d tickets; want the page's only", tc.name, spy.versionsRead())
		}

		// A few tickets indexed before the pairs: judged, the pairs
		// still read alone.
		st.ForgetPairs(seqsTo(5)...)
		list(svc, spy, "five tickets' pairs not counted")
		st.ForgetPairs()
		for _, c := range spy.columns {
			if !strings.HasPrefix(c, tc.family) && c != pairsMarker {
				t.Errorf("%s, five tickets' pairs not counted: read the column %s; want the pairs %s… and their marker only", tc.name, c, tc.family)
			}
		}

		st.ForgetPairs(seqsTo(n)...)
		spy = &rowsSpy{Store: st}
		svc = grievance.NewService(spy, rowsNow, grievancetest.IDs(), grievance.Options{History: spy})
		list(svc, spy, "pairs not counted")
		first := slices.Clone(spy.columns)
		list(svc, spy, "pairs not counted, the container's next list")
		st.ForgetPairs()
		singles := func(cols []string) int {
			k := 0
			for _, c := range cols {
				if field, _, _ := strings.Cut(c, "="); !strings.Contains(field, "@") && c != pairsMarker {
					k++
				}
			}
			return k
		}
		if singles(first) == 0 || singles(spy.columns) == 0 {
			t.Errorf("%s: with the pairs not counted, read %v and then %v: want the single columns read", tc.name, first, spy.columns)
		}
		if len(spy.columns) >= len(first) {
			t.Errorf("%s: the next list read %d columns, the first %d: want it to skip the pairs-only attempt", tc.name, len(spy.columns), len(first))
		}
	}
}

// Ensure a history list by a title, a status and a priority counts by
// the status's pairs alone, and reads the single columns only when more
// than a few candidates' titles changed once (beside the page, to tell
// which field splits each: the status alone, or both, judged), with the
// same totalCount as judging every version either way.
func TestHistoryRows_ATextListReadsTheSinglesOnlyForChangedTexts(t *testing.T) {
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	fs := []grievance.Filter{f("title", grievance.IContains, "point"), f("status", grievance.IContains, "OPEN"), f("priority", grievance.Exact, "High")}
	for _, corrected := range []bool{false, true} {
		st := grievancetest.NewStore()
		const n = 120
		ins := waterPoints(n, "High")
		for i := range ins {
			if corrected && i%4 == 0 {
				ins[i].Title = strp(fmt.Sprintf("Water piont %d", i)) // corrected later
			}
			if i%8 == 0 {
				ins[i].Priority = strp("Low")
			}
		}
		seedHistory(t, st, ins, func(i int) []grievance.TicketInput {
			fixed := strp(fmt.Sprintf("Water point %d", i))
			if i%8 == 0 {
				// Opened while Low, High from the correction on: the
				// status and the priority both split its versions, and
				// its OPEN version before the correction is no row.
				steps := []grievance.TicketInput{{Status: strp("OPEN")}, {Priority: strp("High")}, {Status: strp("IN_PROGRESS")}}
				if corrected {
					steps[1].Title = fixed
				}
				return steps
			}
			steps := []grievance.TicketInput{{Status: strp("OPEN")}, {Status: strp("IN_PROGRESS")}, {Status: strp("OPEN")}}
			if corrected && i%4 == 0 {
				steps[0].Title = fixed // the status alone splits its versions
			}
			return steps
		}, 7)
		twenty := 20
		ctx := grievance.NewContext(context.Background(), admin)
		q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &twenty}, OrderBy: []string{"-dateCreated"}, Filters: fs}
		all := rowsByPaging(t, ctx, oracle(st), q)
		spy := &rowsSpy{Store: st}
		svc := grievance.NewService(spy, rowsNow, grievancetest.IDs(), grievance.Options{History: spy})
		got, err := svc.ListTickets(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got.TotalCount != all {
			t.Errorf("corrected %v: totalCount %d; every version judged: %d", corrected, got.TotalCount, all)
		}
		singles := 0
		for _, c := range spy.columns {
			if c == "status=OPEN" || c == "priority=High" {
				singles++
			}
		}
		if (singles > 0) != corrected {
			t.Errorf("corrected %v: read the single columns %d times (%v): want them only for the corrected titles", corrected, singles, spy.columns)
		}
		// Of the 30 corrected, the 15 whose priority changed too are
		// judged, with the page's.
		if want := 15 + 2*twenty; corrected && spy.versionsRead() > want {
			t.Errorf("read the versions of %d tickets: want the %d judged and the page's", spy.versionsRead(), 15)
		}
	}
}

// seedReopened gives st n water points opened, taken in progress at a
// High priority by one of two officers and reopened, one in four
// recategorised when reopened; ticket 7 is deleted.
func seedReopened(t *testing.T, st *grievancetest.Store, n int) {
	t.Helper()
	seedHistory(t, st, waterPoints(n, "Medium"), func(i int) []grievance.TicketInput {
		who := []*grievance.Principal{staff, ally}[i%3%2]
		steps := []grievance.TicketInput{
			{Status: strp("OPEN")},
			{Status: strp("IN_PROGRESS"), Priority: strp("High"), AttendingStaffID: strp(who.ID)},
			{Status: strp("OPEN")},
		}
		if i%4 == 3 {
			steps[2].Category = strp(writeCategories[(i+1)%2]) // recategorised when reopened
		}
		return steps
	}, 7)
}

// Ensure a history page whose candidates the columns all counted reads
// the versions of exactly the tickets that hold its rows (and the row
// after, to know there is more; 4 at least), in one request: no margin
// of tickets read for nothing.
func TestHistoryRows_APageTheColumnsCountedReadsExactlyItsTickets(t *testing.T) {
	st := grievancetest.NewStore()
	seedReopened(t, st, 120)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	for _, fs := range [][]grievance.Filter{
		{f("status", grievance.IContains, "OPEN"), f("category", grievance.IContains, "pe"), f("priority", grievance.IContains, "med")},
		{f("title", grievance.IContains, "water"), f("status", grievance.IContains, "OPEN")},
		{f("title", grievance.IContains, "point 1")},
	} {
		for _, first := range []int{20, 7} {
			q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &first}, OrderBy: []string{"-dateCreated"}, Filters: fs}
			more := first + 1
			for _, rd := range readings {
				st.SetConfigDocument([]byte(rd.config))
				ctx := grievance.NewContext(context.Background(), rd.reader)
				want, err := oracle(st).ListTickets(ctx, grievance.TicketQuery{Mode: q.Mode, Page: grievance.PageArgs{First: &more}, OrderBy: q.OrderBy, Filters: fs})
				if err != nil {
					t.Fatal(err)
				}
				tickets := map[int64]bool{}
				for _, r := range want.Items {
					tickets[r.Seq] = true
				}
				// A read takes 4 tickets at least (inOrder's batcher).
				wantTickets := max(len(tickets), 4)
				spy := &rowsSpy{Store: st}
				svc := grievance.NewService(spy, rowsNow, grievancetest.IDs(), grievance.Options{History: spy})
				got, err := svc.ListTickets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if pageRows(got) != pageRows(&grievance.Page[*grievance.Ticket]{Items: want.Items[:min(first, len(want.Items))]}) {
					t.Errorf("%v, first %d: rows %s, want %s", fs, first, pageRows(got), pageRows(want))
				}
				switch {
				case !rd.guarded && (spy.read != wantTickets || spy.reads != 1 || spy.live != 0):
					t.Errorf("%v, first %d, %s: read the versions of %d tickets in %d requests, %d live; want the %d holding the page's rows and the next, in one, none live", fs, first, rd.name, spy.read, spy.reads, spy.live, wantTickets)
				case rd.guarded && (spy.reads != 0 || spy.live != wantTickets || spy.liveReads != 1 || spy.olderReads > 1 || spy.older > wantTickets):
					// The live tickets judge the rows: read beside the
					// older versions, they stand for the newest.
					t.Errorf("%v, first %d, %s: %d live tickets in %d requests, the older versions of %d in %d, the versions of %d whole; want the %d live in one, their older versions in at most one, none whole", fs, first, rd.name, spy.live, spy.liveReads, spy.older, spy.olderReads, spy.read, wantTickets)
				}
			}
		}
	}
}

// plainConfig restricts nothing: the guard reads no live ticket.
const plainConfig = `{"grievance_types": ["Open", "Anon", "Secret", "SecretAnon"]}`

// readings are the configurations and readers a history list's reads
// are checked with: nothing restricted; a category hidden from the reader
// (none of the listed tickets is in it), so the guard judges each row by
// its live ticket; and a configuration that restricts, read by a reader
// cleared for every category (an administrator, an officer holding the
// restricted categories' right and the confidential one), which reads
// as if it restricted nothing.
var readings = []struct {
	name    string
	config  string
	reader  *grievance.Principal
	guarded bool // the live tickets judge the rows
}{
	{"nothing restricted", plainConfig, admin, false},
	{"a category hidden from the reader", writeConfig, confOfficer, true},
	{"a reader cleared for every category", writeConfig, admin, false},
	{"an officer holding every category's right", writeConfig, specialist, false},
}

// Ensure every pair column's name says the field it counts and its
// partner, whatever the partner's value holds (a staff id or a category
// with an "@" or "=" is hashed), and no other name passes for one.
func TestRowPairOf_NamesEachPairColumn(t *testing.T) {
	for _, tc := range []struct {
		name, field, partner string
	}{
		{grievance.StaffPairField("status", "00000000-0000-4000-b000-000000000001"), "status", "attending_staff__id"},
		{grievance.StaffPairField("priority", "officer@example.org"), "priority", "attending_staff__id"},
		{grievance.StatusPairField("category", grievance.StatusInProgress), "category", "status"},
		{grievance.CategoryPairField("priority", "Water & sanitation"), "priority", "category"},
		{grievance.CategoryPairField("priority", "a@b=c"), "priority", "category"},
		{grievance.CategoryPairField("priority", strings.Repeat("long ", 20)), "priority", "category"},
		{grievance.TripleField(grievance.StatusOpen, "Water & sanitation"), "priority", grievance.TriplePartner},
		{grievance.TripleField(grievance.StatusResolved, "a@b=c"), "priority", grievance.TriplePartner},
		{"status@@@Default", "", ""},         // the category pairs count the priority only
		{"category@@@@OPEN@Default", "", ""}, // the triples count the priority only
		{"priority@@@@OPEN", "", ""},         // no category
		{"priority@@@@LATE@Default", "", ""}, // no such status
		{"priority@@", "", ""},               // no status
		{"priority@@@", "", ""},              // no category
		{"category@@@a@b", "", ""},           // an unhashed "@"
		{"title", "", ""},
	} {
		field, partner, ok := grievance.RowPairOf(tc.name)
		if ok != (tc.field != "") || ok && (field != tc.field || partner != tc.partner) {
			t.Errorf("RowPairOf(%q) = %q, %q, %v; want %q, %q", tc.name, field, partner, ok, tc.field, tc.partner)
		}
	}
}

// waterPoints are n tickets titled "Water point <i>" at priority, in the
// first two categories in turn.
func waterPoints(n int, priority string) []grievance.TicketInput {
	ins := make([]grievance.TicketInput, n)
	for i := range ins {
		ins[i] = grievance.TicketInput{Category: strp(writeCategories[i%2]), Title: strp(fmt.Sprintf("Water point %d", i)), Priority: strp(priority)}
	}
	return ins
}

// Ensure a history list by two value filters or more whose candidates
// the history rows count reads only the newest version of a candidate
// they count one row for and whose live ticket holds the filters' values
// (its one row), and the versions of the others: the same rows and
// totalCount as judging every version, also when the newest version read
// is not a row (the History table behind the postings: those tickets'
// versions are read after). Lists the rows do not count per ticket (two
// value filters the counts of versions count) and one value filter read
// versions as before.
func TestHistoryRows_ALiveRowAloneReadsOnlyTheNewestVersion(t *testing.T) {
	st := grievancetest.NewStore()
	seedReopened(t, st, 60)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	panel := []grievance.Filter{f("status", grievance.IContains, "OPEN"), f("category", grievance.IContains, "pe"), f("priority", grievance.IContains, "high")}
	first := 10
	for _, tc := range []struct {
		name   string
		fs     []grievance.Filter
		behind []int // rows (by place on the page) whose ticket's newest version reads as the one before
		newest bool  // the page's candidates are read newest version alone
	}{
		{"the whole panel", panel, nil, true},
		{"the whole panel, History behind", panel, []int{0, 2}, true},
		{"a title with a status and the staff member", []grievance.Filter{f("title", grievance.IContains, "water"), f("status", grievance.IContains, "OPEN"), f("attending_staff__id", grievance.Exact, staff.ID)}, nil, true},
		{"a row before the live version", []grievance.Filter{f("status", grievance.IContains, "OPEN"), f("category", grievance.IContains, "pe"), f("priority", grievance.IContains, "med")}, nil, false},
		{"two value filters the counts of versions count", []grievance.Filter{f("status", grievance.IContains, "OPEN"), f("priority", grievance.IContains, "high")}, nil, false},
		{"one value filter", []grievance.Filter{f("priority", grievance.IContains, "high")}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &first}, OrderBy: []string{"-dateCreated"}, Filters: tc.fs}
			// Unguarded: the newest version alone is read from the
			// History table; guarded, the live ticket read for the guard
			// stands for it, and no version is read.
			for _, rd := range readings {
				st.SetConfigDocument([]byte(rd.config))
				ctx := grievance.NewContext(context.Background(), rd.reader)
				want, err := oracle(st).ListTickets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(want.Items) < 3 {
					t.Fatalf("%d rows: the case checks too little", len(want.Items))
				}
				spy := &rowsSpy{Store: st, behind: map[int64]bool{}}
				for _, i := range tc.behind {
					spy.behind[want.Items[i].Seq] = true
				}
				svc := grievance.NewService(spy, rowsNow, grievancetest.IDs(), grievance.Options{History: spy})
				got, err := svc.ListTickets(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if pageRows(got) != pageRows(want) || got.TotalCount != want.TotalCount {
					t.Fatalf("rows %v (total %d), want %v (%d)", pageRows(got), got.TotalCount, pageRows(want), want.TotalCount)
				}
				t.Logf("newest alone %d, versions of %d tickets, older versions of %d", spy.newest, spy.read, spy.older)
				switch {
				case rd.guarded && tc.newest && (spy.newest != 0 || spy.read != 0 || spy.older != 0 || spy.live < len(want.Items)):
					t.Errorf("%s: read the newest version alone of %d tickets, the versions of %d, the older versions of %d, %d live; want the page's %d live alone", rd.name, spy.newest, spy.read, spy.older, spy.live, len(want.Items))
				case rd.guarded && spy.newest != 0:
					t.Errorf("%s: read the newest version alone of %d tickets; want none (the live ones stand for it)", rd.name, spy.newest)
				case !rd.guarded && tc.newest && (spy.newest < len(want.Items) || spy.read != len(tc.behind) || spy.live != 0):
					t.Errorf("%s: read the newest version alone of %d tickets, the versions of %d, %d live; want the page's %d, the versions of the %d behind, none live", rd.name, spy.newest, spy.read, spy.live, len(want.Items), len(tc.behind))
				case !rd.guarded && !tc.newest && spy.newest != 0:
					t.Errorf("%s: read the newest version alone of %d tickets; want none", rd.name, spy.newest)
				}
			}
		})
	}
}

// pageRows names a page's rows, ticket and version, in order.
func pageRows(p *grievance.Page[*grievance.Ticket]) string {
	var out []string
	for _, r := range p.Items {
		out = append(out, fmt.Sprintf("%d@%d", r.Seq, r.Version))
	}
	return strings.Join(out, " ")
}

// Ensure that where the guard reads each row's live ticket (a
// configuration that restricts anything), a history list takes that
// ticket for the newest version the history rows count and reads only
// the older versions: the same rows and totalCount as judging every
// version, for every reader. Where the column is behind the History
// table or ahead of it (lag, skew), a ticket whose live version is not
// the column's is read whole after, and the rows are still the same.
func TestHistoryList_TheLiveTicketStandsForTheNewestVersion(t *testing.T) {
	st := grievancetest.NewStore()
	seedReopened(t, st, 60)
	f := func(field string, l grievance.Lookup, v string) grievance.Filter {
		return grievance.Filter{Field: field, Lookup: l, Value: v}
	}
	taken := 0
	for _, tc := range []struct {
		name      string
		lag, skew int
	}{{"in step", 0, 0}, {"column behind", 1, 0}, {"column ahead", 0, 1}} {
		for _, fs := range [][]grievance.Filter{
			{f("status", grievance.IContains, "OPEN")},
			{f("title", grievance.IContains, "water")},
			nil,
		} {
			for _, reader := range []*grievance.Principal{admin, officer, gbvOfficer, viewer} {
				for _, first := range []int{10, 100} {
					ctx := grievance.NewContext(context.Background(), reader)
					q := grievance.TicketQuery{Mode: grievance.ModeHistory, WantCount: true, Page: grievance.PageArgs{First: &first}, OrderBy: []string{"-dateCreated"}, Filters: fs}
					want, err := oracle(st).ListTickets(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					spy := &rowsSpy{Store: st, lag: tc.lag, skew: tc.skew}
					svc := grievance.NewService(spy, rowsNow, grievancetest.IDs(), grievance.Options{History: spy})
					got, err := svc.ListTickets(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					where := fmt.Sprintf("%s, %v, %s, first %d", tc.name, fs, reader.Username, first)
					if pageRows(got) != pageRows(want) {
						t.Errorf("%s: rows %s, want %s", where, pageRows(got), pageRows(want))
					}
					if tc.lag == 0 && tc.skew == 0 && got.TotalCount != want.TotalCount {
						t.Errorf("%s: total %d, want %d", where, got.TotalCount, want.TotalCount)
					}
					if spy.older == 0 {
						continue // the list did not read by the column
					}
					taken++
					if tc.lag == 0 && tc.skew == 0 && spy.read > 1 {
						// One ticket is removed: it alone is read whole.
						t.Errorf("%s: the versions of %d tickets read whole beside the older versions of %d; want the removed one at most", where, spy.read, spy.older)
					}
					tickets := map[int64]bool{}
					for _, r := range want.Items {
						tickets[r.Seq] = true
					}
					if (tc.lag != 0 || tc.skew != 0) && spy.read < len(tickets) {
						t.Errorf("%s: the versions of %d tickets read whole; want every ticket whose live version the column does not say (the page's %d)", where, spy.read, len(tickets))
					}
				}
			}
		}
	}
	if taken == 0 {
		t.Fatal("no list read the older versions beside the live tickets: the case checks nothing")
	}
	t.Logf("%d lists read the older versions beside the live tickets", taken)
}
