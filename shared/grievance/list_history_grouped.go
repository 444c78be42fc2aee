package grievance

import (
	"cmp"
	"maps"
	"slices"
)

// historyGroups orders a history list's candidates by a column of few
// values (sortedByValue: status, category, priority) from the history
// postings of its values, read beside the filters' own (or by the
// version, from the history rows: versionGroups): the tickets of
// each value's posting are a group, and the rows are the group's
// versions holding that value, group after group in the order's
// sequence, each group newest ticket and version first (the order's
// ties). A page then reads the versions of the first groups' newest
// candidates, not every candidate's versions sorted in memory (a text
// filter's candidates were 346 versions read at 10,000 tickets, about
// 3,300 at 100,000), and not a walk of the column's sort index passing
// over every ticket the filters leave out (a text's candidates often lie
// among the oldest tickets, which the walk reaches last).
//
// A ticket whose versions held several values is in several groups; its
// versions are read once. A version posted by the stream consumer a few
// seconds late is listed under its value once posted, as a text filter's
// candidates are; every row is judged by every filter, the guard and the
// rights as any history row, so none that does not match is listed.
type historyGroups struct {
	field string
	desc  bool
	// vals are the groups' values in the order's sequence; sets their
	// tickets among the candidates. The versions without a value have no
	// posting: their group (descending only, where it comes last) is
	// every candidate, each judged by its versions' values.
	vals []string
	sets []*SeqSet
	// nums are the version order's groups' numbers (vals as numbers).
	nums []int
	// exact, when set (the version order), reads each ticket's versions
	// of the groups it is offered in alone: a page by the version
	// descending wants the newest of most of its tickets, not every
	// version each holds a row at.
	exact *versionReads
	// likely, when set, is how likely the version order's group i holds a
	// row of ticket n, and whether that is known (the first read's size).
	likely func(i int, n int64) (p float64, known bool)
}

// groupShift places a group's index above a ticket number in the keys
// the groups are read by (numbers stay below 2^40).
const groupShift = 40

// historyGroupField returns the field of historyGroupedBy a history
// list's order sorts by, when its groups may serve it for g ("" when not): one
// key, no category hiding the field from the reader (the groups follow
// the stored value, and the rows shown would betray where a hidden value
// sorts).
func (pl *ticketPlan) historyGroupField(g *guard) string {
	if pl.q.Mode != ModeHistory || pl.native || pl.q.Version != 0 {
		return ""
	}
	if f := sortIndexFor(pl.order, g); slices.Contains(historyGroupedBy, f) {
		return f
	}
	return ""
}

// historyGroupedBy are the orders a history list's candidates can be
// read in by groups: the columns of few values, from their values'
// postings, and the version, from the history rows (a ticket at version
// v holds one version of each number up to v).
var historyGroupedBy = append(slices.Clone(sortedByValue), "version")

// historyGroupValues are the values field's groups follow, ascending:
// every status, or the values some version held (held, from the counts
// of versions), less those a filter of fs on field rejects (a list of
// the OPEN versions ordered by status reads the OPEN group alone, not
// the candidates of every status before it). ok false when they are not
// known, or when versions without a value would come first (ascending):
// every candidate would be read for the first group.
func historyGroupValues(field string, held map[string][]string, desc bool, fs []Filter) (vals []string, ok bool) {
	switch field {
	case "version":
		return nil, true // from the history rows (versionGroups)
	case "status":
		vals = sortValues(field, nil) // every status, as the live groups
	default:
		vs, ok := held[field]
		if !ok {
			return nil, false
		}
		vals = slices.Compact(slices.Sorted(slices.Values(vs)))
	}
	vals = slices.DeleteFunc(vals, func(v string) bool {
		return slices.ContainsFunc(fs, func(f Filter) bool {
			want, ok := f.Value.(string)
			return f.Field == field && ok && slices.Contains(textLookups, f.Lookup) && !matchText(v, f.Lookup, want)
		})
	})
	if field != "status" && slices.Contains(vals, "") && !desc {
		return nil, false
	}
	return vals, true
}

// groupKeys are the history postings of vals' groups (none for the
// versions without a value).
func groupKeys(field string, vals []string) []PostingKey {
	keys := make([]PostingKey, 0, len(vals))
	for _, v := range vals {
		if v != "" {
			keys = append(keys, HistoryKey(ValueKey(field, v)))
		}
	}
	return keys
}

// newHistoryGroups splits cands by the postings of vals (ascending), in
// the order's sequence.
func newHistoryGroups(cands *SeqSet, post map[PostingKey]*SeqSet, field string, vals []string, desc bool) *historyGroups {
	hg := &historyGroups{field: field, desc: desc}
	for _, v := range vals {
		set := cands.Clone()
		if v != "" {
			if p := post[HistoryKey(ValueKey(field, v))]; p != nil {
				set.And(p)
			} else {
				set = &SeqSet{}
			}
		}
		hg.vals, hg.sets = append(hg.vals, v), append(hg.sets, set)
	}
	if desc {
		slices.Reverse(hg.vals)
		slices.Reverse(hg.sets)
	}
	return hg
}

// versionGroups are the groups of the version order: for each version
// number v, the candidates the history rows say reached it (rows: the
// column, each ticket's count of versions), in the order's sequence; a
// group's rows are its tickets' versions numbered v. nil when the rows
// do not vouch for every candidate's count (a partial ticket, a column
// not read), or a candidate has more than maxVersionGroups versions (a
// set a version number, each as wide as its highest ticket's): the list
// is then sorted in memory. A candidate of rowsAt is in the groups of the
// versions holding its rows alone (the filed or live postings and the
// columns place them: historySearch), not read for the groups between.
func versionGroups(cands *SeqSet, rows []uint16, rowsAt map[int64][]int, desc bool) *historyGroups {
	if rows == nil {
		return nil
	}
	hg := &historyGroups{field: "version", desc: desc}
	known := true
	cands.Range(0, cands.Max(), false, func(n int64) bool {
		v, flags := 0, RowsPartial
		if n < int64(len(rows)) {
			v, flags = historyRowsOf(rows[n])
		}
		if known = flags&RowsPartial == 0 && v <= maxVersionGroups; !known {
			return false
		}
		for len(hg.sets) < v {
			hg.sets = append(hg.sets, &SeqSet{})
			hg.nums = append(hg.nums, len(hg.sets))
			hg.vals = append(hg.vals, SortValue(&Ticket{Version: len(hg.sets)}, "version"))
		}
		if at, ok := rowsAt[n]; ok && !slices.ContainsFunc(at, func(a int) bool { return a < 1 || a > v }) {
			for _, a := range at {
				hg.sets[a-1].Add(n)
			}
			return true
		}
		for i := range v {
			hg.sets[i].Add(n)
		}
		return true
	})
	if !known {
		return nil
	}
	if desc {
		slices.Reverse(hg.vals)
		slices.Reverse(hg.sets)
		slices.Reverse(hg.nums)
	}
	return hg
}

// maxVersionGroups bounds the version order's groups: a ticket changed
// more often than this is rare, and its list is sorted as before.
const maxVersionGroups = 200

// members is how many (ticket, group) pairs the groups hold.
func (hg *historyGroups) members() int {
	n := 0
	for _, s := range hg.sets {
		n += s.Len()
	}
	return n
}

// start returns the group a keyset cursor's row (value, number) is in,
// or the first whose value sorts after it (a value no group holds), and
// the highest number to read in it.
func (hg *historyGroups) start(after *cursor) (int, int64) {
	for i, v := range hg.vals {
		switch {
		case v == after.value:
			return i, after.seq
		case hg.desc && v < after.value, !hg.desc && v > after.value:
			return i, hg.sets[i].Max()
		}
	}
	return len(hg.vals), 0
}

// rows yields the groups' rows in the order's sequence: the numbers
// read hint at a time at first (inOrder), each ticket's versions read
// once (read) and offered in each group whose value they hold. after,
// when set, is the keyset cursor the page starts after.
func (hg *historyGroups) rows(hint int, need func() int, judged *int, after *cursor, read func([]int64) (map[int64][]*Ticket, error)) rows[*Ticket] {
	first, top := 0, int64(-1)
	if after != nil {
		first, top = hg.start(after)
	}
	each := func(fn func(int64) bool) {
		more := true
		for i := first; i < len(hg.sets) && more; i++ {
			hi := hg.sets[i].Max()
			if i == first && after != nil {
				hi = min(hi, top)
			}
			hg.sets[i].Range(0, hi, true, func(n int64) bool {
				more = fn(int64(i)<<groupShift | n)
				return more
			})
		}
	}
	mask := int64(1)<<groupShift - 1
	if hg.exact != nil {
		return inOrder(each, hint, need, judged, func(keys []int64) (map[int64][]*Ticket, error) {
			return hg.exact.read(keys, hg.nums, after)
		})
	}
	read = memoVersions(read)
	keyed := func(keys []int64) (map[int64][]*Ticket, error) {
		seqs := make([]int64, 0, len(keys))
		for _, k := range keys {
			seqs = append(seqs, k&mask)
		}
		vs, err := read(seqs)
		if err != nil {
			return nil, err
		}
		out := make(map[int64][]*Ticket, len(keys))
		for _, k := range keys {
			value := hg.vals[k>>groupShift]
			for _, t := range vs[k&mask] {
				if SortValue(t, hg.field) != value {
					continue
				}
				if after != nil && t.Seq == after.seq && value == after.value && t.Version >= after.version {
					continue // on the pages before
				}
				out[k] = append(out[k], t)
			}
		}
		return out, nil
	}
	return inOrder(each, hint, need, judged, keyed)
}

// memoVersions is read reading each number once: a ticket in several
// groups is offered from the versions read for its first.
func memoVersions(read func([]int64) (map[int64][]*Ticket, error)) func([]int64) (map[int64][]*Ticket, error) {
	seen := map[int64][]*Ticket{}
	return func(seqs []int64) (map[int64][]*Ticket, error) {
		var fresh []int64
		asked := make(map[int64]bool, len(seqs))
		for _, n := range seqs {
			if _, ok := seen[n]; !ok && !asked[n] {
				asked[n] = true
				fresh = append(fresh, n)
			}
		}
		if len(fresh) > 0 {
			vs, err := read(fresh)
			if err != nil {
				return nil, err
			}
			for _, n := range fresh {
				seen[n] = vs[n] // nil: none (deleted since indexed)
			}
		}
		out := make(map[int64][]*Ticket, len(seqs))
		for _, n := range seqs {
			out[n] = seen[n]
		}
		return out, nil
	}
}

// historyGrouped is the source of a history list read by its groups
// (historyGroups), its count already settled (not every row needed):
// the rows come in the order's sequence, a keyset cursor of the column
// starts the page after its row, and the first read is the page's rows
// in tickets at the rate the candidates hold rows (versions, when known:
// the rows the count found) per group they are in.
func (pl *ticketPlan) historyGrouped(hg *historyGroups, versions int, read func([]int64) (map[int64][]*Ticket, error)) rows[*Ticket] {
	after, want, versions := pl.keyedStart(hg.field, hg.desc, versions)
	hint := want/2 + 2
	if m := hg.members(); versions > 0 {
		hint = min(m, want*m/versions+2)
	}
	if k, ok := hg.likelyHint(want, after); ok {
		hint = k
	}
	judged := 0
	return hg.rows(hint, pl.wants, &judged, after, read)
}

// keyedStart makes pl a history list read in field's order by a source
// of its own (the groups, the runs): its rows come in that order, keyed
// by the column's value, number and version. It returns the keyset
// cursor the page starts after (nil: from the top), the rows the page
// wants, and the rows the count found (found, else the count of
// versions; 0 when neither says).
func (pl *ticketPlan) keyedStart(field string, desc bool, found int) (after *cursor, want, rows int) {
	w := pl.w
	pl.native, pl.desc = true, desc
	pl.sortKeyed, pl.versionKeyed = field, true
	if pl.historyKeysetAfter(field, desc) {
		after = &w.after
		w.startAfter()
	}
	want = w.first + 1
	if after == nil {
		want += w.lower
	}
	if found == 0 && pl.versionCount != nil {
		if n, err := pl.versionCount(); err == nil && n > 0 {
			found = n
		}
	}
	return after, want, found
}

// historyKeysetAfter reports whether the page starts after a history
// list's keyset cursor of field's order (a version's: the next-page
// button), not at an offset or from the list's start.
func (pl *ticketPlan) historyKeysetAfter(field string, desc bool) bool {
	return pl.w.after.sorted(field, desc) && pl.w.after.version > 0 && pl.q.Page.Offset == 0
}

// wants is how many rows the page still wants once judged (and one to
// know there is more).
func (pl *ticketPlan) wants() int { return pl.w.lower + pl.w.first + 1 - pl.w.n }

// likelyHint is how many (ticket, group) pairs from the page's start
// likely hold want rows, by likely: each pair the placements put a row at
// counts one, each they leave out none, each other its ticket's share of
// rows per version. Two pairs more where a share was guessed, so that a
// first read a row short is rare (a read more is a round trip more); ok
// false without likely, or when the groups hold fewer rows.
func (hg *historyGroups) likelyHint(want int, after *cursor) (int, bool) {
	if hg.likely == nil {
		return 0, false
	}
	first, top := 0, int64(-1)
	if after != nil {
		first, top = hg.start(after)
	}
	k, got, guessed := 0, 0.0, false
	for i := first; i < len(hg.sets) && got < float64(want); i++ {
		hi := hg.sets[i].Max()
		if i == first && after != nil {
			hi = min(hi, top)
		}
		hg.sets[i].Range(0, hi, true, func(n int64) bool {
			p, known := hg.likely(i, n)
			k++
			got += p
			guessed = guessed || !known
			return got < float64(want)
		})
	}
	if got < float64(want) || k == 0 {
		return 0, false
	}
	if guessed {
		k += 2
	}
	return k, true
}

// versionReads reads the versions of the version order's groups: each
// (ticket, group) pair its one version, the pairs of a ticket a batch
// holds as one span of its versions, and none twice. A version read is
// judged by the filters as any row; one a group lists that does not hold
// the filters' values is a single item read for nothing, where reading
// the ticket whole for its first group read every version (the groups
// are the history rows' counts: versionGroups). The count is the
// columns' (rowCount), not corrected by these reads, as it is not for the
// candidates the page never reads.
type versionReads struct {
	within func(map[int64]VersionSpan) (map[int64][]*Ticket, error)
	rows   []uint16 // each ticket's versions (the history rows)
	nv     *newestVersions
	seen   map[int64]map[int]*Ticket // nil: read and absent
	// live, where the guard judges rows by their live tickets
	// (sensitive), reads each batch's live tickets beside its versions
	// (as liveBeside does) for the guard (know), and preload reads those
	// of tickets no longer live; the live ticket stands for the newest
	// version the history rows count, so a group of tickets' newest
	// versions reads the History table for none of them.
	live    func([]int64) (map[int64]*Ticket, error)
	know    func(map[int64]*Ticket)
	preload func(ids []string) error
	// lives, liveRead, preloaded: the live tickets read, the tickets
	// whose live ticket was asked for, and those not live the guard was
	// asked to read.
	lives               map[int64]*Ticket
	liveRead, preloaded map[int64]bool
}

func newVersionReads(within func(map[int64]VersionSpan) (map[int64][]*Ticket, error), rows []uint16, nv *newestVersions) *versionReads {
	return &versionReads{within: within, rows: rows, nv: nv, seen: map[int64]map[int]*Ticket{}, lives: map[int64]*Ticket{}, liveRead: map[int64]bool{}, preloaded: map[int64]bool{}}
}

// newest is ticket n's newest version by the history rows (0 unknown).
func (vr *versionReads) newest(n int64) int {
	if n < 0 || n >= int64(len(vr.rows)) {
		return 0
	}
	v, _ := historyRowsOf(vr.rows[n])
	return v
}

// store keeps what a read of spans found.
func (vr *versionReads) store(spans map[int64]VersionSpan, vs map[int64][]*Ticket) {
	for n, sp := range spans {
		got := vr.seen[n]
		if got == nil {
			got = map[int]*Ticket{}
			vr.seen[n] = got
		}
		for v := sp.From; v < sp.Below; v++ {
			if _, ok := got[v]; !ok {
				got[v] = nil
			}
		}
		for _, t := range vs[n] {
			got[t.Version] = t
			// isHistory needs the ticket's newest: the history rows'.
			vr.nv.note(t.ID, vr.newest(n))
		}
	}
	vr.nv.learn(vs)
}

// fetch reads the versions of spans, and, where the guard judges by live
// tickets, the live tickets of seqs beside them, those of newest (a
// group of each one's newest version) standing for that version: one
// not at it (removed, or the History behind) has it read after.
func (vr *versionReads) fetch(spans map[int64]VersionSpan, seqs []int64, newest map[int64]bool) error {
	if vr.live == nil {
		if len(spans) == 0 {
			return nil
		}
		vs, err := vr.within(spans)
		if err != nil {
			return err
		}
		vr.store(spans, vs)
		return nil
	}
	var fresh []int64
	for _, n := range seqs {
		if !vr.liveRead[n] {
			vr.liveRead[n] = true
			fresh = append(fresh, n)
		}
	}
	lives := map[int64]*Ticket{}
	live := func() (map[int64]*Ticket, error) { return lives, nil }
	if len(fresh) > 0 {
		live = async("read live tickets", func() (map[int64]*Ticket, error) { return vr.live(fresh) })
	}
	var vs map[int64][]*Ticket
	var err error
	if len(spans) > 0 {
		vs, err = vr.within(spans)
	}
	lives, lerr := live()
	if err = cmp.Or(err, lerr); err != nil {
		return err
	}
	if vs == nil {
		vs = map[int64][]*Ticket{}
	}
	vr.know(lives)
	maps.Copy(vr.lives, lives)
	vr.store(spans, vs)
	again := map[int64]VersionSpan{}
	for n := range newest {
		v := vr.newest(n)
		if l, ok := vr.lives[n]; ok && l.Version == v {
			vr.store(map[int64]VersionSpan{n: {From: v, Below: v + 1}}, map[int64][]*Ticket{n: {l}})
			continue
		}
		again[n] = VersionSpan{From: v, Below: v + 1}
	}
	if len(again) > 0 {
		more, err := vr.within(again)
		if err != nil {
			return err
		}
		vr.store(again, more)
		maps.Copy(vs, more)
	}
	// The guard's read of the tickets not live (removed).
	var ids []string
	for n, got := range vs {
		if _, ok := vr.lives[n]; !ok && !vr.preloaded[n] && len(got) > 0 {
			vr.preloaded[n] = true
			ids = append(ids, got[0].ID)
		}
	}
	return vr.preload(ids)
}

// read returns the version of each key's group (nums: the groups'
// version numbers) that the key's ticket holds, less those at or before
// after's row.
func (vr *versionReads) read(keys []int64, nums []int, after *cursor) (map[int64][]*Ticket, error) {
	mask := int64(1)<<groupShift - 1
	spans := map[int64]VersionSpan{}
	newest := map[int64]bool{} // read as the live ticket (vr.live)
	var seqs []int64
	for _, k := range keys {
		n, v := k&mask, nums[k>>groupShift]
		seqs = append(seqs, n)
		if _, done := vr.seen[n][v]; done {
			continue
		}
		if vr.live != nil && v == vr.newest(n) {
			newest[n] = true
			continue
		}
		if sp, ok := spans[n]; ok {
			spans[n] = VersionSpan{From: min(sp.From, v), Below: max(sp.Below, v+1)}
		} else {
			spans[n] = VersionSpan{From: v, Below: v + 1}
		}
	}
	if err := vr.fetch(spans, seqs, newest); err != nil {
		return nil, err
	}
	out := make(map[int64][]*Ticket, len(keys))
	for _, k := range keys {
		n, v := k&mask, nums[k>>groupShift]
		t := vr.seen[n][v]
		if t == nil {
			continue
		}
		if after != nil && t.Seq == after.seq && SortValue(t, "version") == after.value && t.Version >= after.version {
			continue // on the pages before
		}
		out[k] = []*Ticket{t}
	}
	return out, nil
}
