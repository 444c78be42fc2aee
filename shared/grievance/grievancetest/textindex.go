package grievancetest

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/redress-grm/redress/shared/grievance"
)

var _ grievance.TextIndex = (*Store)(nil)

// Postings implements grievance.TextIndex from the stored tickets, always
// up to date (the DynamoDB adapter's index trails the stream).
func (s *Store) Postings(ctx context.Context, keys []grievance.PostingKey) (map[grievance.PostingKey]*grievance.SeqSet, error) {
	if err := s.fail("Postings"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[grievance.PostingKey]*grievance.SeqSet, len(keys))
	for _, k := range keys {
		out[k] = &grievance.SeqSet{}
	}
	for _, t := range s.bySeq {
		if t == nil {
			continue
		}
		for _, k := range keys {
			if k == grievance.HistoryAll {
				out[k].Add(t.Seq)
				continue
			}
			if field, ok := strings.CutPrefix(k.Field, "r:"); ok {
				// A text a change replaced: a version followed by one
				// with another text.
				vs := s.history[t.ID]
				for i := 1; i < len(vs); i++ {
					if grievance.IndexedText(vs[i-1], field) != grievance.IndexedText(vs[i], field) && holds(vs[i-1], grievance.PostingKey{Field: field, Gram: k.Gram}) {
						out[k].Add(t.Seq)
						break
					}
				}
				continue
			}
			if field, ok := strings.CutPrefix(k.Field, "v1:"); ok {
				// Filed with the value: the first version held it.
				if s.unfiled[t.Seq] {
					continue
				}
				for _, v := range s.history[t.ID] {
					if v.Version == 1 && slices.Contains(grievance.FiledFields, field) && holds(v, grievance.PostingKey{Field: field, Gram: k.Gram}) {
						out[k].Add(t.Seq)
					}
				}
				continue
			}
			field, ok := strings.CutPrefix(k.Field, "h:")
			if !ok {
				continue
			}
			inner := grievance.PostingKey{Field: field, Gram: k.Gram}
			for _, v := range s.history[t.ID] {
				if holds(v, inner) {
					out[k].Add(t.Seq)
					break
				}
			}
		}
		if t.IsDeleted {
			continue
		}
		grams := map[string]map[string]bool{}
		for _, k := range keys {
			if strings.HasPrefix(k.Field, "h:") || strings.HasPrefix(k.Field, "r:") || strings.HasPrefix(k.Field, "v1:") {
				continue
			}
			if k.Field == grievance.LiveField {
				out[k].Add(t.Seq)
				continue
			}
			if f, ok := grievance.LiveTextFieldOf(k); ok {
				if slices.Contains(grievance.LiveTextKeys(f, grievance.LiveIndexedValue(t, f)), k) {
					out[k].Add(t.Seq)
				}
				continue
			}
			if v := grievance.IndexedValue(t, k.Field); slices.Contains(grievance.ValueIndexedFields, k.Field) {
				if v != "" && k == grievance.ValueKey(k.Field, v) {
					out[k].Add(t.Seq)
				}
				continue
			}
			if grams[k.Field] == nil {
				grams[k.Field] = map[string]bool{}
				for _, g := range grievance.Grams(grievance.IndexedText(t, k.Field)) {
					grams[k.Field][g] = true
				}
			}
			if grams[k.Field][k.Gram] {
				out[k].Add(t.Seq)
			}
		}
	}
	return out, nil
}

// holds reports whether t's text or value is in posting k.
func holds(t *grievance.Ticket, k grievance.PostingKey) bool {
	if slices.Contains(grievance.ValueIndexedFields, k.Field) {
		v := grievance.IndexedValue(t, k.Field)
		return v != "" && k == grievance.ValueKey(k.Field, v) // as the store: empty values have no posting
	}
	return slices.Contains(grievance.Grams(grievance.IndexedText(t, k.Field)), k.Gram)
}

// LiveTicketsBySeq implements grievance.TextIndex.
func (s *Store) LiveTicketsBySeq(ctx context.Context, seqs []int64, spare int) (map[int64]*grievance.Ticket, error) {
	if err := s.fail("LiveTicketsBySeq"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64]*grievance.Ticket, len(seqs))
	for _, n := range seqs {
		if n < 1 || int(n) > len(s.bySeq) {
			continue
		}
		if t := s.bySeq[n-1]; t != nil && !t.IsDeleted {
			out[n] = cloneTicket(t)
		}
	}
	return out, nil
}

var _ grievance.VersionIndex = (*Store)(nil)

// VersionsBySeq implements grievance.VersionIndex.
func (s *Store) VersionsBySeq(ctx context.Context, seqs []int64) (map[int64][]*grievance.Ticket, error) {
	if err := s.fail("VersionsBySeq"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64][]*grievance.Ticket, len(seqs))
	for _, n := range seqs {
		if n < 1 || int(n) > len(s.bySeq) || s.bySeq[n-1] == nil {
			continue
		}
		vs := s.history[s.bySeq[n-1].ID]
		for i := len(vs) - 1; i >= 0; i-- {
			out[n] = append(out[n], cloneTicket(vs[i]))
		}
	}
	return out, nil
}

// NewestVersionsBySeq implements grievance.VersionIndex.
func (s *Store) NewestVersionsBySeq(ctx context.Context, seqs []int64) (map[int64]*grievance.Ticket, error) {
	vs, err := s.VersionsBySeq(ctx, seqs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*grievance.Ticket, len(vs))
	for n, v := range vs {
		if len(v) > 0 {
			out[n] = v[0]
		}
	}
	return out, nil
}

// VersionsWithin implements grievance.VersionIndex.
func (s *Store) VersionsWithin(ctx context.Context, spans map[int64]grievance.VersionSpan) (map[int64][]*grievance.Ticket, error) {
	if err := s.fail("VersionsWithin"); err != nil {
		return nil, err
	}
	seqs := slices.Collect(maps.Keys(spans))
	vs, err := s.VersionsBySeq(ctx, seqs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64][]*grievance.Ticket, len(spans))
	for n, sp := range spans {
		for _, t := range vs[n] {
			if sp.Holds(t.Version) {
				out[n] = append(out[n], t)
			}
		}
	}
	return out, nil
}

var _ grievance.VersionCounter = (*Store)(nil)

// SetVersionCountsComplete sets what VersionCountsComplete answers
// (true unless a test says otherwise), as a table upgraded from before
// the counts answers false until its backfill.
func (s *Store) SetVersionCountsComplete(ok bool) { s.setFlag(&s.countsIncomplete, !ok) }

// VersionCountsComplete implements grievance.VersionCounter.
func (s *Store) VersionCountsComplete(ctx context.Context) (bool, error) {
	return s.complete("VersionCountsComplete", &s.countsIncomplete)
}

// SetVersionPairsComplete sets what VersionPairsComplete answers (true
// unless a test says otherwise), as a table counted before the pairs
// answers false until its backfill.
func (s *Store) SetVersionPairsComplete(ok bool) { s.setFlag(&s.pairsIncomplete, !ok) }

// VersionPairsComplete implements grievance.VersionCounter.
func (s *Store) VersionPairsComplete(ctx context.Context) (bool, error) {
	return s.complete("VersionPairsComplete", &s.pairsIncomplete)
}

// VersionCounts implements grievance.VersionCounter from the recorded
// versions, always up to date (the DynamoDB adapter's counts trail the
// stream).
func (s *Store) VersionCounts(ctx context.Context, ask map[string][]string) (map[string]map[string]int, error) {
	if err := s.fail("VersionCounts"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]map[string]int, len(ask))
	for f := range ask {
		out[f] = map[string]int{}
	}
	for _, t := range s.bySeq {
		if t == nil {
			continue
		}
		for _, v := range s.history[t.ID] {
			for _, k := range grievance.VersionCountKeys(v) {
				vs, asked := ask[k.Field]
				if asked && (vs == nil || slices.Contains(vs, k.Value)) {
					out[k.Field][k.Value]++
				}
			}
		}
	}
	return out, nil
}

var _ grievance.HeldValueLister = (*Store)(nil)

// SetHeldValuesComplete sets whether HeldValues lists the values (true
// unless a test says otherwise), as a table counted before the values'
// dictionary answers not ok until its backfill.
func (s *Store) SetHeldValuesComplete(ok bool) { s.setFlag(&s.heldIncomplete, !ok) }

// HeldValues implements grievance.HeldValueLister from the recorded
// versions, always up to date.
func (s *Store) HeldValues(ctx context.Context, fields []string) (map[string][]string, bool, error) {
	if ok, err := s.complete("HeldValues", &s.heldIncomplete); err != nil || !ok {
		return nil, false, err
	}
	ask := make(map[string][]string, len(fields))
	for _, f := range fields {
		ask[f] = nil
	}
	counts, err := s.VersionCounts(ctx, ask)
	if err != nil {
		return nil, false, err
	}
	out := make(map[string][]string, len(counts))
	for f, byValue := range counts {
		out[f] = slices.Sorted(maps.Keys(byValue))
	}
	return out, true, nil
}

var _ grievance.OrderIndex = (*Store)(nil)

// OrderBuckets implements grievance.OrderIndex from the stored tickets,
// always up to date: limit groups a call (whatever their size), so tests
// walk several calls.
func (s *Store) OrderBuckets(ctx context.Context, field string, desc bool, after string, limit int) ([]grievance.OrderBucket, string, error) {
	if err := s.fail("OrderBuckets"); err != nil {
		return nil, "", err
	}
	return s.orderBuckets(field, desc, after, false, limit)
}

// OrderBucketsFrom implements grievance.OrderFromIndex.
func (s *Store) OrderBucketsFrom(ctx context.Context, field string, desc bool, from string, limit int) ([]grievance.OrderBucket, string, error) {
	if err := s.fail("OrderBucketsFrom"); err != nil {
		return nil, "", err
	}
	return s.orderBuckets(field, desc, from, true, limit)
}

// orderBuckets gives the groups after the group after, or from it on when
// from is set.
func (s *Store) orderBuckets(field string, desc bool, after string, from bool, limit int) ([]grievance.OrderBucket, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.OrderGroupsPerCall > 0 {
		limit = min(limit, s.OrderGroupsPerCall)
	}
	grams, byGram := s.orderGroups(field)
	if desc {
		slices.Reverse(grams)
	}
	var out []grievance.OrderBucket
	for _, g := range grams {
		// c: where g sorts against after in the list's order.
		c := strings.Compare(g, after)
		if desc {
			c = -c
		}
		if after != "" && (c < 0 || c == 0 && !from) {
			continue
		}
		if len(out) == max(limit, 1) {
			return out, out[len(out)-1].Gram, nil
		}
		out = append(out, grievance.OrderBucket{Gram: g, Members: byGram[g]})
	}
	return out, "", nil
}

// orderGroups returns field's groups: their grams, ascending, and
// members. s.mu is held.
func (s *Store) orderGroups(field string) ([]string, map[string]*grievance.SeqSet) {
	byGram := map[string]*grievance.SeqSet{}
	for _, t := range s.bySeq {
		if t == nil || t.IsDeleted {
			continue
		}
		g := grievance.OrderKey(field, grievance.SortValue(t, field)).Gram
		if byGram[g] == nil {
			byGram[g] = &grievance.SeqSet{}
		}
		byGram[g].Add(t.Seq)
	}
	return slices.Sorted(maps.Keys(byGram)), byGram
}

// SetOrderPostingsComplete sets what OrderPostingsComplete answers (true
// unless a test says otherwise), as a table indexed before the order
// postings answers false until its backfill.
func (s *Store) SetOrderPostingsComplete(ok bool) { s.setFlag(&s.ordersIncomplete, !ok) }

// OrderPostingsComplete implements grievance.OrderIndex.
func (s *Store) OrderPostingsComplete(ctx context.Context) (bool, error) {
	return s.complete("OrderPostingsComplete", &s.ordersIncomplete)
}

var _ grievance.OrderRunIndex = (*Store)(nil)

// OrderRuns implements grievance.OrderRunIndex from the stored tickets,
// always up to date: whole groups, a run closed once it holds
// OrderRunMembers tickets (4 when unset), so tests cross many runs; a
// group of more is a run alone (a group run), listing its tickets up to
// OrderRunGroupMin, else giving them as a set.
func (s *Store) OrderRuns(ctx context.Context, field string) ([]grievance.OrderRun, error) {
	if err := s.fail("OrderRuns"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	size := cmp.Or(s.OrderRunMembers, 4)
	large := cmp.Or(s.OrderRunGroupMin, 2*size)
	grams, byGram := s.orderGroups(field)
	out := []grievance.OrderRun{{From: ""}}
	// Each run's members' ranks, and how many groups it holds.
	rankOf, groups := []map[int64]uint8{{}}, []int{0}
	for _, g := range grams {
		m := byGram[g]
		if m.Len() > large {
			out = append(out, grievance.OrderRun{From: g, Group: g, Members: m.Clone()})
			rankOf, groups = append(rankOf, map[int64]uint8{}), append(groups, 0)
			continue
		}
		switch r := out[len(out)-1]; {
		case m.Len() > size:
			out = append(out, grievance.OrderRun{From: g, Group: g})
			rankOf, groups = append(rankOf, map[int64]uint8{}), append(groups, 0)
		case r.Group != "" || len(r.Seqs) >= size:
			out = append(out, grievance.OrderRun{From: g})
			rankOf, groups = append(rankOf, map[int64]uint8{}), append(groups, 0)
		}
		i := len(out) - 1
		r := &out[i]
		m.Range(0, m.Max(), false, func(n int64) bool {
			r.Seqs = append(r.Seqs, n)
			rankOf[i][n] = uint8(groups[i])
			return true
		})
		groups[i]++
		slices.Sort(r.Seqs)
	}
	if s.OrderRunsUnranked {
		return out, nil
	}
	// As the store ranks them: a run of several groups, not one group's,
	// by its parts.
	for i, r := range out {
		if r.Group != "" || groups[i] < 2 {
			continue
		}
		out[i].Ranks = make([]uint8, len(r.Seqs))
		for j, n := range r.Seqs {
			out[i].Ranks[j] = grievance.RunPart(int(rankOf[i][n]), groups[i])
		}
	}
	return out, nil
}

// SetOrderRunsComplete sets what OrderRunsComplete answers (true unless
// a test says otherwise).
func (s *Store) SetOrderRunsComplete(ok bool) { s.setFlag(&s.runsIncomplete, !ok) }

// OrderRunsComplete implements grievance.OrderRunIndex.
func (s *Store) OrderRunsComplete(ctx context.Context, field string) (bool, error) {
	return s.complete("OrderRunsComplete", &s.runsIncomplete)
}

var _ grievance.DueDayIndex = (*Store)(nil)

// DueDays implements grievance.DueDayIndex from the stored tickets,
// always up to date (deleted tickets are not indexed).
func (s *Store) DueDays(ctx context.Context) ([]uint16, error) {
	return s.column("DueDays", func(t *grievance.Ticket) uint16 { return grievance.DayOf(t.DueDate) })
}

// column is a column of numbers of every live ticket (of), by number,
// as the store's are; op names it for failures.
func (s *Store) column(op string, of func(*grievance.Ticket) uint16) ([]uint16, error) {
	if err := s.fail(op); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]uint16, len(s.bySeq)+1)
	for _, t := range s.bySeq {
		if t != nil && !t.IsDeleted {
			out[t.Seq] = of(t)
		}
	}
	return out, nil
}

// SetDueDaysComplete sets what DueDaysComplete answers (true unless a
// test says otherwise).
func (s *Store) SetDueDaysComplete(ok bool) { s.setFlag(&s.daysIncomplete, !ok) }

// DueDaysComplete implements grievance.DueDayIndex.
func (s *Store) DueDaysComplete(ctx context.Context) (bool, error) {
	return s.complete("DueDaysComplete", &s.daysIncomplete)
}

var _ grievance.SLAPeriodIndex = (*Store)(nil)

// SLAPeriods implements grievance.SLAPeriodIndex from the stored
// tickets, always up to date (deleted tickets are not indexed).
func (s *Store) SLAPeriods(ctx context.Context) ([]uint16, error) {
	return s.column("SLAPeriods", grievance.PeriodOf)
}

// SetSLAPeriodsComplete sets what SLAPeriodsComplete answers (true
// unless a test says otherwise).
func (s *Store) SetSLAPeriodsComplete(ok bool) { s.setFlag(&s.periodsIncomplete, !ok) }

// SLAPeriodsComplete implements grievance.SLAPeriodIndex.
func (s *Store) SLAPeriodsComplete(ctx context.Context) (bool, error) {
	return s.complete("SLAPeriodsComplete", &s.periodsIncomplete)
}

var _ grievance.DateDayIndex = (*Store)(nil)

// DateDays implements grievance.DateDayIndex from the stored tickets,
// always up to date (deleted tickets are not indexed).
func (s *Store) DateDays(ctx context.Context, field string) ([]uint16, error) {
	return s.column("DateDays", func(t *grievance.Ticket) uint16 {
		return grievance.DateDay(field, grievance.LiveIndexedValue(t, field))
	})
}

// SetDateDaysComplete sets what DateDaysComplete answers (true unless a
// test says otherwise).
func (s *Store) SetDateDaysComplete(ok bool) { s.setFlag(&s.dateDaysIncomplete, !ok) }

// DateDaysComplete implements grievance.DateDayIndex.
func (s *Store) DateDaysComplete(ctx context.Context) (bool, error) {
	return s.complete("DateDaysComplete", &s.dateDaysIncomplete)
}

var _ grievance.LiveTextIndex = (*Store)(nil)

// SetLiveTextsComplete sets whether LiveTextsIndexed answers
// grievance.LiveTextsVersion (it does unless a test says otherwise) or 0.
func (s *Store) SetLiveTextsComplete(ok bool) {
	v := 0
	if ok {
		v = grievance.LiveTextsVersion
	}
	s.SetLiveTextsIndexed(v)
}

// SetLiveTextsIndexed sets what LiveTextsIndexed answers: a table
// indexed under version v of the live postings.
func (s *Store) SetLiveTextsIndexed(v int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.liveTextsBehind = grievance.LiveTextsVersion - v
}

// LiveTextsIndexed implements grievance.LiveTextIndex.
func (s *Store) LiveTextsIndexed(ctx context.Context) (int, error) {
	if err := s.fail("LiveTextsIndexed"); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return grievance.LiveTextsVersion - s.liveTextsBehind, nil
}

var _ grievance.HistoryRowIndex = (*Store)(nil)

// HistoryRows implements grievance.HistoryRowIndex from the recorded
// versions, always up to date.
func (s *Store) HistoryRows(ctx context.Context) ([]uint16, error) {
	return s.historyColumn("HistoryRows", func(t *grievance.Ticket, vs []*grievance.Ticket) uint16 {
		var flags grievance.RowFlags
		if s.rowsPartial[t.Seq] {
			flags |= grievance.RowsPartial
		}
		for i := 1; i < len(vs); i++ {
			for _, f := range grievance.TextIndexedFields {
				if grievance.IndexedText(vs[i], f) != grievance.IndexedText(vs[i-1], f) {
					flags |= grievance.TextChanged(f)
				}
			}
		}
		return grievance.HistoryRowsValue(len(vs), flags)
	})
}

// HistoryValueRows implements grievance.HistoryRowIndex from the
// recorded versions.
func (s *Store) HistoryValueRows(ctx context.Context, field, value string) ([]uint16, error) {
	if slices.Contains(grievance.TextIndexedFields, field) {
		return s.textRows(field, value)
	}
	if f, text, ok := grievance.FirstRowsOf(field); ok {
		return s.firstRows(f, text, value)
	}
	if _, _, ok := grievance.RowPairOf(field); ok {
		return s.historyColumn("HistoryValueRows", func(t *grievance.Ticket, vs []*grievance.Ticket) uint16 {
			if s.pairsUnknown[t.Seq] {
				return 0 // indexed before the pairs: none counted
			}
			n := uint16(0)
			for _, v := range vs {
				keys := grievance.RowPairKeys(func(f string) string { return grievance.IndexedValue(v, f) })
				if slices.Contains(keys, grievance.VersionCountKey{Field: field, Value: value}) {
					n++
				}
			}
			return n
		})
	}
	if field == "attending_staff__id" && value == grievance.PairsValue {
		return s.historyColumn("HistoryValueRows", func(t *grievance.Ticket, vs []*grievance.Ticket) uint16 {
			if s.pairsUnknown[t.Seq] {
				return 0
			}
			return uint16(len(vs))
		})
	}
	unchanged := value == grievance.UnchangedValue && slices.Contains(grievance.RowUnchangedFields, field)
	return s.historyColumn("HistoryValueRows", func(_ *grievance.Ticket, vs []*grievance.Ticket) uint16 {
		n := uint16(0)
		for i, v := range vs {
			switch {
			case unchanged && (i == 0 || grievance.IndexedValue(v, field) == grievance.IndexedValue(vs[i-1], field)):
				n++
			case !unchanged && grievance.IndexedValue(v, field) == value:
				n++
			}
		}
		return n
	})
}

// HistoryValueRowsWithin implements grievance.HistoryRowIndex: the
// numbers outside lo to hi are 0, as a store that reads only the blocks
// holding the others may answer, so that a list reading a ticket it did
// not ask for fails here.
func (s *Store) HistoryValueRowsWithin(ctx context.Context, field, value string, lo, hi int64) ([]uint16, error) {
	col, err := s.HistoryValueRows(ctx, field, value)
	for i := range col {
		if int64(i) < lo || int64(i) > hi {
			col[i] = 0
		}
	}
	return col, err
}

// textRows is a text field's grievance.ChangesValue, FirstValue or
// FirstSplitValue column: the versions that changed the text of the
// version before, or how many came before the first change (0: none),
// past it grievance.LastChange (past as many changes as it says, the
// last number it said).
func (s *Store) textRows(field, value string) ([]uint16, error) {
	return s.historyColumn("HistoryValueRows", func(_ *grievance.Ticket, vs []*grievance.Ticket) uint16 {
		changes, followed, at := lastChange(vs, field)
		switch {
		case value == grievance.ChangesValue:
			return uint16(changes)
		case followed > 1:
			v, _ := grievance.LastChange(followed, at)
			return v
		}
		return uint16(at)
	})
}

// firstRows is a grievance.FirstRowsField column: how many of the
// versions before text's last change the counts follow held value in
// field (0: no change).
func (s *Store) firstRows(field, text, value string) ([]uint16, error) {
	return s.historyColumn("HistoryValueRows", func(_ *grievance.Ticket, vs []*grievance.Ticket) uint16 {
		_, _, at := lastChange(vs, text)
		n := uint16(0)
		for _, v := range vs[:at] {
			if grievance.IndexedValue(v, field) == value {
				n++
			}
		}
		return n
	})
}

// lastChange counts the changes of text across vs, and says the last
// one the counts follow (up to grievance.LastChange's last): how many
// changes it made and its version's index in vs (0, 0: none).
func lastChange(vs []*grievance.Ticket, text string) (changes, followed, at int) {
	for i := 1; i < len(vs); i++ {
		if grievance.IndexedText(vs[i], text) == grievance.IndexedText(vs[i-1], text) {
			continue
		}
		changes++
		if _, ok := grievance.LastChange(changes, i); ok || changes == 1 {
			followed, at = changes, i
		}
	}
	return changes, followed, at
}

// historyColumn is a column of the history rows: each ticket's number
// from its recorded versions (op names it for the failures a test sets).
func (s *Store) historyColumn(op string, of func(t *grievance.Ticket, vs []*grievance.Ticket) uint16) ([]uint16, error) {
	if err := s.fail(op); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]uint16, len(s.bySeq)+1)
	for _, t := range s.bySeq {
		if t != nil {
			out[t.Seq] = of(t, s.history[t.ID])
		}
	}
	return out, nil
}

// ForgetPairs makes the history rows' pairs unknown for the
// tickets seqs, as for tickets indexed before them.
func (s *Store) ForgetPairs(seqs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pairsUnknown = map[int64]bool{}
	for _, n := range seqs {
		s.pairsUnknown[n] = true
	}
}

// SetHistoryRowsPartial makes HistoryRows say the tickets seqs are
// partial, as for tickets from before the column.
func (s *Store) SetHistoryRowsPartial(seqs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rowsPartial = map[int64]bool{}
	for _, n := range seqs {
		s.rowsPartial[n] = true
	}
}

// SetHistoryRowsComplete sets what HistoryRowsComplete answers (true
// unless a test says otherwise).
func (s *Store) SetHistoryRowsComplete(ok bool) { s.setFlag(&s.rowsIncomplete, !ok) }

// HistoryRowsComplete implements grievance.HistoryRowIndex.
func (s *Store) HistoryRowsComplete(ctx context.Context) (bool, error) {
	return s.complete("HistoryRowsComplete", &s.rowsIncomplete)
}

// SetUnfiled makes the tickets numbered seqs absent from every filed
// posting, as a table indexed before them holds its tickets until the
// history pass, and FiledPostingsComplete deny it.
func (s *Store) SetUnfiled(seqs ...int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unfiled = map[int64]bool{}
	for _, n := range seqs {
		s.unfiled[n] = true
	}
	s.filedIncomplete = true
}

var _ grievance.FiledIndex = (*Store)(nil)

// FiledPostingsComplete implements grievance.FiledIndex.
func (s *Store) FiledPostingsComplete(ctx context.Context) (bool, error) {
	return s.complete("FiledPostingsComplete", &s.filedIncomplete)
}

// setFlag sets one of the store's flags.
func (s *Store) setFlag(f *bool, v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*f = v
}

// complete answers a completeness check op: its failure when a test set
// one, else whether the flag incomplete denies it.
func (s *Store) complete(op string, incomplete *bool) (bool, error) {
	if err := s.fail(op); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return !*incomplete, nil
}
