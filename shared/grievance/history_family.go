package grievance

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"time"
)

// A history list whose value filters' fields one kind of pair column
// counts together (the panel's status, category and priority; two of
// them, or the staff picker with one), with or without a text filter,
// counts a candidate those columns vouch for (every version counted,
// PairsValue) as the sum of the columns of its accepted pairs (or
// triples): the number of its versions that held a value each filter
// accepts, whatever fields split them. The single columns of those
// fields and the other kinds of pairs only decide which fields split a
// candidate, which this count does not need, so they are not read with
// the postings: each is one item per 16,384 tickets (6 of the 9 columns
// the whole panel read at 100,000 tickets were those). A candidate whose
// queried text changed once needs its split (its rows before the change
// are counted by the field that splits them, FirstRowsField): when more
// than rowOnceMin such candidates are left, the singles are read beside
// the page's first read with the counts of changes, as those are, so no
// round trip is added (splitOf); with fewer they are judged, as before.
//
// A candidate the pairs do not vouch for (indexed before them, or whose
// pairs outgrew the reference) is judged. On a table whose pairs are not
// all counted yet (not backfilled) that would be most candidates: when
// more than unvouchedMax need it, the list reads the other columns then
// (one round trip more) and counts as it did before, and the container
// reads them with the pairs for pairsDistrust before it tries the pairs
// alone again.

// pairsDistrust is how long a container that found the pairs unvouched
// for reads every column of a value list again.
const pairsDistrust = 10 * time.Minute

// errFamilyUntrusted: the pairs alone left more than unvouchedMax
// candidates to judge.
var errFamilyUntrusted = errors.New("history rows: the pairs do not vouch for the candidates")

// familyColumns returns the kind of pair columns (pairKinds) that counts
// byField's fields together, when there is one within maxPairColumns and
// no filter is on a field the pairs do not count (the reporter).
func familyColumns(byField map[string][]string) ([]pairColumn, bool) {
	fields := slices.Sorted(maps.Keys(byField))
	if len(fields) < 2 || slices.ContainsFunc(fields, func(f string) bool { return slices.Contains(RowUnchangedFields, f) }) {
		return nil, false
	}
	for _, pcs := range pairKinds(byField) {
		if slices.Equal(slices.Sorted(slices.Values(pairedFields(pcs[0].by))), fields) {
			return pcs, len(pcs) <= maxPairColumns
		}
	}
	return nil, false
}

// familyRows is ticket n's rows from the pair columns read (a family's),
// when PairsValue says they counted its every version.
func (c *rowColumns) familyRows(n int64, versions int) (int, bool) {
	if n >= int64(len(c.paired)) || int(c.paired[n]) != versions {
		return 0, false
	}
	rows := 0
	for _, cols := range c.pairs {
		for _, col := range cols {
			if n < int64(len(col)) {
				rows += int(col[n])
			}
		}
	}
	return rows, true
}

// startValueReads starts the reads of byField's single columns (when
// singles) and of pcs, and returns what waits for them into cols.
func startValueReads(ctx context.Context, hr HistoryRowIndex, byField map[string][]string, singles bool, pcs []pairColumn) func(cols *rowColumns) error {
	type valueRead struct {
		field, value string
		read         func() ([]uint16, error)
	}
	var reads []valueRead
	if singles {
		for field, values := range byField {
			for _, v := range values {
				reads = append(reads, valueRead{field, v, async("read history rows of a value", func() ([]uint16, error) { return hr.HistoryValueRows(ctx, field, v) })})
			}
		}
	}
	type pairRead struct {
		by   [2]string
		read func() ([]uint16, error)
	}
	var pairReads []pairRead
	for _, pc := range pcs {
		pairReads = append(pairReads, pairRead{pc.by, async("read history rows of a pair", func() ([]uint16, error) {
			return hr.HistoryValueRows(ctx, pc.name, pc.value)
		})})
	}
	return func(cols *rowColumns) error {
		var err error
		cols.values = map[string]map[string][]uint16{}
		if singles {
			for field := range byField {
				cols.values[field] = map[string][]uint16{}
			}
		}
		for _, r := range reads {
			c, verr := r.read()
			cols.values[r.field][r.value], err = c, cmp.Or(err, verr)
		}
		if len(pcs) > 0 {
			cols.pairs = map[[2]string][][]uint16{}
		}
		for _, r := range pairReads {
			c, perr := r.read()
			cols.pairs[r.by], err = append(cols.pairs[r.by], c), cmp.Or(err, perr)
		}
		return err
	}
}

// everyRowColumn reads, beside cols's rows (and pairs' vouching), the
// single and pair columns of byField: what a list whose family's pairs
// did not vouch for its candidates counts by (nil: they cannot count it).
func everyRowColumn(ctx context.Context, hr HistoryRowIndex, cols *rowColumns, byField map[string][]string) (*rowColumns, error) {
	pcs := pairColumns(byField)
	var paired func() ([]uint16, error)
	if len(pcs) > 0 && cols.paired == nil {
		paired = async("read history rows of pairs", func() ([]uint16, error) {
			return hr.HistoryValueRows(ctx, "attending_staff__id", PairsValue)
		})
	}
	wait := startValueReads(ctx, hr, byField, true, pcs)
	out := &rowColumns{rows: cols.rows, paired: cols.paired}
	err := wait(out)
	if paired != nil {
		var perr error
		out.paired, perr = paired()
		err = cmp.Or(err, perr)
	}
	if len(pcs) == 0 {
		out.paired = nil
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) pairsDistrusted() bool { return s.pairsDistrustedAt.within(s.now(), pairsDistrust) }

func (s *Service) distrustPairs() { s.pairsDistrustedAt.mark(s.now()) }

// splitOf finds, from the single columns, which field splits the
// versions of c, a candidate a family's pairs counted (its rows are
// theirs): by is that field, or "" when none does; ok is false when two
// do, or the columns disagree with the pairs (it is judged).
func splitOf(c pendingCandidate, singles map[string]map[string][]uint16) (pendingCandidate, bool) {
	c.by, c.unsplit = "", false
	for _, field := range slices.Sorted(maps.Keys(singles)) {
		held := 0
		for _, col := range singles[field] {
			if c.n < int64(len(col)) {
				held += int(col[c.n])
			}
		}
		switch {
		case held >= c.versions:
		case held == 0 || c.by != "":
			return c, false
		default:
			c.by = field
		}
	}
	return c, true
}
