package grievance

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// historySearch narrows a filtered history list (showHistory) with the
// history postings: only the tickets that ever held what the filters ask
// for have their versions read, newest ticket first. Every version is
// still judged by the filters and the reader's rights, so the postings
// only choose what to read. nil: the index cannot narrow this list.
func (s *Service) historySearch(ctx context.Context, pl *ticketPlan, g *guard) (rows[*Ticket], error) {
	ti, ok := s.store.(TextIndex)
	vi, vok := s.history.(VersionIndex)
	if !ok || !vok || pl.q.Version != 0 {
		return nil, nil
	}
	if _, ok := exactValue(pl.fs, "id"); ok {
		return nil, nil
	}
	// The live tickets the guard judges rows by are read within the
	// page's allowance, as the live search's rows.
	allow := ticketAllowance(pl)
	var keys []PostingKey
	type need struct {
		f    Filter
		keys []PostingKey
		or   bool // the keys' union (values), else their intersection
	}
	var needs []need
	for _, f := range pl.fs {
		switch {
		case f.Field == "code" && searchable(f):
			needs = append(needs, need{f: f})
		case searchable(f):
			grams, _ := queryGrams(strings.ToLower(f.Value.(string)))
			n := need{f: f}
			for _, g := range grams {
				n.keys = append(n.keys, HistoryKey(PostingKey{Field: f.Field, Gram: g}))
			}
			needs = append(needs, n)
		case indexAnswers(f):
			n := need{f: f, or: true}
			for _, k := range valueKeys(f) {
				n.keys = append(n.keys, HistoryKey(k))
			}
			needs = append(needs, n)
		case slices.Contains(ValueFields, f.Field) && slices.Contains(textLookups, f.Lookup):
			needs = append(needs, need{f: f, or: true}) // keys from the values versions held, below
		}
	}
	// A reader the sight rule affects gets no count from the counts of
	// versions: the postings leave out what they may not see and the
	// history rows count the rest, whatever the filters (rowSight).
	unseen := g.unseen(pl.fs)
	if len(needs) == 0 && len(unseen) == 0 {
		return nil, nil
	}
	// Category and priority lookups other than exact: the values some
	// version held that they match, from the counts of versions.
	// A column of few values orders the candidates by its values'
	// postings (historyGroups), read with the filters' own.
	groupField := pl.historyGroupField(g)
	held, fresh, err := s.heldValues(ctx, pl.fs, groupField, pl.fieldCounts)
	if err != nil {
		return nil, err
	}
	lookupKeys := func(held map[string][]string, n need) ([]PostingKey, bool) {
		var out []PostingKey
		for _, v := range held[n.f.Field] {
			if matchText(v, n.f.Lookup, n.f.Value.(string)) {
				if v == "" {
					return nil, false // no posting holds the versions without a value
				}
				out = append(out, HistoryKey(ValueKey(n.f.Field, v)))
			}
		}
		return out, true
	}
	for i := 0; i < len(needs); i++ {
		n := &needs[i]
		if !n.or || n.keys != nil {
			continue
		}
		ok := held != nil
		if ok {
			n.keys, ok = lookupKeys(held, *n)
		}
		if ok && n.keys == nil {
			n.keys = []PostingKey{} // no value matches: no version
		}
		if !ok {
			needs = slices.Delete(needs, i, i+1)
			i--
		}
	}
	if len(needs) == 0 && len(unseen) == 0 {
		return nil, nil
	}
	// Every history posting holds only tickets of h:all, so h:all is
	// read only when no filter's postings narrow the candidates (a code
	// lookup alone, or the sight rule alone): at 100,000 tickets it is 7
	// items.
	everyTicket := true
	for _, n := range needs {
		keys = append(keys, n.keys...)
		if n.keys != nil {
			everyTicket = false
		}
	}
	if everyTicket {
		keys = append(keys, HistoryAll)
	}
	var groupVals []string
	if groupField != "" {
		var ok bool
		if groupVals, ok = historyGroupValues(groupField, held, pl.order[0].desc, pl.fs); ok {
			keys = append(keys, groupKeys(groupField, groupVals)...)
		} else {
			groupField = ""
		}
	}
	hr, ok := s.store.(HistoryRowIndex)
	byField, vok := rowValues(pl.fs, held)
	// place: a list of the panel's values alone (FiledFields), ordered
	// by a column its groups or the runs read candidate by candidate
	// (postingsFirst): each candidate's count of rows from the columns
	// (for a reader the sight rule affects, of those it does not judge),
	// with the filed and live postings, says where its rows are
	// (placeRows, rowsAt), so the
	// columns are read even where the counts of versions give the total,
	// and that total is kept. Only where rows are likely some of a
	// candidate's versions and not all: a status filter (it changes along
	// every ticket's life), a priority or staff member (triage raises or
	// lowers the one and assigns the other after filing), or the
	// version's order (its groups above the row would read the
	// candidate); a category alone most often holds every version, and
	// the columns would be read for nothing.
	onlyValues := len(needs) > 0 && !slices.ContainsFunc(needs, func(n need) bool {
		return !n.or || !slices.Contains(FiledFields, n.f.Field)
	})
	fewRows := groupField == "version" || slices.ContainsFunc(needs, func(n need) bool {
		return slices.Contains([]string{"status", "priority", "attending_staff__id"}, n.f.Field)
	})
	place := onlyValues && fewRows && pl.postingsFirst() && (groupField != "" || pl.historyRunField(g, true) != "")
	priorCount := pl.versionCount
	byRows := ok && vok && rowsCountable(pl, len(unseen) > 0, place)
	// The sight rule over whole categories, for a reader it affects
	// (rowSight): the candidates that hold no row for them are left out,
	// as the live search leaves them out, and a count from the rows
	// judges those ever in such a category.
	reader := ""
	if len(unseen) > 0 {
		if g.p != nil {
			reader = g.p.ID
		}
		live, ever, mine := sightKeys(unseen, reader)
		keys = append(keys, live...)
		if byRows {
			keys = append(keys, ever...)
		}
		if reader != "" {
			keys = append(keys, mine)
		}
	}
	// With two value filters or more, a candidate's one row is most often
	// its live version (the values held together, as a ticket's panel
	// shows them now): the filters' live postings, read beside, say whose
	// live ticket holds them, and the page reads only the newest version
	// of those the history rows count one row for (readPlaced). A list
	// placed (place) reads them for one filter too.
	var liveNeeds [][]PostingKey
	if byRows {
		for _, n := range needs {
			if !n.or {
				continue
			}
			ks := make([]PostingKey, 0, len(n.keys))
			for _, k := range n.keys {
				ks = append(ks, PostingKey{Field: n.f.Field, Gram: k.Gram})
			}
			liveNeeds = append(liveNeeds, ks)
		}
		if len(liveNeeds) < 2 && !place {
			liveNeeds = nil
		}
		for _, ks := range liveNeeds {
			keys = append(keys, ks...)
		}
	}
	// A list placed (place): the filters' filed postings (FiledKey), read
	// beside, say who was filed with every value, and the page reads only
	// the first version (and the newest, where the live postings say it
	// holds them too) of those whose rows the history rows count there;
	// ordered by the version, they are put in those versions' groups
	// alone. A value held at intake (filed under a category triage later
	// moved, the status a ticket is created with) is most often held by
	// the first version alone.
	var filedNeeds [][]PostingKey
	if byRows && place {
		for _, n := range needs {
			ks := make([]PostingKey, 0, len(n.keys))
			for _, k := range n.keys {
				ks = append(ks, FiledKey(PostingKey{Field: n.f.Field, Gram: k.Gram}))
			}
			filedNeeds = append(filedNeeds, ks)
		}
	}
	for _, ks := range filedNeeds {
		keys = append(keys, ks...)
	}
	// A list placed by a value order whose filter a kind of pair columns
	// counts with it (the status with the category or the priority, a
	// staff member with the status, category or priority, the category
	// with the priority, either way round): those columns of the order's
	// values say each candidate's rows in each group.
	// One group (a filter on the order's own field accepting one value)
	// has nothing to split that the list's count does not, and its column
	// would be the count's own read again.
	var orderPaired func(value string) []pairColumn
	if byRows && place && len(groupVals) > 1 && !s.pairsDistrusted() {
		orderPaired = orderPairsOf(groupField, byField)
	}
	// Ordered by the version, a candidate whose rows a span places is put
	// in the span's groups, and in its first and newest versions' too
	// where what leaves them out is only an absence the postings cannot
	// vouch for: a filed posting before the table's filed postings were
	// complete (the marker, FiledIndex), a live posting of a ticket no
	// longer live (deleted, removed: LiveKey, read beside).
	filedKnown := func() (bool, error) { return false, nil }
	if filedNeeds != nil && groupField == "version" {
		if fi, ok := s.store.(FiledIndex); ok {
			filedKnown = s.filedComplete.under("read filed postings marker", func() (bool, error) { return fi.FiledPostingsComplete(ctx) })
		}
		keys = append(keys, LiveKey)
		pl.waits = append(pl.waits, func() { _, _ = filedKnown() })
	}
	// A text filter's totalCount: the history rows, read beside.
	var rowsCol func() (*rowColumns, error)
	// orderPairs: the pair columns of the order's values (orderPaired),
	// read beside.
	var orderPairs func() (*orderPairColumns, error)
	familyOnly := false
	if byRows {
		done := s.rowsComplete.under("read history rows marker", func() (bool, error) { return hr.HistoryRowsComplete(ctx) })
		col := async("read history rows", func() ([]uint16, error) { return hr.HistoryRows(ctx) })
		// With two value filters the pairs count (the staff picker and
		// the status, say), the pair columns of their accepted values: a
		// ticket whose staff and status both changed is counted by them.
		// A list by those values (and texts) counts by them alone
		// (history_family.go).
		pcs := pairColumns(byField)
		if len(unseen) == 0 && !s.pairsDistrusted() {
			if fam, ok := familyColumns(byField); ok {
				pcs, familyOnly = fam, true
			}
		}
		values := startValueReads(ctx, hr, byField, !familyOnly, pcs)
		var paired func() ([]uint16, error)
		if len(pcs) > 0 {
			paired = async("read history rows of pairs", func() ([]uint16, error) {
				return hr.HistoryValueRows(ctx, "attending_staff__id", PairsValue)
			})
		}
		if orderPaired != nil {
			orderPairs = startOrderPairs(ctx, hr, orderPaired, groupVals, paired)
			pl.waits = append(pl.waits, func() { _, _ = orderPairs() })
		}
		rowsCol = func() (*rowColumns, error) {
			cols := &rowColumns{familyOnly: familyOnly}
			if familyOnly {
				cols.accepted = byField
				cols.singles = func() (map[string]map[string][]uint16, error) {
					var sc rowColumns
					err := startValueReads(ctx, hr, byField, true, nil)(&sc)
					return sc.values, err
				}
			}
			var cerr error
			cols.rows, cerr = col()
			err := cmp.Or(values(cols), cerr)
			if paired != nil {
				var perr error
				cols.paired, perr = paired()
				err = cmp.Or(err, perr)
			}
			ok, derr := done()
			if err = cmp.Or(err, derr); err != nil || !ok {
				return nil, err
			}
			return cols, nil
		}
	}
	// A text's candidates, or those of a list the postings read first
	// (postingsFirst), by the title or the reporter: the live runs place
	// those whose versions all hold the live value (historyRuns), read
	// beside the postings.
	var runCols func() (*historyRunCols, error)
	var startKey string // names the list's start in runStarts
	// candKey names the list's candidates in candsSeen: whatever its order.
	candKey := fmt.Sprintf("%s %v", searchRateKey(g.p, pl.fs), slices.Sorted(maps.Keys(pl.staffIDs)))
	texts := slices.ContainsFunc(needs, func(n need) bool { return searchable(n.f) })
	runField := pl.historyRunField(g, texts || pl.postingsFirst())
	if runField != "" {
		desc := pl.order[0].desc
		startKey = fmt.Sprintf("%s %v %s", runField, desc, candKey)
		start, known := s.runStarts.get(startKey, s.now())
		w := pl.w
		hs := headStart{from: start.gram, known: start.members}
		want := w.first + 1 + w.lower
		cursor := pl.historyKeysetAfter(runField, desc)
		if cursor {
			// A next page by its cursor (keyedStart): from its group.
			want, hs = w.first+1, headStart{from: OrderKey(runField, w.after.value).Gram, cursor: true}
		}
		switch {
		case w.first < 0:
		case known && start.crowded:
			// A list whose first run crowded its page (sent before: the
			// client sends it again as its user pages, turns the order
			// or saves) reads the column's groups from the page's start
			// too, about a group a ticket.
			hs.n = start.groups(want)
		case !known && !cursor:
			// Its first send: the candidates of the same search in
			// another order (the client's default, before a click on
			// the column) and the column's runs may say it crowds.
			if seen, ok := s.candsSeen.get(candKey, s.now()); ok {
				if guess, ok := s.guessStart(runField, desc, seen, want); ok {
					hs = guess
				}
			} else if texts {
				// Nothing remembered of the search: its very first list.
				hs = s.blindStart(runField, desc, want, searchedFor(pl.fs, runField))
			}
		}
		if runCols = s.startHistoryRuns(ctx, runField, desc, hs); runCols != nil {
			pl.waits = append(pl.waits, func() { _, _ = runCols() })
		}
	}
	// Both need each candidate's count of versions: the history rows,
	// read beside unless the count reads them.
	var rowsBeside func() ([]uint16, error)
	if rowsCol == nil && (runCols != nil || groupField == "version") {
		rowsBeside = s.startRowsBeside(ctx)
		pl.waits = append(pl.waits, func() { _, _ = rowsBeside() })
	}
	post, err := ti.Postings(ctx, distinct(keys))
	if err != nil {
		if fresh != nil {
			_, _ = fresh() // the read beside ends with the request
		}
		if rowsCol != nil {
			_, _ = rowsCol()
		}
		return nil, fmt.Errorf("read history index: %w", err)
	}
	if rowsCol != nil {
		pl.waits = append(pl.waits, func() { _, _ = rowsCol() })
	}
	if fresh != nil {
		// The values read now may add some a version took since the
		// container last read them: their postings too.
		now, err := fresh()
		if err != nil {
			return nil, err
		}
		held = now
		var more []PostingKey
		for i := range needs {
			n := &needs[i]
			if !n.or || indexAnswers(n.f) {
				continue
			}
			ks, ok := lookupKeys(now, *n)
			if !ok {
				return nil, nil // a new empty value: read as without the index
			}
			for _, k := range ks {
				if !slices.Contains(n.keys, k) {
					n.keys = append(n.keys, k)
					more = append(more, k)
				}
			}
		}
		if slices.Contains(ValueFields, groupField) {
			// The groups of values a version took since.
			vals, ok := historyGroupValues(groupField, now, pl.order[0].desc, pl.fs)
			if !ok {
				groupField = ""
			}
			groupVals = vals
		}
		if len(more) > 0 {
			liveNeeds, filedNeeds = nil, nil // their postings were not read
		}
		for _, k := range groupKeys(groupField, groupVals) {
			if !slices.Contains(keys, k) && !slices.Contains(more, k) {
				more = append(more, k)
			}
		}
		if len(more) > 0 {
			got, err := ti.Postings(ctx, more)
			if err != nil {
				return nil, fmt.Errorf("read history index: %w", err)
			}
			maps.Copy(post, got)
		}
	}
	// liveHeld: the tickets whose live version holds every value filter's
	// values (nil: not known).
	liveHeld, filedHeld := heldBy(post, liveNeeds), heldBy(post, filedNeeds)
	var cands *SeqSet
	narrow := func(set *SeqSet) {
		if cands == nil {
			cands = set.Clone()
		} else {
			cands.And(set)
		}
	}
	for _, n := range needs {
		switch {
		case n.keys == nil: // a code lookup, below
		case n.or:
			narrow(unionOf(post, n.keys))
		default:
			for _, k := range n.keys {
				narrow(post[k])
			}
		}
	}
	if cands == nil {
		cands = post[HistoryAll].Clone()
	}
	for _, n := range needs {
		if n.f.Field == "code" {
			// Codes are computed up to the largest candidate.
			cands.And(codeMatches(cands.Max(), n.f.Lookup, n.f.Value.(string)))
		}
	}
	var rs *rowSight
	if len(unseen) > 0 {
		rs = newRowSight(post, unseen, reader)
		cands.AndNot(rs.none)
	}
	w := pl.w
	read := func(seqs []int64) (map[int64][]*Ticket, error) {
		vs, err := vi.VersionsBySeq(ctx, seqs)
		if err == nil {
			pl.newest.learn(vs)
		}
		return vs, err
	}
	versions := 0       // the candidates' versions, when known
	besideLive := false // read reads the live tickets (liveBeside)
	// counted: the rows of each candidate the columns counted.
	var counted map[int64]int
	var rowsColumn []uint16 // each ticket's versions (the history rows)
	// rowsAt: the versions holding the rows of each candidate the columns
	// and postings place (its newest, its first, or both).
	var rowsAt map[int64][]int
	if rowsCol != nil {
		cols, err := rowsCol()
		if err != nil {
			return nil, err
		}
		switch {
		case cols != nil && familyOnly:
			// A value taken since the container last read them: the
			// family lacks its columns, so every column is read.
			if now, ok := rowValues(pl.fs, held); !ok {
				cols = nil
			} else if !maps.EqualFunc(now, byField, slices.Equal) {
				cols, err = everyRowColumn(ctx, hr, cols, now)
			}
		case cols != nil:
			cols, err = moreRowValues(ctx, hr, cols, pl.fs, held)
		}
		if err != nil {
			return nil, err
		}
		if cols != nil {
			rowsColumn = cols.rows
			once := func(field string, keys []PostingKey, values map[string][]string, lo, hi int64) (*onceColumns, error) {
				firstName := FirstValue
				if len(values) > 0 {
					firstName = FirstSplitValue
				}
				first := async("read first texts", func() ([]uint16, error) { return hr.HistoryValueRowsWithin(ctx, field, firstName, lo, hi) })
				changes := async("read text changes", func() ([]uint16, error) { return hr.HistoryValueRowsWithin(ctx, field, ChangesValue, lo, hi) })
				type split struct {
					by   string
					read func() ([]uint16, error)
				}
				var splits []split
				for _, by := range slices.Sorted(maps.Keys(values)) {
					for _, v := range values[by] {
						splits = append(splits, split{by, async("read first values", func() ([]uint16, error) {
							return hr.HistoryValueRowsWithin(ctx, FirstRowsField(by, field), v, lo, hi)
						})})
					}
				}
				post, err := ti.Postings(ctx, distinct(keys))
				oc := &onceColumns{post: post, values: map[string][][]uint16{}}
				var ferr, uerr error
				oc.first, ferr = first()
				oc.changes, uerr = changes()
				err = cmp.Or(err, ferr, uerr)
				for _, sp := range splits {
					col, serr := sp.read()
					err = cmp.Or(err, serr)
					oc.values[sp.by] = append(oc.values[sp.by], col)
				}
				if err != nil {
					return nil, fmt.Errorf("read changed texts: %w", err)
				}
				return oc, nil
			}
			var sight sightReader
			if rs != nil && reader != "" {
				sight = func(lo, hi int64) (*sightColumns, error) {
					return readSight(ctx, hr, ti, unseen, reader, lo, hi)
				}
			}
			rc, n, err := pl.countRows(cands, cols, g, rs, s.historyReadBudget, read, once, sight)
			if errors.Is(err, errFamilyUntrusted) {
				s.distrustPairs()
				now, _ := rowValues(pl.fs, held)
				if cols, err = everyRowColumn(ctx, hr, cols, now); err != nil {
					return nil, err
				}
				rc, n, err = pl.countRows(cands, cols, g, rs, s.historyReadBudget, read, once, sight)
			}
			if priorCount != nil && ErrorCode(err) == CodeLimit {
				// Where the counts of versions give the total (place),
				// the columns only place rows: a list whose candidates
				// they cannot count (partial, before the history pass)
				// outnumber what the read budget lets it judge is read
				// as without them, not refused.
				rc, err = nil, nil
			}
			if err != nil {
				return nil, err
			}
			if rc != nil {
				isRow := func(t *Ticket) bool { return pl.matching(g, []*Ticket{t}) == 1 }
				var only map[int64]bool
				var at map[int64]placed
				if liveHeld != nil {
					only = rc.newestOnly(liveHeld)
				}
				if filedHeld != nil {
					at = rc.placeRows(filedHeld, liveHeld, only, cols.rows)
				}
				if !texts {
					// The rows' versions, where the filters are values
					// alone: the version order's groups of each. For a
					// reader the sight rule affects too: only candidates
					// the columns counted for sure are placed (rc.per),
					// never one the sight rule judges (ever in a category
					// hidden from the reader), whose rows may be fewer
					// than its versions passing the filters.
					rowsAt = map[int64][]int{}
					for n := range only {
						if n < int64(len(cols.rows)) {
							if v, flags := historyRowsOf(cols.rows[n]); flags&RowsPartial == 0 {
								rowsAt[n] = []int{v}
							}
						}
					}
					filed, err := filedKnown()
					if err != nil {
						return nil, err
					}
					live := post[LiveKey]
					for n, p := range at {
						if p.some {
							continue // its rows' versions unknown: in every group
						}
						// A run between is placed by what the postings
						// lack, which its read checks but a group it is
						// left out of would not: it stays in the groups
						// of the ends no posting vouches for.
						rowsAt[n] = p.groups(filed, live != nil && live.Has(n))
					}
				}
				switch {
				case g.sensitive():
					// The live tickets judge each row: read beside the
					// versions, they are the newest the rows count.
					read, besideLive = liveBeside(ctx, ti, vi, g, allow, cols.rows, only, at, isRow, read), true
				case liveHeld != nil || len(at) > 0:
					read = readPlaced(read, func(seqs []int64) (map[int64]*Ticket, error) { return vi.NewestVersionsBySeq(ctx, seqs) },
						func(spans map[int64]VersionSpan) (map[int64][]*Ticket, error) { return vi.VersionsWithin(ctx, spans) },
						only, at, isRow, &pl.newest)
				}
				read = rc.reading(pl, g, read)
				pl.versionCount, versions, counted = rc.total, n, rc.per
				if priorCount != nil {
					pl.versionCount = priorCount // the counts of versions': read already
				}
				// A candidate the columns say holds no row (no version has
				// the values the filters ask together: an officer's ticket
				// never OPEN while theirs) is not read for the page either.
				for seq, k := range rc.per {
					if k == 0 {
						cands.Remove(seq)
					}
				}
				pl.waits = append(pl.waits, func() { _, _ = rc.judged() })
			}
			w.needAll = false
		}
	}
	if rowsBeside != nil {
		if rowsColumn, err = rowsBeside(); err != nil {
			return nil, err
		}
	}
	if g.sensitive() && !besideLive {
		// judge checks each row against its live ticket: read them beside
		// each batch of versions from the live list, as the live search
		// reads its rows, not one request a ticket; those it does not
		// hold (deleted) in one request after.
		versionsOf := read
		read = func(seqs []int64) (map[int64][]*Ticket, error) {
			spare := allow.spare(len(seqs))
			live := async("read live tickets", func() (map[int64]*Ticket, error) { return ti.LiveTicketsBySeq(ctx, seqs, spare) })
			vs, err := versionsOf(seqs)
			lives, lerr := live()
			if err = cmp.Or(err, lerr); err != nil {
				return nil, err
			}
			g.know(lives)
			var ids []string
			for n, v := range vs {
				if _, ok := lives[n]; !ok && len(v) > 0 {
					ids = append(ids, v[0].ID)
				}
			}
			if err := g.preload(ctx, ids); err != nil {
				return nil, err
			}
			return vs, nil
		}
	}
	s.learnVersionsPer(rowsColumn)
	if versions > 0 && cands.Len() > 0 {
		s.candsSeen.put(candKey, seenCands{cands: cands.Clone(), rowsPer: float64(versions) / float64(cands.Len()), tickets: ticketsOf(rowsColumn, cands)}, s.now(), seenCandsMax)
	}
	if runCols != nil && !w.needAll && w.first >= 0 {
		c, err := runCols()
		if err != nil {
			return nil, err
		}
		if hr := newHistoryRuns(cands, runField, pl.order[0].desc, c, rowsColumn, s.historyReadBudget); hr != nil {
			started := func(st runStart) { s.runStarts.put(startKey, st, s.now(), searchRatesMax) }
			return pl.historyRan(hr, versions, read, started), nil
		}
	}
	if groupField != "" && !w.needAll && w.first >= 0 {
		hg := newHistoryGroups(cands, post, groupField, groupVals, pl.order[0].desc)
		if groupField == "version" {
			hg = versionGroups(cands, rowsColumn, rowsAt, pl.order[0].desc)
			if hg != nil {
				// Each group's version alone, and where the guard judges
				// rows by their live tickets, those read beside.
				vr := newVersionReads(func(spans map[int64]VersionSpan) (map[int64][]*Ticket, error) { return vi.VersionsWithin(ctx, spans) }, rowsColumn, &pl.newest)
				if g.sensitive() {
					vr.live = func(seqs []int64) (map[int64]*Ticket, error) {
						return ti.LiveTicketsBySeq(ctx, seqs, allow.spare(len(seqs)))
					}
					vr.know = g.know
					vr.preload = func(ids []string) error { return g.preload(ctx, ids) }
				}
				hg.exact = vr
				hg.likely = likelyRows(hg, rowsColumn, rowsAt, counted, versions)
			}
		}
		var exact func(i int, n int64) (int, bool)
		if hg != nil && orderPairs != nil && rowsColumn != nil {
			op, err := orderPairs()
			if err != nil {
				return nil, err
			}
			exact = hg.keepPairedRows(op, rowsColumn, len(byField) == 1 && len(unseen) == 0)
		}
		if exact != nil {
			// A candidate the columns did not count: its share of rows
			// per group member, guessed.
			rate := hg.rowRate(versions)
			hg.likely = func(i int, n int64) (float64, bool) {
				if k, ok := exact(i, n); ok {
					return float64(k), true
				}
				return rate, false
			}
		}
		if hg != nil {
			return pl.historyGrouped(hg, versions, read), nil
		}
	}
	// A next page starts at its cursor's ticket.
	hi, skipped := cands.Max(), w.lower
	from := pl.versionStart(true)
	if from != nil {
		hi, skipped = min(hi, from.seq), 0
	}
	hint := cands.Len()
	if pl.native && !w.needAll && w.first >= 0 {
		// A ticket has a few versions: half the page's rows in tickets
		// is usually the page.
		hint = (w.first+1+skipped)/2 + 2
		if versions == 0 && pl.versionCount != nil {
			// The count, read beside the postings, says how many rows a
			// candidate holds on average.
			if n, err := pl.versionCount(); err == nil && n > 0 {
				versions = n
			}
		}
		if versions > 0 {
			hint = min(cands.Len(), (w.first+1+skipped)*cands.Len()/versions+2)
		}
		if k, ok := exactHint(cands, hi, pl.desc || !pl.native, counted, w.first+1+skipped); ok && from == nil {
			hint = k
		}
	}
	judged := 0
	var wants func() int
	if pl.native && !w.needAll && w.first >= 0 {
		// The rows the page still wants (and one to know there is more).
		wants = pl.wants
	}
	pl.historyCands = cands
	src := inOrder(func(fn func(int64) bool) { cands.Range(0, hi, pl.desc || !pl.native, fn) }, hint, wants, &judged, read)
	if from == nil {
		return src, nil
	}
	return func(fn func(*Ticket) (bool, error)) error {
		return src(func(t *Ticket) (bool, error) {
			if t.Seq == from.seq && t.Version >= from.version {
				return true, nil // on the pages before
			}
			return fn(t)
		})
	}, nil
}

// likelyRows says how likely the version order's group i holds a row of
// ticket n (historyGroups.likely): where the postings place its rows
// (rowsAt) whether group i's version is one of them, else its share of
// rows per version by the columns' count (counted; every candidate's
// share, found rows per member, where not counted).
func likelyRows(hg *historyGroups, rows []uint16, rowsAt map[int64][]int, counted map[int64]int, found int) func(int, int64) (float64, bool) {
	rate := hg.rowRate(found)
	return func(i int, n int64) (float64, bool) {
		v := hg.nums[i]
		if at, ok := rowsAt[n]; ok {
			return b2f(slices.Contains(at, v)), true
		}
		k, ok := counted[n]
		if !ok || n >= int64(len(rows)) {
			return rate, false
		}
		switch versions, _ := historyRowsOf(rows[n]); {
		case k >= versions:
			return 1, true
		case k == 0:
			return 0, true
		default:
			return float64(k) / float64(versions), false
		}
	}
}

// rowRate is the groups' rows per member, found rows in all (a half
// where the count is not known), at most one: the share of a member
// nothing else places.
func (hg *historyGroups) rowRate(found int) float64 {
	if m := hg.members(); found > 0 && m > 0 {
		return min(1, float64(found)/float64(m))
	}
	return 0.5
}

// orderPairColumns are the pair columns of a value order's values
// (orderPairsOf): for each value, its columns of the values a filter
// accepts, and the PairsValue column that says which tickets they
// counted every version of.
type orderPairColumns struct {
	byValue map[string][][]uint16
	paired  []uint16
}

// orderPairsOf returns the pair columns that count, per ticket, the
// versions holding both a value of a value order's field and a value a
// filter (byField) accepts, for each of the order's values: where the
// filter's field partners the order's in a kind of rowPairKinds (a
// status, one staff member or a category, and a field it pairs), or the
// order's field partners the filter's (the status or the category,
// ordered by, with a priority or category filter). nil where no kind
// pairs them.
func orderPairsOf(field string, byField map[string][]string) func(value string) []pairColumn {
	for _, k := range rowPairKinds {
		partners := k.partnersIn(byField)
		if len(partners) == 0 || !slices.Contains(k.fields, field) {
			continue
		}
		return func(value string) []pairColumn {
			var out []pairColumn
			for _, p := range partners {
				out = append(out, pairColumn{[2]string{k.partner, field}, k.name(field, p), value})
			}
			return out
		}
	}
	for _, k := range rowPairKinds {
		if k.partner != field {
			continue
		}
		for _, f := range k.fields {
			if vals := byField[f]; len(vals) > 0 {
				return func(value string) []pairColumn {
					var out []pairColumn
					for _, v := range vals {
						out = append(out, pairColumn{[2]string{field, f}, k.name(f, value), v})
					}
					return out
				}
			}
		}
	}
	return nil
}

// partnersIn are the partner's values a filter accepts (byField) that
// k's columns are read for: a staff member's columns are per member, so
// for the staff picker's one alone.
func (k pairKind) partnersIn(byField map[string][]string) []string {
	partners := byField[k.partner]
	if k.partner == "attending_staff__id" && len(partners) != 1 {
		return nil
	}
	return partners
}

// startOrderPairs starts the reads of the pair columns (columns) of the
// order's values (vals), and of the PairsValue column unless paired reads
// it already, and returns their wait.
func startOrderPairs(ctx context.Context, hr HistoryRowIndex, columns func(string) []pairColumn, vals []string, paired func() ([]uint16, error)) func() (*orderPairColumns, error) {
	type read struct {
		value string
		col   func() ([]uint16, error)
	}
	var reads []read
	for _, v := range vals {
		if v == "" {
			continue
		}
		for _, pc := range columns(v) {
			reads = append(reads, read{v, async("read history rows of a pair", func() ([]uint16, error) {
				return hr.HistoryValueRows(ctx, pc.name, pc.value)
			})})
		}
	}
	if paired == nil {
		paired = async("read history rows of pairs", func() ([]uint16, error) {
			return hr.HistoryValueRows(ctx, "attending_staff__id", PairsValue)
		})
	}
	return func() (*orderPairColumns, error) {
		op := &orderPairColumns{byValue: map[string][][]uint16{}}
		var err error
		for _, r := range reads {
			col, rerr := r.col()
			err = cmp.Or(err, rerr)
			op.byValue[r.value] = append(op.byValue[r.value], col)
		}
		var perr error
		op.paired, perr = paired()
		if err = cmp.Or(err, perr); err != nil {
			return nil, err
		}
		return op, nil
	}
}

// keepPairedRows leaves each candidate the pair columns counted every
// version of (op.paired is its versions, rows) only in the groups of the
// values they count versions of it at, and, where they count the rows
// themselves (exact: the list's one value filter, for a reader the sight
// rule leaves alone; else only their most), returns those counts (ok
// false for a candidate they did not count, or a group whose value's
// columns were not read): a complaint filed at one priority and triaged to
// another is a member of both values' groups and was read in the first
// for none of its rows (the programme resolved and reopened at scale, by
// the priority descending: 130 items for a page of 20). The columns are
// the counts the list's total rests on (a candidate they count no row
// for is left out of the page altogether); every row read is still
// judged by its version's value of the column.
func (hg *historyGroups) keepPairedRows(op *orderPairColumns, rows []uint16, exact bool) func(int, int64) (int, bool) {
	counted := func(n int64) bool {
		if n < 0 || n >= int64(len(rows)) || n >= int64(len(op.paired)) {
			return false
		}
		v, flags := historyRowsOf(rows[n])
		return flags&RowsPartial == 0 && int(op.paired[n]) == v
	}
	at := func(i int, n int64) (int, bool) {
		cols, ok := op.byValue[hg.vals[i]]
		if !ok || !counted(n) {
			return 0, false
		}
		k := 0
		for _, col := range cols {
			if n < int64(len(col)) {
				k += int(col[n])
			}
		}
		return k, true
	}
	for i, set := range hg.sets {
		var none []int64
		set.Range(0, set.Max(), true, func(n int64) bool {
			if k, ok := at(i, n); ok && k == 0 {
				none = append(none, n)
			}
			return true
		})
		for _, n := range none {
			set.Remove(n)
		}
	}
	if !exact {
		return nil
	}
	return at
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// moreRowValues adds to cols the columns of values the list's lookups
// accept that a version took since the container last read the values
// (nil: the columns can no longer count the list), read now.
func moreRowValues(ctx context.Context, hr HistoryRowIndex, cols *rowColumns, fs []Filter, held map[string][]string) (*rowColumns, error) {
	byField, ok := rowValues(fs, held)
	if !ok {
		return nil, nil
	}
	for field, values := range byField {
		if cols.values[field] == nil {
			cols.values[field] = map[string][]uint16{} // it accepted every value the container knew
		}
		for _, v := range values {
			if _, ok := cols.values[field][v]; ok {
				continue
			}
			c, err := hr.HistoryValueRows(ctx, field, v)
			if err != nil {
				return nil, err
			}
			cols.values[field][v] = c
			for by := range cols.pairs {
				if slices.Contains(pairedFields(by), field) {
					delete(cols.pairs, by) // they lack the value: judged
				}
			}
		}
	}
	return cols, nil
}

// maxPairColumns bounds the pair columns a history list reads (each one
// item per 16,384 tickets): past it the candidates whose two filtered
// fields both changed are judged.
const maxPairColumns = 8

// pairColumn is a pair column (RowPairKeys) a list reads, by the partner
// field and the other it counts.
type pairColumn struct {
	by          [2]string
	name, value string
}

// pairColumns are the pair columns of the accepted values of byField
// (value filters by field): for the staff picker (one staff member), the
// status or the category, with each other value filter the pairs count,
// a column per accepted pair of values, and with the status, category and
// priority a column per accepted triple, within maxPairColumns (the
// staff's first, then the status's, the category's, the triples).
func pairColumns(byField map[string][]string) []pairColumn {
	var out []pairColumn
	for _, pcs := range pairKinds(byField) {
		if len(out)+len(pcs) <= maxPairColumns {
			out = append(out, pcs...)
		}
	}
	return out
}

// pairKinds are the pair columns of the accepted values of byField, a
// slice per kind (partner and field) that has any, in pairColumns' order.
func pairKinds(byField map[string][]string) [][]pairColumn {
	var out [][]pairColumn
	add := func(pcs []pairColumn) {
		if len(pcs) > 0 {
			out = append(out, pcs)
		}
	}
	for _, k := range rowPairKinds {
		partners := k.partnersIn(byField)
		for _, f := range k.fields {
			var pcs []pairColumn
			for _, p := range partners {
				for _, v := range byField[f] {
					pcs = append(pcs, pairColumn{[2]string{k.partner, f}, k.name(f, p), v})
				}
			}
			add(pcs)
		}
	}
	var triples []pairColumn
	for _, st := range byField["status"] {
		for _, c := range byField["category"] {
			for _, v := range byField["priority"] {
				triples = append(triples, pairColumn{[2]string{TriplePartner, "priority"}, TripleField(Status(st), c), v})
			}
		}
	}
	add(triples)
	return out
}

// heldValues returns, for the category and priority lookups of fs other
// than exact and for also (the field a list's groups follow, when one of
// those), every value some recorded version of a ticket held (nil when
// there is none, or the counts of versions, which list them, are not kept
// or not complete). Values only accrue, so a container's last read is a
// safe start: it is returned with fresh, which waits for the read made now
// beside the caller's, to add what appeared since; without one, the read
// is waited for here.
//
// counting, when it holds every field, is the read of all their counts
// (or of their pair's) the list's totalCount already makes: its values
// are used instead of a read of their own.
func (s *Service) heldValues(ctx context.Context, fs []Filter, also string, counting map[string]func() (map[string]map[string]int, error)) (held map[string][]string, fresh func() (map[string][]string, error), err error) {
	var fields []string
	for _, f := range fs {
		if slices.Contains(ValueFields, f.Field) && !indexAnswers(f) && slices.Contains(textLookups, f.Lookup) && !slices.Contains(fields, f.Field) {
			fields = append(fields, f.Field)
		}
	}
	if slices.Contains(ValueFields, also) && !slices.Contains(fields, also) {
		fields = append(fields, also)
	}
	vc, ok := s.history.(VersionCounter)
	if len(fields) == 0 || !ok {
		return nil, nil, nil
	}
	if complete, err := s.versionCountsComplete(ctx, vc); err != nil || !complete {
		return nil, nil, err
	}
	ask := map[string][]string{}
	for _, f := range fields {
		ask[f] = nil // every value
	}
	counts := func() (map[string]map[string]int, error) { return vc.VersionCounts(ctx, ask) }
	if hl, ok := s.history.(HeldValueLister); ok {
		// The list of values, one item a field, where the counts are
		// read with every value's shards; the counts while it is not
		// known complete. Only the values are used (valuesOf).
		counts = func() (map[string]map[string]int, error) { return s.listHeld(ctx, hl, vc, fields) }
	}
	if !slices.ContainsFunc(fields, func(f string) bool { return counting[f] == nil }) {
		counts = func() (map[string]map[string]int, error) {
			out := make(map[string]map[string]int, len(fields))
			for _, f := range fields {
				c, err := counting[f]()
				if err != nil {
					return nil, err
				}
				out[f] = c[f]
			}
			return out, nil
		}
	}
	read := async("list the values of versions", func() (map[string][]string, error) {
		counts, err := counts()
		if err != nil {
			return nil, fmt.Errorf("list the values of versions: %w", err)
		}
		s.lastHeld.put(counts)
		return valuesOf(counts), nil
	})
	if last, ok := s.lastHeld.get(fields); ok {
		return valuesOf(last), read, nil
	}
	held, err = read()
	return held, nil, err
}

// asCounts is values, by field, in the shape of counts (every count 0):
// what valuesOf lists back.
func asCounts(values map[string][]string) map[string]map[string]int {
	out := make(map[string]map[string]int, len(values))
	for f, vs := range values {
		out[f] = make(map[string]int, len(vs))
		for _, v := range vs {
			out[f][v] = 0
		}
	}
	return out
}

// valuesOf lists the values of counts, by field, sorted.
func valuesOf(counts map[string]map[string]int) map[string][]string {
	out := make(map[string][]string, len(counts))
	for f, byValue := range counts {
		out[f] = slices.Sorted(maps.Keys(byValue))
	}
	return out
}

// readSight reads the sightColumns of reader, for the unseen categories:
// their columns and the reader's as attending staff, one request each,
// where they hold the candidates numbered lo to hi, beside the postings
// of the live tickets they attend and of every live ticket.
func readSight(ctx context.Context, hr HistoryRowIndex, ti TextIndex, unseen []string, reader string, lo, hi int64) (*sightColumns, error) {
	var reads []func() ([]uint16, error)
	for _, c := range unseen {
		reads = append(reads, async("read the rows of a hidden category", func() ([]uint16, error) { return hr.HistoryValueRowsWithin(ctx, "category", c, lo, hi) }))
	}
	attended := async("read the rows of a reader's tickets", func() ([]uint16, error) {
		return hr.HistoryValueRowsWithin(ctx, "attending_staff__id", reader, lo, hi)
	})
	mine := ValueKey("attending_staff__id", reader)
	post, err := ti.Postings(ctx, []PostingKey{mine, LiveKey})
	sc := &sightColumns{mine: post[mine], live: post[LiveKey]}
	for _, read := range reads {
		col, cerr := read()
		err = cmp.Or(err, cerr)
		sc.unseen = append(sc.unseen, col)
	}
	var aerr error
	sc.attended, aerr = attended()
	if err = cmp.Or(err, aerr); err != nil {
		return nil, fmt.Errorf("read the sight's columns: %w", err)
	}
	return sc, nil
}

// exactHint is how many of cands, from hi in the list's order, hold the
// want rows the page reads, when the columns counted each of them (ok
// false at the first they did not: it is judged, and may hold none): the
// page's first read is then exactly its tickets, not the average's
// estimate and a margin (2 tickets, 6 items, on a history page).
func exactHint(cands *SeqSet, hi int64, desc bool, counted map[int64]int, want int) (int, bool) {
	if counted == nil {
		return 0, false
	}
	k, got, ok := 0, 0, true
	cands.Range(0, hi, desc, func(n int64) bool {
		rows, known := counted[n]
		if !known {
			ok = false
			return false
		}
		k++
		got += rows
		return got < want
	})
	return k, ok && k > 0
}

// heldBy is the tickets in some posting of each of needs (nil: no need).
func heldBy(post map[PostingKey]*SeqSet, needs [][]PostingKey) *SeqSet {
	var out *SeqSet
	for _, ks := range needs {
		held := &SeqSet{}
		for _, k := range ks {
			orSet(held, post[k])
		}
		if out == nil {
			out = held
		} else {
			out.And(held)
		}
	}
	return out
}

// placed says which versions of a candidate hold its rows, as the
// columns count them (rows) and the filed and live postings place them:
// its first version (first), every version between its first and its
// newest (between), its newest (newest); versions is how many it has
// (the history rows). some: the rows between are some of those versions,
// not all (a status left and taken again: a reopened ticket's), so they
// are not placed, but the ends the postings lack are not read.
type placed struct {
	versions, rows               int
	first, between, newest, some bool
}

// at are the numbers of the versions holding the rows, oldest first.
func (p placed) at() []int {
	var out []int
	if p.first {
		out = append(out, 1)
	}
	if p.between {
		for v := 2; v < p.versions; v++ {
			out = append(out, v)
		}
	}
	if p.newest {
		out = append(out, p.versions)
	}
	return out
}

// groups are the version order's groups a placed candidate is put in:
// the versions holding its rows (at), and, of a run between, the first
// version unless the filed postings are complete (firstKnown) and the
// newest unless the ticket is live (newestKnown), where the placement
// rests on their absence. A version of those that holds no row is one
// item read for nothing; one left out that holds a row would be lost.
func (p placed) groups(firstKnown, newestKnown bool) []int {
	at := p.at()
	if !p.between {
		return at
	}
	if !p.first && !firstKnown {
		at = append([]int{1}, at...)
	}
	if !p.newest && !newestKnown {
		at = append(at, p.versions)
	}
	return at
}

// span is what is read of the History table for the rows: the first
// version, or the run from the first or the second version to the newest
// (Below 0) or to the one before it; newestAlone that the newest is read
// by itself beside it (the first and the newest, nothing between).
func (p placed) span() (sp VersionSpan, newestAlone bool) {
	if !p.between && !p.some {
		return VersionSpan{From: 1, Below: 2}, p.newest
	}
	sp = VersionSpan{From: 2, Below: p.versions}
	if p.first {
		sp.From = 1
	}
	if p.newest {
		sp.Below = 0
	}
	return sp, false
}

// placeRows are the candidates past their first version (rows: the
// history rows) whose rows the column's count places: the filed
// postings (filedHeld, FiledKey) say whether the first version holds
// the filters' values, the live ones (liveHeld) whether the newest does,
// and the count left for the versions between is none of them or all of
// them. Those of only (one row, the newest) are left to it, and so is a
// candidate whose every version holds a row (nothing to spare). A
// filed posting is only ever added, so one missing (a ticket filed
// before the postings, an upgraded table before its history pass) may
// place the rows wrongly, as a live posting behind its ticket may: the
// read of the placed versions checks it (the rows found there must be
// the count), and reads the candidate whole when it is not so.
func (rc *rowCount) placeRows(filedHeld, liveHeld *SeqSet, only map[int64]bool, rows []uint16) map[int64]placed {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[int64]placed{}
	for n, k := range rc.per {
		if only[n] || k == 0 || n < 0 || n >= int64(len(rows)) {
			continue
		}
		v, flags := historyRowsOf(rows[n])
		if flags&RowsPartial != 0 || v < 2 || k >= v {
			continue
		}
		p := placed{versions: v, rows: k, first: filedHeld.Has(n), newest: liveHeld != nil && liveHeld.Has(n)}
		ends := 0
		for _, e := range []bool{p.first, p.newest} {
			if e {
				ends++
			}
		}
		switch between := k - ends; {
		case between == 0:
			if ends == 0 {
				continue
			}
		case between == v-2:
			p.between = true
		case between > 0 && between < v-2 && ends < 2:
			// Some of the versions between (a reopened ticket's): an
			// end that holds none is left out of its read, an item less
			// for each.
			p.some = true
		default:
			continue
		}
		out[n] = p
	}
	return out
}

// rowsFound says whether the versions read of a placed candidate hold
// all its rows: as many as the column counts, and the newest read (when
// placed there) the newest the history rows know.
func (p placed) rowsFound(vs []*Ticket, isRow func(*Ticket) bool) bool {
	found := 0
	for _, t := range vs {
		if isRow(t) {
			found++
		}
	}
	return found == p.rows && (!p.newest || len(vs) > 0 && vs[0].Version == p.versions)
}

// newestOnly are the candidates the column counts one row for whose live
// ticket holds the filters' values (liveHeld): that row is likely their
// newest version.
func (rc *rowCount) newestOnly(liveHeld *SeqSet) map[int64]bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[int64]bool{}
	for n, rows := range rc.per {
		if rows == 1 && liveHeld.Has(n) {
			out[n] = true
		}
	}
	return out
}

// liveBeside is a history list's read of versions where the guard judges
// each row by its live ticket (a configuration that may hide anything
// from the reader): the live tickets are read beside the versions, as the live search
// reads its rows, not one request a ticket, and stand for the newest
// version the history rows column (rows) counts. So a ticket at its n-th
// version has only the n-1 before read from the History table (none at
// its first, none either when only says its one row is its newest and
// the live ticket is a row): a version less per ticket than reading them
// all beside the live one. A ticket the column cannot vouch for
// (partial) has its versions read whole; one whose live ticket is not
// that version (the History or the column behind the write, a ticket
// removed) has them read whole after, a round trip more for it, so a
// row is never made of a live ticket the History would not hold. Of a
// ticket in at (its rows placed: placeRows) only its rows' older versions
// are read beside the live one, and its versions are read whole after
// when those do not hold the rows the column counts. The guard's read of
// the tickets not live (removed) goes beside that read.
// all reads every version of tickets.
func liveBeside(ctx context.Context, ti TextIndex, vi VersionIndex, g *guard, allow *allowance, rows []uint16, only map[int64]bool, at map[int64]placed, isRow func(*Ticket) bool, all func([]int64) (map[int64][]*Ticket, error)) func([]int64) (map[int64][]*Ticket, error) {
	return func(seqs []int64) (map[int64][]*Ticket, error) {
		// newest: the column's version of each ticket the live one
		// stands for; older: the versions read beside it, older ones.
		newest, older := map[int64]int{}, map[int64]VersionSpan{}
		var whole []int64
		anyOlder := false
		for _, n := range seqs {
			versions, flags := 0, RowsPartial
			if n >= 0 && n < int64(len(rows)) {
				versions, flags = historyRowsOf(rows[n])
			}
			if flags&RowsPartial != 0 {
				whole = append(whole, n)
				continue
			}
			newest[n], older[n] = versions, VersionSpan{From: 1, Below: versions}
			if p, ok := at[n]; ok {
				// Its rows' versions alone (the newest is the live one).
				sp, _ := p.span()
				older[n] = VersionSpan{From: sp.From, Below: cmp.Or(sp.Below, versions)}
			}
			if only[n] {
				older[n] = VersionSpan{From: 1, Below: 1} // its one row is its newest version: none older
			}
			anyOlder = anyOlder || !older[n].Empty()
		}
		spare := allow.spare(len(seqs))
		live := async("read live tickets", func() (map[int64]*Ticket, error) { return ti.LiveTicketsBySeq(ctx, seqs, spare) })
		olderRead := func() (map[int64][]*Ticket, error) { return nil, nil }
		if anyOlder {
			olderRead = async("read older versions", func() (map[int64][]*Ticket, error) { return vi.VersionsWithin(ctx, older) })
		}
		vs := map[int64][]*Ticket{}
		var err error
		if len(whole) > 0 {
			vs, err = all(whole)
		}
		lives, lerr := live()
		olds, oerr := olderRead()
		if err = cmp.Or(err, lerr, oerr); err != nil {
			return nil, err
		}
		g.know(lives)
		var again []int64
		var ids []string // of tickets not live: the guard reads them
		for n, v := range newest {
			l, ok := lives[n]
			p, placedAt := at[n]
			if !ok || l.Version != v || only[n] && !isRow(l) || placedAt && !p.rowsFound(append([]*Ticket{l}, olds[n]...), isRow) {
				again = append(again, n)
				if !ok && len(olds[n]) > 0 {
					ids = append(ids, olds[n][0].ID)
				}
				continue
			}
			vs[n] = append([]*Ticket{l}, olds[n]...)
		}
		for n, v := range vs {
			if _, ok := lives[n]; !ok && len(v) > 0 {
				ids = append(ids, v[0].ID)
			}
		}
		// Beside the read of those read whole again, in the same round.
		preload := async("read removed tickets", func() (struct{}, error) { return struct{}{}, g.preload(ctx, ids) })
		if len(again) > 0 {
			slices.Sort(again)
			more, err := all(again)
			if err != nil {
				_, _ = preload()
				return nil, err
			}
			var late []string
			for n, v := range more {
				if _, ok := lives[n]; !ok && len(v) > 0 && !slices.Contains(ids, v[0].ID) {
					late = append(late, v[0].ID)
				}
			}
			maps.Copy(vs, more)
			if err := g.preload(ctx, late); err != nil {
				_, _ = preload()
				return nil, err
			}
		}
		if _, err := preload(); err != nil {
			return nil, err
		}
		return vs, nil
	}
}

// readPlaced wraps a history list's read of versions: of the tickets in
// only it reads the newest version alone, and of those in at the versions
// placed to hold their rows (placed.span: one item where a ticket has a
// few, and a Query of a few versions costs more than 4 KB), beside the
// others' versions, and keeps them when they hold the rows the column
// counts (rows: the list's filters pass a version). A ticket whose
// versions read do not (its newest changed since the postings were
// written, a posting missing, the ticket removed) has its versions read
// after, a round trip more for it. nv learns the newest versions read,
// and for versions read without their ticket's newest that the history
// rows give (isHistory needs no live ticket for them).
func readPlaced(read func([]int64) (map[int64][]*Ticket, error), newest func([]int64) (map[int64]*Ticket, error), within func(map[int64]VersionSpan) (map[int64][]*Ticket, error), only map[int64]bool, at map[int64]placed, rows func(*Ticket) bool, nv *newestVersions) func([]int64) (map[int64][]*Ticket, error) {
	return func(seqs []int64) (map[int64][]*Ticket, error) {
		var one, rest []int64
		spans := map[int64]VersionSpan{} // of the placed tickets
		for _, n := range seqs {
			p, ok := at[n]
			switch {
			case only[n]:
				one = append(one, n)
			case ok:
				sp, alone := p.span()
				spans[n] = sp
				if alone {
					one = append(one, n)
				}
			default:
				rest = append(rest, n)
			}
		}
		if len(one) == 0 && len(spans) == 0 {
			return read(seqs)
		}
		others := func() (map[int64][]*Ticket, error) { return map[int64][]*Ticket{}, nil }
		if len(rest) > 0 {
			others = async("read ticket versions", func() (map[int64][]*Ticket, error) { return read(rest) })
		}
		spanned := func() (map[int64][]*Ticket, error) { return nil, nil }
		if len(spans) > 0 {
			spanned = async("read placed versions", func() (map[int64][]*Ticket, error) { return within(spans) })
		}
		got := map[int64]*Ticket{}
		var err error
		if len(one) > 0 {
			got, err = newest(one)
		}
		spanGot, serr := spanned()
		out, oerr := others()
		if err = cmp.Or(err, serr, oerr); err != nil {
			return nil, err
		}
		found := map[int64][]*Ticket{}
		var again []int64
		for _, n := range one {
			if !only[n] {
				continue // placed: judged with its span below
			}
			if t, ok := got[n]; ok && rows(t) {
				found[n] = []*Ticket{t}
			} else {
				again = append(again, n)
			}
		}
		for n := range spans {
			p := at[n]
			vs := spanGot[n]
			if t, ok := got[n]; ok {
				vs = append([]*Ticket{t}, vs...)
			}
			if !p.rowsFound(vs, rows) {
				again = append(again, n)
				continue
			}
			found[n] = vs
			if !p.newest {
				nv.note(vs[0].ID, p.versions)
			}
		}
		nv.learn(found)
		maps.Copy(out, found)
		if len(again) > 0 {
			slices.Sort(again)
			vs, err := read(again)
			if err != nil {
				return nil, err
			}
			maps.Copy(out, vs)
		}
		return out, nil
	}
}
