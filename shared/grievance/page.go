package grievance

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxPageSize is the most rows one page may hold (openIMIS's
// RELAY_CONNECTION_MAX_LIMIT), and the page size when none is asked for.
const MaxPageSize = 100

// maxSorted bounds how many rows a query may sort in memory (orders that no
// index serves); beyond it the caller must narrow the filter.
const maxSorted = 10000

// maxScanPage sizes the reads of a query that reads its whole range (a
// count, an in-memory sort): few, large requests.
const maxScanPage = 1000

// PageArgs are Relay connection arguments; nil First/Last mean "not sent".
type PageArgs struct {
	First, Last   *int
	After, Before string
	Offset        int
}

// Page is one page of a connection.
type Page[T any] struct {
	Items []T
	// StartIndex is the position of Items[0] in the whole result; cursors
	// are derived from it.
	StartIndex      int
	TotalCount      int
	Counted         bool // TotalCount is known
	HasNextPage     bool
	HasPreviousPage bool
	// People, when not nil, are the people the rows name, read with the
	// page (nil value: no such person).
	People map[string]*Person
	// LiveVersions, for a history list's rows, is the live version of each
	// row's ticket where the list learned it while reading (0: no live
	// ticket the reader sees), so that isHistory needs no read of its
	// own; a ticket missing from it is not known.
	LiveVersions map[string]int
	// keys are the ticket numbers of Items when the page was read in
	// number order from a key range; their cursors then also carry the
	// number, so the next page starts there instead of re-reading from the
	// top.
	keys []int64
	desc bool
	// sortField and sortVals, for a page read from a sort index, are
	// that index's field and the rows' values on it: their cursors carry
	// the value too, so the next page starts after the row in that order.
	sortField string
	sortVals  []string
	// versions, for a page of history rows read in number order, are the
	// rows' versions: their cursors carry them beside the number.
	versions []int
	// endRun, when the last row was read in a run sorted once read (a
	// text filter ordered by title or reporter), are the numbers of that
	// run that sort before it: the last row's cursor carries them, so the
	// next page reads only the rest of the run, where it would read the
	// run whole (up to 32 tickets) to find the rows after the cursor.
	// Only the last row's: the next-page button sends endCursor, and
	// every row's would grow each of 20 cursors by up to 31 numbers.
	endRun []int64
}

// Cursor returns the cursor of Items[i].
func (p *Page[T]) Cursor(i int) string {
	c := "arrayconnection:" + strconv.Itoa(p.StartIndex+i)
	if i < len(p.keys) && p.keys[i] > 0 {
		dir := "a"
		if p.desc {
			dir = "d"
		}
		c += "|" + dir + strconv.FormatInt(p.keys[i], 10)
		if i < len(p.versions) {
			// Before any sort value, which may hold any character.
			c += "|v" + strconv.Itoa(p.versions[i])
		}
		if p.sortField != "" && i < len(p.sortVals) {
			order := "|o" + p.sortField + "=" + p.sortVals[i]
			// The run goes before the value, which may hold any
			// character; a cursor that would pass maxCursor goes without
			// it (the next page then reads the run whole).
			if run := runText(p.endRun); i == len(p.Items)-1 && run != "" && len(c)+len(run)+len(order) <= maxCursor {
				c += run
			}
			c += order
		}
	}
	return base64.StdEncoding.EncodeToString([]byte(c))
}

// Cursor returns the opaque cursor of the row at index (graphql-relay's
// offset cursor, which the openIMIS client passes back as after/before).
func Cursor(index int) string {
	return base64.StdEncoding.EncodeToString([]byte("arrayconnection:" + strconv.Itoa(index)))
}

// cursor is a decoded cursor: the row's index and, for rows read in number
// order, the ticket number and direction ('a' or 'd'); for rows read from
// a sort index, also that index's field and the row's value on it.
type cursor struct {
	index        int
	seq          int64
	dir          byte
	field, value string
	version      int // a history row's
	// run: the numbers of the row's run that sort before it (Page.endRun;
	// empty when it is the run's first, nil when not known).
	run []int64
}

// maxCursor bounds a cursor's decoded length: a sort value (at most the
// index's 1,000 bytes) and the rest.
const maxCursor = 1200

// maxCursorRun bounds the numbers a cursor's run may carry: a run holds
// a few dozen tickets (the store's runs, 32; one grown by a write before
// it is cut again, a few more).
const maxCursorRun = 64

// runText encodes a cursor's run: "|r" and the numbers in base 36, comma
// separated, none when the row is its run's first ("" when the run is
// not known, or too many).
func runText(run []int64) string {
	if run == nil || len(run) > maxCursorRun {
		return ""
	}
	b := []byte("|r")
	for i, n := range run {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, n, 36)
	}
	return string(b)
}

// parseRun decodes runText's numbers (without "r").
func parseRun(s string) ([]int64, bool) {
	if s == "" {
		return []int64{}, true
	}
	parts := strings.Split(s, ",")
	if len(parts) > maxCursorRun {
		return nil, false
	}
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		n, err := strconv.ParseInt(p, 36, 64)
		if err != nil || n <= 0 {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

// numbered reports whether c starts a keyset in ticket-number order,
// descending or not.
func (c cursor) numbered(desc bool) bool {
	return c.seq > 0 && c.field == "" && c.version == 0 && (c.dir == 'd') == desc
}

// versioned reports whether c starts a keyset of history rows, newest
// first.
func (c cursor) versioned() bool {
	return c.seq > 0 && c.version > 0 && c.field == "" && c.dir == 'd'
}

// sorted reports whether c starts a keyset in field's order, descending
// or not.
func (c cursor) sorted(field string, desc bool) bool {
	return c.seq > 0 && c.field != "" && c.field == field && (c.dir == 'd') == desc
}

func parseCursor(name, c string) (cursor, error) {
	bad := Errorf(CodeInvalid, "%s is not a valid cursor.", name)
	if base64.StdEncoding.DecodedLen(len(c)) > maxCursor {
		return cursor{}, bad
	}
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return cursor{}, bad
	}
	rest, ok := strings.CutPrefix(string(b), "arrayconnection:")
	if !ok {
		return cursor{}, bad
	}
	idx, key, hasKey := strings.Cut(rest, "|")
	n, err := strconv.Atoi(idx)
	if err != nil || n < 0 {
		return cursor{}, bad
	}
	cur := cursor{index: n}
	if hasKey {
		key, order, more := strings.Cut(key, "|")
		if more && strings.HasPrefix(order, "r") {
			// A run comes only before a sort value.
			list, rest, ok := strings.Cut(order[1:], "|")
			run, valid := parseRun(list)
			if !ok || !valid || !strings.HasPrefix(rest, "o") {
				return cursor{}, bad
			}
			cur.run, order = run, rest
		}
		if more && strings.HasPrefix(order, "v") {
			// A history row's version, alone or before its sort value.
			ver, rest, sorted := strings.Cut(order[1:], "|")
			v, err := strconv.Atoi(ver)
			if err != nil || v <= 0 || sorted && !strings.HasPrefix(rest, "o") {
				return cursor{}, bad
			}
			cur.version, order, more = v, rest, sorted
		}
		switch {
		case more:
			field, value, ok := strings.Cut(order, "=")
			if !ok || len(field) < 2 || field[0] != 'o' || !slices.Contains(SortIndexed, field[1:]) || !utf8.ValidString(value) {
				return cursor{}, bad
			}
			cur.field, cur.value = field[1:], value
		}
		if len(key) < 2 || (key[0] != 'a' && key[0] != 'd') {
			return cursor{}, bad
		}
		seq, err := strconv.ParseInt(key[1:], 10, 64)
		if err != nil || seq <= 0 {
			return cursor{}, bad
		}
		cur.seq, cur.dir = seq, key[0]
	}
	return cur, nil
}

// window applies Relay slicing to rows arriving in result order, keeping
// only the rows the page needs so that counting does not hold every row.
type window[T any] struct {
	lower, upper int // upper < 0: no before
	first, last  int // < 0: not sent
	needAll      bool
	n            int // rows seen
	items        []T
	ring         []T
	sawMore      bool
	after        cursor // the after cursor, for keyset starts
}

func newWindow[T any](conn string, a PageArgs, wantCount bool) (*window[T], error) {
	w := &window[T]{upper: -1, first: -1, last: -1, needAll: wantCount}
	for _, x := range []struct {
		name string
		v    *int
		dst  *int
	}{{"first", a.First, &w.first}, {"last", a.Last, &w.last}} {
		if x.v == nil {
			continue
		}
		if *x.v < 0 {
			return nil, Errorf(CodeInvalid, "Argument %q must be a non-negative integer.", x.name)
		}
		if *x.v > MaxPageSize {
			return nil, Errorf(CodeLimit, "Requesting %d records on the `%s` connection exceeds the `%s` limit of %d records.", *x.v, conn, x.name, MaxPageSize)
		}
		*x.dst = *x.v
	}
	if w.first < 0 && w.last < 0 {
		w.first = MaxPageSize
	}
	if a.Offset < 0 {
		return nil, Errorf(CodeInvalid, "Argument \"offset\" must be a non-negative integer.")
	}
	if a.Offset > 0 && a.Before != "" {
		return nil, Errorf(CodeInvalid, "Cannot combine \"offset\" and \"before\".")
	}
	if a.After != "" {
		c, err := parseCursor("after", a.After)
		if err != nil {
			return nil, err
		}
		w.lower, w.after = c.index+1, c
	}
	w.lower += a.Offset
	if a.Before != "" {
		c, err := parseCursor("before", a.Before)
		if err != nil {
			return nil, err
		}
		w.upper = c.index
	}
	if w.last >= 0 && w.first < 0 && w.upper < 0 {
		w.needAll = true // the last rows are only known at the end
	}
	return w, nil
}

// startAfter makes the window begin at the after cursor's row without
// reading the rows before it (the caller starts its key range there).
func (w *window[T]) startAfter() { w.n = w.after.index + 1 }

// add offers the next row; false means the window needs no more rows.
func (w *window[T]) add(x T) bool {
	i := w.n
	w.n++
	if i < w.lower {
		return true
	}
	if w.upper >= 0 && i >= w.upper {
		return w.needAll
	}
	if w.first >= 0 {
		if i < w.lower+w.first {
			w.items = append(w.items, x)
			return true
		}
		w.sawMore = true
		return w.needAll
	}
	// last only: keep a ring of the last rows seen inside the bounds.
	w.ring = append(w.ring, x)
	if len(w.ring) > w.last {
		w.ring = w.ring[1:]
	}
	return true
}

func (w *window[T]) page(counted bool) *Page[T] {
	p := &Page[T]{TotalCount: w.n, Counted: counted}
	if w.first >= 0 {
		items := w.items
		start := w.lower
		if w.last >= 0 && len(items) > w.last {
			start += len(items) - w.last
			items = items[len(items)-w.last:]
			p.HasPreviousPage = true
		}
		p.Items, p.StartIndex, p.HasNextPage = items, start, w.sawMore
		return p
	}
	end := w.n
	if w.upper >= 0 && w.upper < end {
		end = w.upper
	}
	start := end - len(w.ring)
	p.Items, p.StartIndex = w.ring, start
	p.HasPreviousPage = start > w.lower
	return p
}

// orderKey is one parsed orderBy entry.
type orderKey struct {
	field string
	desc  bool
}

// parseOrder parses openIMIS orderBy entries: characters other than
// letters, digits, _ - , + are dropped, camelCase becomes snake_case, and a
// leading - means descending.
func parseOrder(entries []string, allowed []string) ([]orderKey, error) {
	var keys []orderKey
	for _, e := range entries {
		var b strings.Builder
		for _, r := range e {
			if r == '_' || r == '-' || r == ',' || r == '+' || r == '?' ||
				(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
				b.WriteRune(r)
			}
		}
		for _, part := range strings.Split(b.String(), ",") {
			part = strings.TrimPrefix(part, "+")
			if part == "" {
				continue
			}
			if part == "?" {
				return nil, Errorf(CodeInvalid, "Random ordering is not supported.")
			}
			desc := strings.HasPrefix(part, "-")
			name := Snake(strings.TrimPrefix(part, "-"))
			if !slices.Contains(allowed, name) {
				return nil, Errorf(CodeInvalid, "Cannot resolve keyword '%s' into field. Choices are: %s.", name, strings.Join(allowed, ", "))
			}
			keys = append(keys, orderKey{name, desc})
		}
	}
	return keys, nil
}

// Snake converts camelCase (or CamelCase) to snake_case, the way graphene
// names fields in reverse: order and filter names arrive in either form.
func Snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r + ('a' - 'A'))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func errTooManyToSort(n int) error {
	return Errorf(CodeLimit, "This ordering needs more than %d rows sorted in memory; add a filter or order by dateCreated or code.", n)
}
