package grievance

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// HistorySortIndexed are the orders a HistorySorter keeps every ticket
// version in: the web client's sortable columns but the code, which is
// the history's own number order.
var HistorySortIndexed = []string{"title", "priority", "status", "category", "reporter_id", "version"}

// HistorySorter is a history store that keeps every ticket version in the
// order of each of HistorySortIndexed, so that a showHistory list ordered
// by one of the web client's columns reads a page, not every version.
type HistorySorter interface {
	// ScanTicketHistorySorted calls fn for the ticket versions (removal
	// rows left out) in r.SortBy's order: its SortValue ascending, or
	// descending with r.Descending, then newest ticket and version first
	// in either direction (compareTickets), after the row r.After,
	// r.AfterValue and r.AfterVersion name when r.After is set.
	// r.PageHint is the rows the caller expects to take. keep, when set,
	// says from a version's status, category, priority, reporter and
	// attending staff alone (the other fields empty) whether the caller
	// may want it: the others may be skipped unread (r.Share, the part
	// of them the caller expects to keep, sizes the reads).
	// keep's error ends the walk with it.
	ScanTicketHistorySorted(ctx context.Context, r TicketRange, keep func(*Ticket) (bool, error), fn func(*Ticket) (bool, error)) error
	// HistorySortsComplete reports whether every ticket version is in the
	// sort indexes: false on a table written before them, until the
	// backfill's count pass. It never goes back to false.
	HistorySortsComplete(ctx context.Context) (bool, error)
}

// historySorted reads a showHistory list ordered by a column of
// HistorySortIndexed from the store's sort index of it, when one serves
// the list: a column no category hides from the reader (sortIndexFor),
// value filters alone (the index items carry their fields, so those they
// reject are passed over unfetched; each version fetched is judged by
// them, the guard and the reader's rights as any row), and a totalCount
// the counts of versions give (versionCount) or none. nil otherwise: the
// list reads the history and sorts it in memory, within the read budget,
// as before. isHistory compares each row with its ticket's live version,
// the page's live tickets read after it (the history rows column would
// save most of those items, but it trails the records it would judge).
func (s *Service) historySorted(ctx context.Context, pl *ticketPlan, g *guard) (rows[*Ticket], error) {
	hs, ok := s.history.(HistorySorter)
	if !ok || pl.q.Version != 0 || len(pl.order) != 1 || !slices.Contains(HistorySortIndexed, pl.order[0].field) ||
		sortIndexFor(pl.order, g) == "" || pl.q.WantCount && pl.versionCount == nil || pl.w.needAll {
		return nil, nil
	}
	for _, f := range pl.fs {
		if !slices.Contains(ValueIndexedFields, f.Field) {
			return nil, nil
		}
	}
	done, err := s.historySorts.ask(func() (bool, error) { return hs.HistorySortsComplete(ctx) })
	if err != nil || !done {
		return nil, err
	}
	field, desc := pl.order[0].field, pl.order[0].desc
	r := TicketRange{By: RangeSorted, SortBy: field, Descending: desc, PageHint: maxScanPage}
	// Keyset paging: the next page starts after the previous page's last
	// row (its value, number and version) instead of reading every row
	// before it; an offset or another list's cursor reads from the top.
	after := pl.w.after.sorted(field, desc) && pl.w.after.version > 0 && pl.q.Page.Offset == 0
	if after {
		r.After, r.AfterValue, r.AfterVersion = pl.w.after.seq, pl.w.after.value, pl.w.after.version
		pl.w.startAfter()
	}
	if pl.w.first >= 0 {
		// The page's rows, one more to know whether there is a next
		// page, and the rows skipped before.
		r.PageHint = pl.w.first + 1
		if !after {
			r.PageHint += pl.w.lower
		}
	}
	pl.sortKeyed, pl.versionKeyed = field, true
	pl.native, pl.desc = true, desc
	if len(pl.fs) == 0 && pl.staffIDs == nil {
		return func(fn func(*Ticket) (bool, error)) error { return hs.ScanTicketHistorySorted(ctx, r, nil, fn) }, nil
	}
	// Every filter is on a field the index items tell. The items a
	// sparse filter passes over are bounded as the versions read are
	// (budgeted): an index item is about a tenth of a version, so
	// ten times as many read about as many bytes.
	skipped, kept, most := 0, 0, historySkipFactor*s.historyReadBudget
	keep := func(t *Ticket) (bool, error) {
		if matchesTicket(pl.fs, pl.staffIDs, t) {
			kept++
			return true, nil
		}
		if skipped++; skipped > most {
			return false, historyLimit(s.historyReadBudget)
		}
		return false, nil
	}
	if r.Share = historyShare(pl.fs, pl.staffIDs); r.Share == 0 {
		// A status filter no status passes: no row to walk for.
		return func(func(*Ticket) (bool, error)) error { return nil }, nil
	}
	// The share the same filters kept last time, for a container
	// that walked them lately (the client sends a list again as its
	// user pages or sorts): the first read is sized to hold the page.
	key := fmt.Sprintf("history sorted %v %v", pl.fs, slices.Sorted(maps.Keys(pl.staffIDs)))
	if share, ok := s.searchRates.share(key, s.now()); ok {
		r.Share = share
	}
	return func(fn func(*Ticket) (bool, error)) error {
		err := hs.ScanTicketHistorySorted(ctx, r, keep, fn)
		if err == nil {
			s.searchRates.learn(key, kept, kept+skipped, s.now())
		}
		return err
	}, nil
}

// historySkipFactor is how many index items a history list ordered by
// a column may pass over per version of its read budget.
const historySkipFactor = 10

// historyShare guesses the part of the versions value filters keep, to
// size the first reads of a sort index (the reads after are sized by the
// part they kept): the statuses a status filter passes of the five, a
// quarter for a category or priority, a twentieth for a staff member or
// reporter; 0 when no status passes.
func historyShare(fs []Filter, staffIDs map[string]bool) float64 {
	share := 1.0
	if staffIDs != nil {
		share = 0.05
	}
	for _, f := range fs {
		switch f.Field {
		case "status":
			v, _ := f.Value.(string)
			n := 0
			for _, st := range Statuses {
				if matchText(string(st), f.Lookup, v) {
					n++
				}
			}
			share = min(share, float64(n)/float64(len(Statuses)))
		case "category", "priority":
			share = min(share, 0.25)
		default:
			share = min(share, 0.05)
		}
	}
	return share
}
