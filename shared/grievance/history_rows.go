package grievance

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// A history list with a text filter (showHistory with title_Icontains,
// say) cannot count its rows by the counts of versions, which split by
// values, not by grams: its candidates are the tickets whose postings
// held every gram of the query in some version, and each has versions.
// Judging every candidate's versions for totalCount read about 3,300
// items at 100,000 tickets. The history rows (HistoryRowIndex) say, per
// ticket, how many versions its history holds and whether its texts ever
// changed: a candidate whose queried texts never changed has every
// version holding the text the postings found, so its versions are all
// rows (exact unless it holds every gram of the query without the query,
// as the live count's case (3)), and only the candidates whose texts
// changed are judged by reading their versions. With a status, category,
// priority or staff filter too (the panel sends the title with the
// status), per-value columns say how many of a ticket's versions held
// the value (RowValueFields). With a reporter, a column says how many of
// a ticket's versions kept the reporter of the version before
// (RowUnchangedFields): the candidates whose reporter never changed
// held it in every version, and only the others are judged.

// HistoryRowIndex is a text index that also keeps each ticket's history
// rows: how many versions it has and what changed across them, by ticket
// number, a column a list reads whole (2 bytes or less a ticket).
type HistoryRowIndex interface {
	// HistoryRows returns every ticket's HistoryRowsValue, indexed by its
	// number (0 past the end, or for a ticket not indexed).
	HistoryRows(ctx context.Context) ([]uint16, error)
	// HistoryValueRows returns, per ticket, how many of its versions
	// held value in field (one of RowValueFields), or for UnchangedValue
	// of a field of RowUnchangedFields how many held the value of the
	// version before (the first counts), indexed by its number: to be
	// trusted only for a ticket HistoryRows says is not partial (its
	// every version seen). For a field of TextIndexedFields it answers
	// ChangesValue, FirstValue and FirstSplitValue, and for a
	// FirstRowsField each value of its field.
	HistoryValueRows(ctx context.Context, field, value string) ([]uint16, error)
	// HistoryValueRowsWithin is HistoryValueRows for the tickets numbered
	// lo to hi: the numbers of the others may be 0. A store reads only
	// what holds them, so a list that knows its candidates before it
	// reads a column pays for their part of it, not the table's.
	HistoryValueRowsWithin(ctx context.Context, field, value string, lo, hi int64) ([]uint16, error)
	// HistoryRowsComplete reports whether every ticket is in the columns:
	// false on a table indexed before they existed, until the backfill's
	// text pass from the start. It never goes back to false.
	HistoryRowsComplete(ctx context.Context) (bool, error)
}

// RowValueFields are the fields whose values the history rows count per
// ticket: the panel's lookups and its staff picker. A batch writes a
// column block per value its versions hold: a handful for these (a new
// ticket has no staff), while reporters are about one a ticket, so a
// batch of new tickets would write a block per ticket.
var RowValueFields = []string{"status", "category", "priority", "attending_staff__id"}

// RowUnchangedFields are the fields whose changes the history rows count
// instead (UnchangedValue): the reporter, which the panel's picker
// filters by, is set when a complaint is taken and hardly ever changes.
var RowUnchangedFields = []string{"reporter_id"}

// UnchangedValue names the column of a field of RowUnchangedFields that
// counts, per ticket, the versions holding the value of the version
// before them (its first version counts): all its versions when the
// value never changed, fewer when it did, 0 when unknown (a ticket
// indexed before the column). No reporter is named so: they are UUIDs.
const UnchangedValue = "~unchanged"

// ChangesValue and FirstValue name the columns of a text field
// (TextIndexedFields) that count, per ticket, how many of its versions
// changed the text of the version before, and how many versions came
// before the first change (0: none, or unknown for a ticket indexed
// before them); for a text changed more than once, FirstValue holds
// LastChange instead. Both move only when the text changes, so a
// version that keeps its texts writes neither. With the postings of
// replaced texts (ReplacedKey) they count the rows of a ticket whose
// text changed once, and of one changed more often whose replaced
// texts do not hold the query.
const (
	ChangesValue = "~changes"
	FirstValue   = "~first"
	// FirstSplitValue is FirstValue for a ticket whose FirstRowsField
	// counts were kept at that change (the first, or the last that
	// LastChange says), 0 or an earlier change's for the others
	// (unknown: a change counted before them, or counts too many to
	// keep). A list that needs them reads it in FirstValue's place.
	FirstSplitValue = "~firstSplit"
)

// LastChange is FirstValue's number for a text changed changes times (2
// to lastChangesMax) with before versions before its last change: those
// versions held the replaced texts, the others the live one, so where
// the replaced texts' postings lack a gram of the query (a title
// corrected twice, searched by its corrected words) its rows are the
// versions since. The changes ride in the top bits so that a number
// that trails the count of changes (a change counted by a consumer
// that did not keep it, one past lastChangesMax, a table counted
// before it: the first change's number, whose top bits are 0) is
// unknown, never taken for another change's; and each later change's
// number is higher, so the columns' merge, which keeps the higher of
// two numbers, takes it. ok is false where no number says it.
func LastChange(changes, before int) (v uint16, ok bool) {
	if changes < 2 || changes > lastChangesMax || before < 1 || before > maxRowsCount {
		return 0, false
	}
	return uint16(changes<<lastChangeShift | before), true
}

// LastChangeOf is the versions before the last change that v, a
// FirstValue number, says for a text changed changes times (ok false:
// it does not say them).
func LastChangeOf(v uint16, changes int) (before int, ok bool) {
	if changes < 2 || int(v>>lastChangeShift) != changes {
		return 0, false
	}
	return int(v & (1<<lastChangeShift - 1)), v&(1<<lastChangeShift-1) != 0
}

const (
	// lastChangeShift leaves below the changes room for any count of
	// versions a ticket's rows say (maxRowsCount).
	lastChangeShift = 16 - rowFlagBits
	lastChangesMax  = 1<<rowFlagBits - 1
)

// FirstRowsField names the columns that count, per ticket and value of
// field (one of RowValueFields), how many of the versions before the
// first (or last: FirstSplitValue) change of text (one of
// TextIndexedFields) held the value: with the value's column they split
// its versions at the change, so a title
// corrected once, filtered with the status the panel sends, is counted
// without reading its versions. They are set when the text first
// changes, and again at each later change LastChange says (to the
// versions before it, so they only grow), and never move in between.
func FirstRowsField(field, text string) string { return field + "~" + text }

// FirstRowsOf is the value field and text a FirstRowsField names (ok is
// false for any other name).
func FirstRowsOf(name string) (field, text string, ok bool) {
	for _, t := range TextIndexedFields {
		for _, f := range RowValueFields {
			if name == FirstRowsField(f, t) {
				return f, t, true
			}
		}
	}
	return "", "", false
}

// PairsValue names the column of the staff field that counts, per
// ticket, the versions its pair columns counted (from its first version;
// 0 or fewer than its versions: unknown, a ticket indexed before them, or
// whose counts outgrew its reference). A pair column,
// HistoryValueRows(name, value) for a name of RowPairKeys, counts per
// ticket the versions that held value in a field and the partner's value
// the name holds: the staff member attending (StaffPairField: the
// status, category and priority), the status (StatusPairField: the
// category and priority), the category (CategoryPairField: the priority)
// or the status and category both (TripleField: the priority). With them
// a ticket whose staff and status, status and priority, or category and
// priority, both changed is counted without reading its versions when
// the list filters on both, and one whose status, category and priority
// all changed when it filters on the three (the client's whole panel).
//
// The name is the pairs' generation: "~pairs" counted the staff's and
// the status's pairs alone (sessions 24 and 25), so a ticket a consumer
// of that code counted says nothing under this name and is judged until
// its versions are counted again (its next version 1 or the backfill's
// history pass), never counted from pairs it lacks. A new kind of pair
// takes a new name.
const PairsValue = "~pairs2"

// LegacyPairsValues are the names PairsValue had before: a reference's
// counts under them are dropped when its pairs are counted again.
var LegacyPairsValues = []string{"~pairs"}

// StatusPairedFields are the fields the history rows count per ticket
// and status.
var StatusPairedFields = []string{"category", "priority"}

// StatusPairField names the history rows' column of field's values over
// a ticket's versions in status. Its second "@" keeps it apart from every
// StaffPairField (which hashes a staff id holding one).
func StatusPairField(field string, status Status) string {
	return field + "@@" + string(status)
}

// CategoryPairedFields are the fields the history rows count per ticket
// and category.
var CategoryPairedFields = []string{"priority"}

// CategoryPairField names the history rows' column of field's values
// over a ticket's versions in category (its indexed value). Its third "@"
// keeps it apart from every StatusPairField, and a category holding one
// is hashed, as a staff id is.
func CategoryPairField(field, category string) string {
	return field + "@@@" + pairName(category)
}

// TripleField names the history rows' column of the priority's values
// over a ticket's versions in status and category (its indexed value,
// hashed as CategoryPairField's). Its fourth "@" keeps it apart from
// every other pair column's name.
func TripleField(status Status, category string) string {
	return "priority@@@@" + string(status) + "@" + pairName(category)
}

// TriplePartner is the partner RowPairOf names for a TripleField: the
// status and the category.
const TriplePartner = "status+category"

// pairedFields are the fields a pair column counts over: its partner
// field, or TriplePartner's two, and the other.
func pairedFields(by [2]string) []string {
	return append(strings.Split(by[0], "+"), by[1])
}

// RowPairOf is the field a pair column's name (RowPairKeys) counts and
// the partner field it counts it over (ok is false for any other name).
func RowPairOf(name string) (field, partner string, ok bool) {
	field, rest, ok := strings.Cut(name, "@")
	switch {
	case !ok || rest == "":
		return "", "", false
	case strings.HasPrefix(rest, "@@@"):
		status, category, ok := strings.Cut(rest[3:], "@")
		return field, TriplePartner, ok && field == "priority" && slices.Contains(Statuses, Status(status)) && category != "" && !strings.Contains(category, "@")
	case strings.HasPrefix(rest, "@@"):
		return field, "category", len(rest) > 2 && !strings.Contains(rest[2:], "@") && slices.Contains(CategoryPairedFields, field)
	case rest[0] == '@':
		return field, "status", len(rest) > 1 && slices.Contains(StatusPairedFields, field)
	default:
		return field, "attending_staff__id", !strings.Contains(rest, "@") && slices.Contains(StaffPairedFields, field)
	}
}

// pairKind is a kind of pair columns: the partner field they count
// others over, the fields they count, and a column's name for one of
// those fields and a partner's value.
type pairKind struct {
	partner string
	fields  []string
	name    func(field, partner string) string
}

// rowPairKinds are the kinds of pair columns the history rows keep (the
// triples aside: TripleField), in the order their keys are written and
// read.
var rowPairKinds = []pairKind{
	{"attending_staff__id", StaffPairedFields, StaffPairField},
	{"status", StatusPairedFields, func(f, st string) string { return StatusPairField(f, Status(st)) }},
	{"category", CategoryPairedFields, CategoryPairField},
}

// RowPairKeys are the pair columns a version counts in, each with the
// value it counts, from the version's indexed values (IndexedValue):
// empty values are not counted, since no filter asks for them.
func RowPairKeys(value func(field string) string) []VersionCountKey {
	var keys []VersionCountKey
	for _, k := range rowPairKinds {
		if partner := value(k.partner); partner != "" {
			for _, f := range k.fields {
				if v := value(f); v != "" {
					keys = append(keys, VersionCountKey{k.name(f, partner), v})
				}
			}
		}
	}
	if status, category, priority := value("status"), value("category"), value("priority"); status != "" && category != "" && priority != "" {
		keys = append(keys, VersionCountKey{TripleField(Status(status), category), priority})
	}
	return keys
}

// rowOnceMin is how many candidates must need judging before a count
// reads what counts those whose text changed once: up to it their
// versions (3 items and about 1 RCU a ticket, beside the page) cost less
// than the columns and postings that count them (about 16 index items and
// 9.5 RCU at 1,000 and 10,000 tickets; a posting is 2 items past
// 16,384 tickets).
// Measured both ways (session 32): at 11 and 12 candidates the counts
// already read 1–2.5 RCU and 17–21 items fewer.
const rowOnceMin = 8

// unvouchedMax is how many candidates the pairs do not vouch for a list
// judges before it reads the other columns instead: those cost a round
// trip more, where the counts of changes ride beside the page's read.
const unvouchedMax = 12

// onceColumns are what counts a candidate whose text in one field changed
// once: the field's FirstValue and ChangesValue columns, and the
// postings of the query's grams in its live and replaced texts, and of
// the live tickets.
type onceColumns struct {
	first, changes []uint16
	post           map[PostingKey]*SeqSet
	// values are, per value field the list filters on, its accepted
	// values' FirstRowsField columns (with first from FirstSplitValue).
	values map[string][][]uint16
}

// onceReader reads the onceColumns of field with keys' postings, and
// for values (accepted values by value field) their FirstRowsField
// columns, for the candidates numbered lo to hi (the columns' other
// numbers may be 0).
type onceReader func(field string, keys []PostingKey, values map[string][]string, lo, hi int64) (*onceColumns, error)

// rowColumns are what a history list reads of the history rows: the
// rows, and for a list with value filters the columns of the values they
// accept, by field and value.
type rowColumns struct {
	rows   []uint16
	values map[string]map[string][]uint16
	// pairs are the pair columns (RowPairKeys) of the accepted values
	// of two value filters, by partner field (the staff, the status) and
	// the other field: a column per accepted pair of values. paired is
	// the PairsValue column (nil: none read).
	pairs  map[[2]string][][]uint16
	paired []uint16
	// familyOnly: values holds no column, pairs one kind that counts
	// every filtered field together (history_family.go); accepted are
	// the values of those fields, and singles reads their single
	// columns (a candidate whose queried text changed once needs them).
	familyOnly bool
	accepted   map[string][]string
	singles    func() (map[string]map[string][]uint16, error)
}

// pairPartners are the fields pair columns count others over, in the
// order a candidate's split fields are looked up in them.
var pairPartners = []string{"attending_staff__id", "status", "category"}

// pairRows counts ticket n's rows from the pair columns: when the two
// fields that split its versions are a partner and another the pairs
// count, or the three are the status, category and priority, and the
// pairs counted its every version (ok false otherwise: it is judged).
func (c *rowColumns) pairRows(n int64, versions int, split []string) (int, bool) {
	if c.pairs == nil || len(split) < 2 || len(split) > 3 || n >= int64(len(c.paired)) || int(c.paired[n]) != versions {
		return 0, false
	}
	sum := func(cols [][]uint16) int {
		rows := 0
		for _, col := range cols {
			if n < int64(len(col)) {
				rows += int(col[n])
			}
		}
		return rows
	}
	if len(split) == 3 {
		by := [2]string{TriplePartner, "priority"}
		cols, ok := c.pairs[by]
		if !ok || slices.ContainsFunc(split, func(f string) bool { return !slices.Contains(pairedFields(by), f) }) {
			return 0, false
		}
		return sum(cols), true
	}
	for _, partner := range pairPartners {
		i := slices.Index(split, partner)
		if i < 0 {
			continue
		}
		if cols, ok := c.pairs[[2]string{partner, split[1-i]}]; ok {
			return sum(cols), true
		}
	}
	return 0, false
}

// RowFlags say what a ticket's history rows cannot vouch for.
type RowFlags uint16

// RowsPartial: not every version of the ticket was seen (a ticket from
// before the column, a version whose indexing failed): its count and its
// texts are unknown. TextChanged gives the flag of each text field.
const (
	RowsPartial  RowFlags = 1
	rowFlagBits           = 3 // RowsPartial and a flag per TextIndexedFields
	maxRowsCount          = 1<<(16-rowFlagBits) - 1
)

// TextChanged is the flag of a text field whose text differs between two
// versions of a ticket (0 for a field the text index does not keep).
func TextChanged(field string) RowFlags {
	switch i := slices.Index(TextIndexedFields, field); {
	case i < 0:
		return 0
	case i+1 >= rowFlagBits:
		return RowsPartial // a text field without a flag of its own: judged
	default:
		return 1 << (i + 1)
	}
}

// HistoryRowsValue is the column's number for a ticket at version
// versions with flags (0, unknown, for no version). Versions are counted
// from 1 and every one is recorded, so the version is the count of rows;
// past what the column holds the ticket is partial.
func HistoryRowsValue(versions int, flags RowFlags) uint16 {
	if versions <= 0 {
		return 0
	}
	if versions > maxRowsCount {
		versions, flags = maxRowsCount, flags|RowsPartial
	}
	return uint16(versions)<<rowFlagBits | uint16(flags)
}

// historyRowsOf reads a column number: unknown is partial.
func historyRowsOf(v uint16) (int, RowFlags) {
	if v == 0 {
		return 0, RowsPartial
	}
	return int(v >> rowFlagBits), RowFlags(v) & (1<<rowFlagBits - 1)
}

// MergeHistoryRows is what a ticket's number becomes when a writer sets
// next over cur: the higher version and every flag of either, so a batch
// replayed, or a writer that lost a race, never takes back what a newer
// one set.
func MergeHistoryRows(cur, next uint16) uint16 {
	if cur == 0 || next == 0 {
		return max(cur, next)
	}
	a, fa := historyRowsOf(cur)
	b, fb := historyRowsOf(next)
	return HistoryRowsValue(max(a, b), fa|fb)
}

// rowCount is a history list's totalCount from the history rows: the
// rows of the candidates the page did not read, from the column; the
// matching versions of those it read; and the matching versions of the
// candidates the column cannot count, read beside the page.
type rowCount struct {
	mu     sync.Mutex
	per    map[int64]int // versions of the candidates counted by the column
	column int           // their sum, less the candidates read
	found  int           // matching versions of those read
	judged func() (int, error)
}

// rowsCountable reports whether a history list's totalCount comes from
// the history rows: totalCount asked, the first rows of the list, filters
// the counts of versions do not count (text filters the postings narrow,
// title, description and code; three of the panel's value filters, or
// the reporter with another; none, for a reader the sight rule affects:
// affected, the counts of versions are not theirs, docs/data-model.md
// "The sight rule"), and no other filter but on RowValueFields or an
// exact reporter, and no SLA or username filter. The sight rule is the
// rowSight's, for a reader it affects. With place, the counts of versions
// may give the total too: the columns place each candidate's rows.
func rowsCountable(pl *ticketPlan, affected, place bool) bool {
	q, w := pl.q, pl.w
	if !q.WantCount || q.Version != 0 || q.SLAStatus != "" || q.ResolvedWithinTime != nil || pl.staffIDs != nil ||
		pl.versionCount != nil && !place || len(pl.fs) == 0 && !affected {
		return false
	}
	if w.first < 0 || w.upper >= 0 || (q.Page.Last != nil && q.Page.First == nil) {
		return false
	}
	for _, f := range pl.fs {
		switch {
		case searchable(f):
		case slices.Contains(RowUnchangedFields, f.Field) && indexAnswers(f):
			// Its postings hold the candidates; one whose value never
			// changed held it in every version.
		case !slices.Contains(RowValueFields, f.Field):
			return false
		}
	}
	return true
}

// rowValueColumns bounds the columns a list reads beside the postings (25
// items each at 100,000 tickets): a lookup that accepts more values
// judges its candidates, as without the columns.
const rowValueColumns = 8

// rowValues are the values of each of RowValueFields a version must hold
// to pass fs's filters on it, from held, the values versions held, for
// lookups other than exact; a field whose filters accept every value
// versions held decides nothing and is left out. ok is false when the
// columns cannot count them: an empty value accepted (no column holds
// it), a lookup's values unknown, or more than rowValueColumns values.
func rowValues(fs []Filter, held map[string][]string) (byField map[string][]string, ok bool) {
	byField = map[string][]string{}
	for _, f := range fs {
		if slices.Contains(RowUnchangedFields, f.Field) {
			byField[f.Field] = []string{UnchangedValue}
			continue
		}
		if !slices.Contains(RowValueFields, f.Field) {
			continue
		}
		var m []string
		switch v, _ := f.Value.(string); {
		case f.Field == "status":
			for _, st := range statusesMatching(f) {
				m = append(m, string(st))
			}
		case f.Lookup == Exact:
			m = []string{v}
		case held[f.Field] == nil:
			return nil, false
		default:
			for _, h := range held[f.Field] {
				if matchText(h, f.Lookup, v) {
					m = append(m, h)
				}
			}
		}
		if values, ok := byField[f.Field]; ok {
			m = slices.DeleteFunc(m, func(v string) bool { return !slices.Contains(values, v) })
		}
		if slices.Contains(m, "") {
			return nil, false
		}
		byField[f.Field] = m
	}
	columns := 0
	for field, values := range byField {
		all := held[field]
		if field == "status" {
			all = nil
			for _, st := range Statuses {
				all = append(all, string(st))
			}
		}
		if all != nil && !slices.ContainsFunc(all, func(v string) bool { return !slices.Contains(values, v) }) {
			delete(byField, field)
			continue
		}
		columns += len(values)
	}
	return byField, columns <= rowValueColumns
}

// countRows plans the count of a history text list over cands from the
// columns. It refuses the list (LIMIT_EXCEEDED) when the candidates it
// must judge hold more than budget versions (the history read budget:
// judging every candidate, as without the columns, would read more).
// Only those are judged, however many. It returns the count and how many
// rows the candidates hold (as far as the columns say; the judged ones at
// the counted ones' rate of rows to versions), which sizes the page's
// read.
//
// A candidate counted by the columns has every version holding the text
// the postings found, so its rows are its versions, or, with value
// filters, its versions that held a value each accepts: a field whose
// accepted values all its versions held (a category that never changed)
// or none did decides nothing or everything, and with one field left
// that some versions pass, its count is the rows. A candidate with two
// such fields (its status and its category both changed across the
// accepted values) is judged, as one whose reporter changed.
//
// A candidate whose queried text changed in one field, and that at most
// one value filter splits, is counted by once (when more than rowOnceMin
// candidates need judging): a text that changed once (a typo corrected, a
// description completed) holds the query in its first versions if the
// replaced text's postings hold every gram, and in the rest if the live
// text's do; with a value filter that splits its versions (the status
// the panel sends), the FirstRowsField columns say how many of its rows
// came before the change. A programme that corrected one title in ten
// counts a title search, and the title with a status, without reading
// the corrected tickets' versions. A text changed more often is counted
// where its replaced texts' postings lack a gram of the query (a title
// corrected twice, searched by its corrected words): its rows are the
// versions since its last change (LastChange), with the status too. The
// others (a query the replaced texts may hold, a text changed more than
// lastChangesMax times, deleted, unknown counts) are judged.
//
// For a reader the sight rule affects, rs says which candidates it may
// hide versions of (the list has left out those that hold no row): when
// more than rowOnceMin candidates need judging, sight's columns count
// those whose versions the reader sees all, none, or by attendance or
// category alone (sightColumns.rows); the others are judged.
func (pl *ticketPlan) countRows(cands *SeqSet, cols *rowColumns, g *guard, rs *rowSight, budget int, read func([]int64) (map[int64][]*Ticket, error), once onceReader, sight sightReader) (*rowCount, int, error) {
	col := cols.rows
	var watch RowFlags = RowsPartial
	texts := map[RowFlags]string{} // the flag of each queried text field
	for _, f := range pl.fs {
		watch |= TextChanged(f.Field)
		if t := TextChanged(f.Field); searchable(f) && t != 0 && t != RowsPartial {
			texts[t] = f.Field
		}
	}
	rc := &rowCount{per: map[int64]int{}}
	var (
		judge          []int64
		byField        = map[string][]pendingCandidate{}
		onces          int
		sighted        []pendingCandidate // hidden candidates for the sight's columns
		total, judging int
		counted        int // the versions of the candidates counted
		pending        int // and of those judged or counted by once
		unvouched      int // judged since the family's pairs did not count them
	)
	cands.Range(0, cands.Max(), false, func(n int64) bool {
		var v uint16
		if n < int64(len(col)) {
			v = col[n]
		}
		versions, flags := historyRowsOf(v)
		rows := versions
		known := flags&RowsPartial == 0
		hidden := rs != nil && rs.judge.Has(n)
		by := ""           // a value filter some versions pass, not all
		var split []string // every such field
		for field, byValue := range cols.values {
			if !known || rows == 0 {
				break
			}
			held := 0
			for _, c := range byValue {
				if n < int64(len(c)) {
					held += int(c[n])
				}
			}
			switch {
			case slices.Contains(RowUnchangedFields, field):
				// Its postings hold the candidate: every version held the
				// value when none changed it, else (or unknown) judged.
				known = held >= versions
			case held >= versions:
			case held == 0:
				rows = 0
			default:
				split = append(split, field)
				rows, by = held, field
			}
		}
		// Two fields some versions pass: the staff member's pairs
		// count a staff filter with another, else it is judged.
		paired := false
		if cols.familyOnly && known && rows > 0 {
			rows, paired = cols.familyRows(n, versions)
			known = paired
			if !paired {
				unvouched++
			}
		}
		if known && rows > 0 && len(split) > 1 {
			rows, paired = cols.pairRows(n, versions, split)
			known, by = paired, ""
		}
		sure := known && !hidden
		text := flags & watch &^ RowsPartial
		switch {
		case sure && (text == 0 || rows == 0), known && rows == 0:
			// No queried text changed, or no version holds the values
			// (whatever the reader may see of them).
			total += rows
			counted += versions
			rc.per[n] = rows
			rc.column += rows
		case sure && texts[text] != "" && once != nil && (!paired || cols.familyOnly):
			field := texts[text]
			byField[field] = append(byField[field], pendingCandidate{n, versions, rows, by, cols.familyOnly})
			onces++
			pending += versions
		case known && text == 0 && sight != nil && !paired:
			sighted = append(sighted, pendingCandidate{n: n, versions: versions, rows: rows, by: by})
			pending += versions
		default:
			judge = append(judge, n)
			pending += max(versions, 1)
			judging += max(versions, 1)
		}
		return judging <= budget
	})
	// The rows the others hold, at the counted ones' rate of rows to
	// versions (a value filter passes a few of a ticket's versions):
	// counting each version would size the page's first read too small.
	if counted > 0 {
		total += (pending*total + counted - 1) / counted
	} else {
		total += pending
	}
	if unvouched > unvouchedMax {
		return nil, 0, errFamilyUntrusted
	}
	if judging > budget {
		return nil, 0, historyLimit(budget)
	}
	if onces+len(sighted)+len(judge) <= rowOnceMin {
		for _, c := range slices.Concat(slices.Concat(slices.Collect(maps.Values(byField))...), sighted) {
			judge = append(judge, c.n)
			judging += max(c.versions, 1)
		}
		byField, sighted = nil, nil
	}
	rc.judged = func() (int, error) { return 0, nil }
	if len(judge) == 0 && len(byField) == 0 && len(sighted) == 0 {
		return rc, total, nil
	}
	var sightRead func() (*sightColumns, error)
	if len(sighted) > 0 {
		lo, hi := bounds(sighted)
		sightRead = async("read the sight's columns", func() (*sightColumns, error) { return sight(lo, hi) })
	}
	// Each queried field's counts at once (a title and a description
	// filter: one round trip, not two).
	type onceRead struct {
		keys onceKeys
		read func() (*onceColumns, error)
	}
	reads := map[string]onceRead{}
	var singlesRead func() (map[string]map[string][]uint16, error)
	for field, cs := range byField {
		keys := pl.onceKeys(field)
		// The accepted values of each field that splits a candidate's
		// versions: their counts before the change (of every filtered
		// field while the split is not known).
		values := map[string][]string{}
		for _, c := range cs {
			switch {
			case c.unsplit:
				maps.Copy(values, cols.accepted)
				if singlesRead == nil {
					singlesRead = async("read history rows of the values", cols.singles)
				}
			case c.by != "" && values[c.by] == nil:
				values[c.by] = slices.Sorted(maps.Keys(cols.values[c.by]))
			}
		}
		lo, hi := bounds(cs)
		reads[field] = onceRead{keys, async("read text changes", func() (*onceColumns, error) {
			return once(field, slices.Concat(keys.replaced, keys.live, []PostingKey{LiveKey}), values, lo, hi)
		})}
	}
	rc.judged = async("judge changed versions", func() (int, error) {
		n := 0
		var failed error
		// count adds the rows of each of cs that rows can say, and
		// judges the others.
		count := func(cs []pendingCandidate, rows func(pendingCandidate) (int, bool)) {
			for _, c := range cs {
				if r, ok := rows(c); ok {
					n += r
					continue
				}
				judge = append(judge, c.n)
				judging += max(c.versions, 1)
			}
		}
		var singles map[string]map[string][]uint16
		if singlesRead != nil {
			var err error
			if singles, err = singlesRead(); err != nil {
				failed = err
			}
		}
		for field, cs := range byField {
			oc, err := reads[field].read()
			if err != nil {
				failed = cmp.Or(failed, err)
				continue
			}
			count(cs, func(c pendingCandidate) (int, bool) {
				if c.unsplit {
					var ok bool
					if c, ok = splitOf(c, singles); !ok {
						return 0, false
					}
				}
				return oc.rows(c, reads[field].keys)
			})
		}
		if sightRead != nil {
			sc, err := sightRead()
			if err != nil {
				failed = cmp.Or(failed, err)
			} else {
				count(sighted, func(c pendingCandidate) (int, bool) { return sc.rows(c, rs) })
			}
		}
		if failed != nil {
			return 0, failed // after every read ends with the request
		}
		if judging > budget {
			return 0, historyLimit(budget)
		}
		if len(judge) == 0 {
			return n, nil
		}
		vs, err := read(judge)
		if err != nil {
			return 0, err
		}
		for _, seq := range judge {
			n += pl.matching(g, vs[seq])
		}
		return n, nil
	})
	return rc, total, nil
}

// onceKeys are the postings of the grams of pl's text filters on field,
// in the live texts and in the replaced ones.
type onceKeys struct{ live, replaced []PostingKey }

func (pl *ticketPlan) onceKeys(field string) onceKeys {
	var ks onceKeys
	for _, f := range pl.fs {
		if f.Field != field || !searchable(f) {
			continue
		}
		grams, _ := queryGrams(strings.ToLower(f.Value.(string)))
		for _, g := range grams {
			k := PostingKey{Field: field, Gram: g}
			ks.live = append(ks.live, k)
			ks.replaced = append(ks.replaced, ReplacedKey(k))
		}
	}
	return ks
}

// pendingCandidate is a candidate counted after the columns, from what
// is read beside the page's first read (its queried text changed, or the
// sight rule may hide some of its versions): of versions versions, rows
// of which pass the value filters; by is the one field whose accepted
// values some of its versions held, not all ("" for none: its rows are
// its versions).
type pendingCandidate struct {
	n              int64
	versions, rows int
	by             string
	// unsplit: a family's pairs counted its rows, and which field splits
	// them is not known yet (by is found from the single columns, read
	// beside the page: splitOf).
	unsplit bool
}

// bounds are the lowest and highest numbers of cs (not empty): the
// columns that count them are read only where they are, as candidates
// found by a text are often numbered close together (a name, a code, a
// case filed in one week), and the columns grow with the table.
func bounds(cs []pendingCandidate) (lo, hi int64) {
	lo, hi = cs[0].n, cs[0].n
	for _, c := range cs[1:] {
		lo, hi = min(lo, c.n), max(hi, c.n)
	}
	return lo, hi
}

// rows counts the rows of candidate c: ok is false unless its text
// changed once (ChangesValue 1, known from its first version) and the
// ticket is live (a deleted ticket's last text is in no live posting),
// when the versions before the change held the replaced text and the
// others the live one. With a field that splits its versions, the
// FirstRowsField columns say how many of its rows came before the
// change (ok is false where they are unknown, or disagree with the
// columns read before them: a version indexed between the reads). A
// text changed more often (2 to lastChangesMax times) is counted the same
// way at its last change (LastChange) where the replaced texts' postings
// lack a gram of the query: none of its versions before that change
// then held it.
func (oc *onceColumns) rows(c pendingCandidate, ks onceKeys) (int, bool) {
	n := c.n
	at := func(c []uint16) int {
		if n < int64(len(c)) {
			return int(c[n])
		}
		return 0
	}
	first, changes := at(oc.first), at(oc.changes)
	holds := func(keys []PostingKey) bool {
		for _, k := range keys {
			if !oc.post[k].Has(n) {
				return false
			}
		}
		return true
	}
	if changes < 1 || !oc.post[LiveKey].Has(n) {
		return 0, false
	}
	replaced, live := holds(ks.replaced), holds(ks.live)
	if changes > 1 {
		// Every version before the last change held a replaced text
		// (each was followed by another), the others the live one; which
		// replaced texts held the query, only the versions say.
		switch {
		case replaced:
			return 0, false
		case !live:
			return 0, true
		}
		var ok bool
		if first, ok = LastChangeOf(uint16(first), changes); !ok {
			return 0, false
		}
	}
	if first < 1 || first >= c.versions {
		return 0, false
	}
	before := first // the rows before the (last) change
	if c.by != "" {
		cols, ok := oc.values[c.by]
		if !ok {
			return 0, false
		}
		before = 0
		for _, col := range cols {
			before += at(col)
		}
		if before > first || before > c.rows || c.rows-before > c.versions-first {
			return 0, false
		}
	}
	rows := 0
	if replaced {
		rows += before
	}
	if live {
		rows += c.rows - before
	}
	return rows, true
}

// matching counts the versions of a ticket that are rows of the list for
// g's reader, by the sight rule as guarded applies it (guard.judge), with
// the newest of them standing for the live ticket: the count trails the
// records by the consumer's lag anyway, and reading each live ticket
// would cost a request per judged candidate.
func (pl *ticketPlan) matching(g *guard, vs []*Ticket) int {
	var live *Ticket
	if g.sensitive() {
		for _, v := range vs {
			if live == nil || v.Version > live.Version {
				live = v
			}
		}
	}
	n := 0
	for _, v := range vs {
		if ok, m := g.judgeBy(v, live); ok && matchesTicket(pl.fs, pl.staffIDs, v) && !filtersTouch(pl.fs, m) {
			n++
		}
	}
	return n
}

// rowSight is the sight rule over a history list's candidates, for
// a reader it affects (guard.unseen: categories they may not see, or not
// match on the filters in, unless they attend the ticket). A candidate
// whose live version is in such a category and that they never attended
// holds no row (guard.judge refuses each of its versions by the live
// one): the list leaves it out, as the live search does. One that was
// ever in such a category is counted by the sightColumns, or judged by
// its versions where they cannot say. The
// reader sees the others whole, attended by them or not: attending a
// ticket only lifts what such a category hides, so the tickets they
// attend are not judged for it (an officer attends hundreds). The
// postings trail the
// records by the consumer's lag: for that moment a ticket just moved may
// be counted, or left out, as by the live search.
type rowSight struct {
	none, judge *SeqSet
	// hidden are the live tickets in such a category.
	hidden *SeqSet
}

// sightColumns count, beside a rowSight, the rows of a candidate it
// judges: how many of its versions were in the categories hidden from
// the reader (a column each), how many the reader attended, and the live
// tickets the reader attends.
type sightColumns struct {
	unseen   [][]uint16
	attended []uint16
	mine     *SeqSet // live tickets the reader attends
	live     *SeqSet // live tickets (LiveKey)
}

// sightReader reads the sightColumns of a list's reader for the
// candidates numbered lo to hi (the columns' other numbers may be 0).
type sightReader func(lo, hi int64) (*sightColumns, error)

// rows counts the rows candidate c (c.rows of its versions passing the
// list's filters) holds for the reader, when the columns can say: ok is
// false where only its versions can (a ticket the reader attended in
// part whose versions were in part in a hidden category: the columns do
// not say which of them they attended). A version is the reader's if
// they attended it or its category is not hidden, and the live ticket is
// too:
//   - attended in every version: every row;
//   - live in a hidden category they do not attend: none;
//   - never attended, live: its versions outside the hidden categories;
//   - live and attended by them, every version in a hidden category:
//     the versions they attended.
//
// The last two only where every version passes the filters (no value
// filter splits them: the columns do not say which versions were both).
func (sc *sightColumns) rows(c pendingCandidate, rs *rowSight) (int, bool) {
	at := func(col []uint16) int {
		if c.n < int64(len(col)) {
			return int(col[c.n])
		}
		return 0
	}
	unseen := 0
	for _, col := range sc.unseen {
		unseen += at(col)
	}
	attended := at(sc.attended)
	live := sc.live.Has(c.n)
	switch {
	case unseen > c.versions || attended > c.versions:
		return 0, false // a version indexed between the reads
	case attended == c.versions:
		return c.rows, true
	case !live:
		return 0, false // deleted: its last version stands for the live one
	case rs.hidden.Has(c.n) && !sc.mine.Has(c.n):
		return 0, true
	case c.by != "":
		return 0, false
	case attended == 0 && !rs.hidden.Has(c.n):
		return c.versions - unseen, true
	case sc.mine.Has(c.n) && unseen == c.versions:
		return attended, true
	}
	return 0, false
}

// sightKeys are the postings a rowSight is made of, for the unseen
// categories and the reader id (empty for none).
func sightKeys(unseen []string, reader string) (live, ever []PostingKey, mine PostingKey) {
	for _, c := range unseen {
		live = append(live, ValueKey("category", c))
		ever = append(ever, HistoryKey(ValueKey("category", c)))
	}
	return live, ever, HistoryKey(ValueKey("attending_staff__id", reader))
}

// newRowSight makes the rowSight of post's sightKeys.
func newRowSight(post map[PostingKey]*SeqSet, unseen []string, reader string) *rowSight {
	live, ever, mine := sightKeys(unseen, reader)
	rs := &rowSight{none: &SeqSet{}, judge: &SeqSet{}, hidden: &SeqSet{}}
	for _, k := range live {
		orSet(rs.none, post[k])
		orSet(rs.hidden, post[k])
	}
	for _, k := range ever {
		orSet(rs.judge, post[k])
	}
	if m := post[mine]; reader != "" && m != nil {
		rs.none.AndNot(m)
	}
	return rs
}

// orSet adds o's members to s (none for nil).
func orSet(s, o *SeqSet) {
	if o != nil {
		s.Or(o)
	}
}

// reading wraps the page's read: a candidate the column counted is
// counted by its versions once read.
func (rc *rowCount) reading(pl *ticketPlan, g *guard, read func([]int64) (map[int64][]*Ticket, error)) func([]int64) (map[int64][]*Ticket, error) {
	return func(seqs []int64) (map[int64][]*Ticket, error) {
		vs, err := read(seqs)
		if err != nil {
			return nil, err
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		for _, n := range seqs {
			if k, ok := rc.per[n]; ok {
				delete(rc.per, n)
				rc.column -= k
				rc.found += pl.matching(g, vs[n])
			}
		}
		return vs, nil
	}
}

// total waits for the judged candidates and adds up the count.
func (rc *rowCount) total() (int, error) {
	j, err := rc.judged()
	if err != nil {
		return 0, fmt.Errorf("count history rows: %w", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.column + rc.found + j, nil
}
