package grievance

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The text index answers the web client's text filters (title,
// description, code) without reading every ticket: for each indexed field
// and each gram (1 to 3 characters of its lower-cased text), the set of
// live ticket numbers whose text holds it. A store keeps it from the
// stream (shared/store); this file says what goes in and how a query uses
// it, so the writer and the reader cannot disagree.
//
// Grams can only narrow: every row is still read and judged (visibility,
// masking, every filter) before it is shown, so a stale or coarse posting
// costs a read, never a wrong row.

// TextIndexedFields are the ticket fields whose grams are indexed. The
// code is not: which numbers a code filter matches is arithmetic on the
// numbers (codes are GRS + eight digits), intersected with LiveGram.
var TextIndexedFields = []string{"title", "description"}

// ValueIndexedFields are the ticket fields whose exact values are indexed
// (a posting per value, ValueKey), so the filter panel's status, category
// and priority narrow a text search by the index too, and the sight rule
// (category and attending staff decide what a reader sees) can be applied
// to a whole candidate set.
//
// The reporter is indexed so a reporter's tickets can be sorted by a value
// field (sortedByValue) by their postings alone. Empty values have no
// posting.
var ValueIndexedFields = []string{"status", "category", "priority", "attending_staff__id", "reporter_id"}

// LiveTextFields are ticket fields outside the client's panel that
// operators and integrations filter by (a channel's tickets, a flag's, a
// resolution time's, an incident's day, the day a ticket was filed, a
// partner system's reference: the key): indexed for live lists only, so they cost
// no history posting, count or replaced text. A text's value is in four
// kinds of posting (LiveTextKeys), one a lookup: its exact value (exact),
// its folded value (iexact), its lower-cased prefixes up to
// livePrefixMax characters (istartswith) and its grams (icontains, and a
// longer istartswith), so every lookup but those two is decided, and
// counted, by one posting. The dates are kept more cheaply (liveDates).
//
// A field added here, or a change to the postings LiveTextKeys writes
// for one, raises LiveTextsVersion and names the new version in
// liveSince for that field.
var LiveTextFields = []string{"channel", "flags", "resolution", "date_of_incident", "date_created", "key"}

// LiveTextsVersion names what the live postings hold (LiveTextFields,
// liveStates, the kinds LiveTextKeys writes): a store marks its postings
// complete, and each ticket's reference indexed, for one version, so a
// table indexed under an earlier one is indexed again by the backfill's
// text pass. Until then its lists by a field the earlier version already
// held are decided by its postings (liveSince), the others read their
// range. 2: the resolution time and a resolved ticket's service level
// (session 43); 3: the key (session 44).
const LiveTextsVersion = 3

// liveSince is the version of the live postings since which a field's are
// as LiveTextKeys writes them; 1 for a field not named.
var liveSince = map[string]int{"resolution": 2, SLAResolvedField: 2, "key": 3}

// LiveSince is the version of the live postings since which field's (of
// LiveIndexedFields) are as LiveTextKeys writes them.
func LiveSince(field string) int { return max(1, liveSince[field]) }

// SLAResolvedField is a derived value kept beside LiveTextFields: a live
// resolved ticket's service level, MET or MISSED (Ticket.SLA; no reading
// time enters it), so slaStatus MET or MISSED and resolvedWithinTime are
// decided by one posting. The open levels depend on the reading time,
// BREACHED by the due days alone (dayColumns), ON_TRACK and AT_RISK on when
// each ticket's period started too, which no index holds: they read their
// range.
const SLAResolvedField = "sla_resolved"

// liveStates are the derived values kept with LiveTextFields: only their
// exact value has a posting, as no filter names them.
var liveStates = map[string]bool{SLAResolvedField: true}

// LiveIndexedFields are the fields whose live postings a store keeps:
// LiveTextFields and the derived liveStates, each valued by
// LiveIndexedValue.
var LiveIndexedFields = append(slices.Clone(LiveTextFields), SLAResolvedField)

// LiveIndexedValue is the value of field (of LiveIndexedFields) that
// LiveTextKeys indexes for t.
func LiveIndexedValue(t *Ticket, field string) string {
	if field != SLAResolvedField {
		return IndexedValue(t, field)
	}
	if st, ok := t.SLA(time.Time{}, 0); ok && !st.Open() {
		return string(st)
	}
	return ""
}

// liveDates are the fields of LiveTextFields that hold a date (a date
// and time, for the date created): their prefixes up to the day (a
// year, a month, a day) and their whole value when it is a day (a date
// of incident: exact and iexact, which digits cannot tell apart), no
// grams and no longer prefixes. A date and time is nearly one a ticket,
// so its whole value and longer prefixes would be a posting item a
// ticket; a date's grams are shared by almost every ticket, and would
// cost a new ticket some 20 posting changes for a lookup (icontains on
// a date) few send. Their other lookups are decided by the date days
// where the day tells them (DateDayIndex, dayTells), else read the range.
var liveDates = map[string]bool{"date_of_incident": true, "date_created": true}

// DateDayFields are the dates of LiveTextFields whose day a DateDayIndex
// keeps in a column.
var DateDayFields = []string{"date_of_incident", "date_created"}

// DateDayIndex is a text index that also keeps the day (DateDay) of each
// ticket's date of incident and date created, by ticket number: a
// column per field that a list reads whole, as the due days
// (DueDayIndex), to decide the lookups no posting does but the day
// tells (dayTells): icontains on a date of incident (a date's grams are
// in almost every ticket, so postings of them would cost a new ticket
// some 20 posting changes; a column costs each batch one block), and on
// a date created where the match can only lie in its day. A block's
// tickets are filed together, so their days are within days of one
// another: a byte a ticket.
type DateDayIndex interface {
	// DateDays returns the day of field (of DateDayFields) of every
	// ticket, indexed by its number (DayUnknown past the end, or for a
	// ticket not indexed).
	DateDays(ctx context.Context, field string) ([]uint16, error)
	// DateDaysComplete reports whether every live ticket's days are in
	// the columns: false on a table indexed before they existed, until
	// the backfill's text pass from the start. It never goes back to
	// false.
	DateDaysComplete(ctx context.Context) (bool, error)
}

// DateDay returns the day (DayOf) of value, field's text as
// LiveIndexedValue gives it: for a date created (a date and time), its
// date's.
func DateDay(field, value string) uint16 {
	if field == "date_created" && len(value) > dayLen && value[dayLen] == 'T' {
		value = value[:dayLen]
	}
	return DayOf(value)
}

// dayTells reports whether the day (DateDay) of a ticket's date alone
// tells whether f matches it, for a lookup of DateDayFields no live
// posting decides (liveLookup): every lookup of a date of incident,
// whose text is its day; on a date created (its day, "T", then a time of
// digits, ':' and '.') an icontains whose lower-cased value holds no "t"
// and some character a time has not (a '-', a letter), as its match can
// then only lie within the day. The others (a time, a longer prefix,
// digits alone, which a time's fraction may hold) read the range.
func dayTells(f Filter) bool {
	v, ok := f.Value.(string)
	if !ok || v == "" || !slices.Contains(DateDayFields, f.Field) || !slices.Contains(textLookups, f.Lookup) {
		return false
	}
	if _, how := liveLookup(f); how != liveNone {
		return false
	}
	if f.Field != "date_created" {
		return true
	}
	q := strings.ToLower(v)
	return f.Lookup == IContains && !strings.Contains(q, "t") &&
		strings.ContainsFunc(q, func(r rune) bool { return !strings.ContainsRune("0123456789:.", r) })
}

// dayTicket is a ticket whose field (of DateDayFields) falls on day, for
// judging the lookups dayTells: a date created at its midnight.
func dayTicket(field string, day uint16) *Ticket {
	date := dayDate(day)
	if field != "date_created" {
		return &Ticket{DateOfIncident: date}
	}
	t, err := time.Parse(DateLayout, date)
	if err != nil {
		return &Ticket{} // DayNone: no date
	}
	return &Ticket{DateCreated: t}
}

// dayLen is the length of a date's text (YYYY-MM-DD).
const dayLen = len(DateLayout)

// livePrefixMax is the longest prefix with its own posting: a channel's
// or flag's name, a date (10), fit; a longer istartswith is narrowed by
// the grams.
const livePrefixMax = 32

// The field of each kind of posting of LiveTextFields: a prefix no field
// name starts with, so none meets the field's grams (a gram may start
// with any of them: these fields are text-indexed).
const (
	liveExact  = "="
	liveFold   = "~"
	livePrefix = "^"
)

// LiveTextFieldOf returns the field of LiveIndexedFields whose live
// posting k is (of any kind: its grams too); false for any other posting.
func LiveTextFieldOf(k PostingKey) (string, bool) {
	f := k.Field
	for _, kind := range []string{liveExact, liveFold, livePrefix} {
		if g, ok := strings.CutPrefix(f, kind); ok {
			f = g
			break
		}
	}
	return f, slices.Contains(LiveIndexedFields, f)
}

// livePrefixMost is how many characters of field's value have prefix
// postings: a date's up to the day.
func livePrefixMost(field string) int {
	if liveDates[field] {
		return dayLen
	}
	return livePrefixMax
}

// How the postings of LiveTextFields answer a lookup (liveLookup).
type liveHow int

const (
	liveNone    liveHow = iota // not at all: the list reads its range
	livePosting                // exactly, by one posting
	liveGrams                  // narrowed by the grams; the rows are judged
)

// liveLookup says how the postings LiveTextKeys writes answer f, and by
// which posting when one does: the reader's side of LiveTextKeys.
func liveLookup(f Filter) (PostingKey, liveHow) {
	v, ok := f.Value.(string)
	if !ok || v == "" || !slices.Contains(LiveTextFields, f.Field) {
		return PostingKey{}, liveNone
	}
	date := liveDates[f.Field]
	switch f.Lookup {
	case Exact:
		if !date || len(v) == dayLen {
			return LiveValueKey(f.Field, v), livePosting
		}
	case IExact:
		switch {
		case !date:
			return liveFoldKey(f.Field, v), livePosting
		case len(v) == dayLen: // digits have no case: the day itself
			return LiveValueKey(f.Field, v), livePosting
		}
	case IStartsWith:
		switch {
		case utf8.RuneCountInString(v) <= livePrefixMost(f.Field):
			return livePrefixKey(f.Field, strings.ToLower(v)), livePosting
		case !date:
			return PostingKey{}, liveGrams
		}
	case IContains:
		if !date {
			return PostingKey{}, liveGrams
		}
	}
	return PostingKey{}, liveNone
}

// LiveValueKey names the posting of the live tickets whose field (of
// LiveTextFields) is exactly value.
func LiveValueKey(field, value string) PostingKey {
	return PostingKey{Field: liveExact + field, Gram: value}
}

// liveFoldKey names the posting of the live tickets whose field equals
// value under Unicode case folding (the iexact lookup, strings.EqualFold).
func liveFoldKey(field, value string) PostingKey {
	return PostingKey{Field: liveFold + field, Gram: foldCase(value)}
}

// livePrefixKey names the posting of the live tickets whose lower-cased
// field starts with prefix (already lower-cased, at most livePrefixMax
// characters): the istartswith lookup, as matchText compares.
func livePrefixKey(field, prefix string) PostingKey {
	return PostingKey{Field: livePrefix + field, Gram: prefix}
}

// LiveTextKeys are the postings a live ticket whose field (of
// LiveIndexedFields) is value belongs to; none for an empty value.
func LiveTextKeys(field, value string) []PostingKey {
	if value == "" {
		return nil
	}
	if liveStates[field] {
		return []PostingKey{LiveValueKey(field, value)}
	}
	lower := strings.ToLower(value)
	var keys []PostingKey
	switch {
	case !liveDates[field]:
		keys = append(keys, LiveValueKey(field, value), liveFoldKey(field, value))
	case len(value) == dayLen:
		keys = append(keys, LiveValueKey(field, value))
	}
	most := livePrefixMost(field)
	k := 0 // the runes before byte i
	for i := range lower {
		if k > 0 {
			keys = append(keys, livePrefixKey(field, lower[:i]))
		}
		if k++; k > most {
			break
		}
	}
	if k <= most {
		keys = append(keys, livePrefixKey(field, lower))
	}
	if liveDates[field] {
		return keys
	}
	for _, g := range Grams(lower) {
		keys = append(keys, PostingKey{Field: field, Gram: g})
	}
	return keys
}

// foldCase maps every rune of s to the least rune of its case-folding
// orbit, so two strings are strings.EqualFold exactly when their
// foldCase are equal.
func foldCase(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}

// LiveTextIndex is a text index that keeps LiveTextFields' postings.
type LiveTextIndex interface {
	// LiveTextsIndexed returns the latest version (LiveTextsVersion) of
	// the live postings that holds every live ticket: 0 on a table
	// indexed before they existed, an earlier version on one indexed
	// under it, until the backfill's text pass from the start. It never
	// goes back.
	LiveTextsIndexed(ctx context.Context) (int, error)
}

// ValueKey names the posting of the tickets whose field is value. Its gram
// starts with "=", which no text field's gram of these fields can be
// confused with: they are not text-indexed.
func ValueKey(field, value string) PostingKey { return PostingKey{Field: field, Gram: "=" + value} }

// IndexedValue is the value of field as indexed.
func IndexedValue(t *Ticket, field string) string {
	f, ok := ticketFields[field]
	if !ok || f.text == nil {
		return ""
	}
	return f.text(t)
}

// LiveGram names the posting that holds every live ticket (under the
// field "live").
const (
	LiveField = "live"
	LiveGram  = "*"
	// maxGram is the longest gram indexed: a query that long or shorter
	// is answered exactly by one posting.
	maxGram = 3
	// maxQueryGrams bounds the postings one long query reads; trigrams
	// are taken spread over it.
	maxQueryGrams = 8
)

// LiveKey is the posting of every live ticket.
var LiveKey = PostingKey{Field: LiveField, Gram: LiveGram}

// IndexedText is the text of field as indexed: lower-cased, as the
// Icontains match compares it.
func IndexedText(t *Ticket, field string) string { return strings.ToLower(IndexedValue(t, field)) }

// Grams returns the distinct substrings of 1 to 3 characters of s (already
// lower-cased), sorted.
func Grams(s string) []string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	starts := make([]int, 0, len(s)+1)
	for i := range s {
		starts = append(starts, i)
	}
	starts = append(starts, len(s))
	seen := map[string]struct{}{}
	for i := 0; i < len(starts)-1; i++ {
		for n := 1; n <= maxGram && i+n < len(starts); n++ {
			seen[s[starts[i]:starts[i+n]]] = struct{}{}
		}
	}
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}

// queryGrams returns the grams whose postings together hold every ticket
// whose text contains q (lower-cased), and whether they hold exactly those
// (a query of at most 3 characters is one gram).
func queryGrams(q string) (grams []string, exact bool) {
	var rs []int
	for i := range q {
		rs = append(rs, i)
	}
	n := len(rs)
	if n == 0 {
		return nil, false
	}
	if n <= maxGram {
		return []string{q}, true
	}
	rs = append(rs, len(q))
	count := n - maxGram + 1
	picks := count
	if picks > maxQueryGrams {
		picks = maxQueryGrams
	}
	seen := map[string]bool{}
	for k := 0; k < picks; k++ {
		i := 0
		if picks > 1 {
			i = k * (count - 1) / (picks - 1)
		}
		g := q[rs[i]:rs[i+maxGram]]
		if !seen[g] {
			seen[g] = true
			grams = append(grams, g)
		}
	}
	return grams, false
}

// Every posting of a text or value also exists for history, under the
// field HistoryField(field): the tickets that ever held the gram or value
// in some version (members are only ever added), and HistoryAll holds
// every ticket ever stored. A history list narrows by them to the tickets
// that may have a matching version, then reads those tickets' versions.

// HistoryField names the history posting of field.
func HistoryField(field string) string { return "h:" + field }

// HistoryAll is the history posting of every ticket.
var HistoryAll = PostingKey{Field: "h:all", Gram: "*"}

// HistoryKey is the history posting of k.
func HistoryKey(k PostingKey) PostingKey {
	return PostingKey{Field: HistoryField(k.Field), Gram: k.Gram}
}

// ReplacedField names the posting of field's texts that a change
// replaced: the tickets whose text in field held the gram in some version
// followed by one with another text (members are only ever added). With
// the history rows' counts of a text (FirstValue, UnchangedValue) it says
// which versions of a ticket whose text changed once held the query,
// without reading them.
func ReplacedField(field string) string { return "r:" + field }

// ReplacedKey is the posting of k's gram in the texts of k's field that a
// change replaced.
func ReplacedKey(k PostingKey) PostingKey {
	return PostingKey{Field: ReplacedField(k.Field), Gram: k.Gram}
}

// FiledField names the posting of the values field's first version held:
// the tickets filed with each value (created OPEN, filed under a category
// before triage moved them), for the fields the history rows count per
// ticket (FiledFields). Version 1 never changes, so a member is never
// removed and never wrong; a ticket indexed before these postings is in
// none (unknown, as its versions are read). With the history rows' count
// of a candidate's matching versions and the live postings it says where
// its rows are: the first version, when the count is 1 and the ticket was
// filed with every value filter's value (and the newest too, when the
// count is 2 and its live ticket holds them), so a history list reads
// those versions alone and a list ordered by the version places the
// ticket in their groups without reading the versions between
// (docs/data-model.md, "Filed with the value").
func FiledField(field string) string { return "v1:" + field }

// FiledIndex is a text index that says whether every ticket is in the
// filed postings (a table indexed from its first ticket by code that
// writes them, or one the history pass has since gone through): only
// then does a ticket missing from a filed posting say that its first
// version did not hold the value, and the version order's groups leave
// a candidate out of the first version's group on that absence.
type FiledIndex interface {
	FiledPostingsComplete(ctx context.Context) (bool, error)
}

// FiledFields are the fields with filed postings: those the history rows
// count per ticket. A ticket adds one member to each when it is created,
// a handful of posting items a batch of new tickets shares.
var FiledFields = RowValueFields

// FiledKey is the posting of the tickets whose first version held the
// value of k, a ValueKey of one of FiledFields.
func FiledKey(k PostingKey) PostingKey {
	return PostingKey{Field: FiledField(k.Field), Gram: k.Gram}
}

// VersionIndex is a history store that reads the versions of tickets by
// number (optional: without it, filtered history lists read every
// version).
type VersionIndex interface {
	// VersionsBySeq returns the recorded versions of the tickets with
	// these numbers, newest version first, removal records left out.
	VersionsBySeq(ctx context.Context, seqs []int64) (map[int64][]*Ticket, error)
	// NewestVersionsBySeq returns the newest recorded version of each of
	// these tickets, reading only that one; none for a ticket whose
	// newest record is its removal.
	NewestVersionsBySeq(ctx context.Context, seqs []int64) (map[int64]*Ticket, error)
	// VersionsWithin returns, for each ticket of spans, its recorded
	// versions its span holds, newest first, removal records left out:
	// a list that holds the live ticket reads the rest of its history
	// without its newest version, and one that knows which versions hold
	// a ticket's rows reads those alone.
	VersionsWithin(ctx context.Context, spans map[int64]VersionSpan) (map[int64][]*Ticket, error)
}

// VersionSpan is a run of a ticket's version numbers: From up to and
// without Below, or through its newest where Below is 0.
type VersionSpan struct {
	From, Below int
}

// Empty says whether the span holds no version number.
func (sp VersionSpan) Empty() bool { return sp.Below != 0 && sp.Below <= max(sp.From, 1) }

// Holds says whether version v is in the span.
func (sp VersionSpan) Holds(v int) bool { return v >= sp.From && (sp.Below == 0 || v < sp.Below) }

// The order postings: for each sortable column no value posting can order
// (its values are too many to list), the live tickets grouped by their
// sort value, the groups kept in the column's order in one partition, so
// that a candidate set is ordered by reading the column's groups from
// one end until the page's candidates are placed. The tickets of a
// group tie on the column, so they follow the list's tie order (newest
// first) without being read.

// OrderIndexedFields are the columns with order postings.
var OrderIndexedFields = []string{"title", "due_date", "reporter_id", "version", "attending_staff"}

// orderPrefixMax is how many bytes of a sort value name its group. Keys
// are at most 1,024 bytes and the group is hex-encoded, so a longer
// value (a title of multi-byte characters) shares a group with the
// values it starts like, and such a group is sorted after reading.
const orderPrefixMax = 400

// OrderField names the order postings of column field.
func OrderField(field string) string { return "o:" + field }

// OrderKey names the order posting of the tickets whose sort value on
// field is value. The gram is the value's bytes in hex (so grams sort as
// values do, byte by byte) followed by "#" for a whole value or "~" for
// a prefix: "#" sorts below every hex digit and "~" above, so a value
// comes before the longer values it starts, and a prefix's group after
// the value it equals.
func OrderKey(field, value string) PostingKey {
	flag := "#"
	if len(value) > orderPrefixMax {
		value, flag = value[:orderPrefixMax], "~"
	}
	return PostingKey{Field: OrderField(field), Gram: hex.EncodeToString([]byte(value)) + flag}
}

// orderGramValue is the sort value (its first orderPrefixMax bytes) an
// order group's gram names; false for the column's start ("").
func orderGramValue(gram string) (string, bool) {
	if gram == "" {
		return "", false
	}
	b, err := hex.DecodeString(gram[:len(gram)-1])
	return string(b), err == nil
}

// OrderBucket is one group of an order posting, or a run of adjacent
// groups (Run: OrderRunIndex).
type OrderBucket struct {
	Gram    string
	Members *SeqSet
	Run     bool
	// upper, for a run placed by runBuckets, is the next run's From (""
	// for the last): the run holds the grams from Gram up to below it,
	// which a keyset start compares with its cursor's (sortAfter).
	upper string
	// ranked, for a run placed by runBuckets, is its run when the store
	// ranked its members (OrderRun.Ranks); rank, for a part of such a
	// run split by them (byRanks), is its members' rank plus one.
	ranked *OrderRun
	rank   int
}

// wholeValue reports whether the group's tickets share one sort value
// (so they tie), not only a prefix of it.
func (b OrderBucket) wholeValue() bool { return !b.Run && strings.HasSuffix(b.Gram, "#") }

// OrderIndex is a text index that also keeps the order postings
// (optional: without it, a text filter with an order by one of
// OrderIndexedFields reads its candidates or the column's sort index).
type OrderIndex interface {
	// OrderBuckets returns the groups of field's order posting in the
	// column's order (descending when desc) that come after the group
	// after ("" from the start), each whole, reading about limit items;
	// next is the gram to go on after, "" when there is nothing more.
	OrderBuckets(ctx context.Context, field string, desc bool, after string, limit int) (buckets []OrderBucket, next string, err error)
	// OrderPostingsComplete reports whether every live ticket is in the
	// order postings: false on a table indexed before they existed, until
	// the backfill's text pass has run. It never goes back to false.
	OrderPostingsComplete(ctx context.Context) (bool, error)
}

// OrderFromIndex is an OrderIndex that also starts a read at a group,
// that group included: a history page by the runs after its cursor reads
// the column's groups from the cursor's own (historyRunCols.head).
type OrderFromIndex interface {
	// OrderBucketsFrom is OrderBuckets from the group from on.
	OrderBucketsFrom(ctx context.Context, field string, desc bool, from string, limit int) (buckets []OrderBucket, next string, err error)
}

// OrderRunFields are the columns whose order postings are also kept as
// runs (OrderRunIndex): titles and reporters, whose groups are about a
// ticket each (complainants rarely file twice), and attending staff, a
// group per officer (thousands in a national programme), so a walk from
// either end to candidates that sort in the middle (a title filter
// ordered by title) or that are sparse (the whole panel, ordered by
// reporter or by staff) would pass thousands of groups.
var OrderRunFields = []string{"title", "reporter_id", "attending_staff"}

// OrderRun is a run of adjacent groups of a column's order postings: the
// live tickets whose gram is From or above, below the next run's From
// (the first run's From is "").
type OrderRun struct {
	From string
	Seqs []int64 // ascending
	// Group, when set, says the run is that one group (more tickets than
	// a run of several holds): a whole value's tickets tie, so a page
	// takes its newest candidates without reading the others. A group too
	// large for a run to list (the anonymous complaints, ordered by
	// reporter) has its tickets in Members instead of Seqs, read from its
	// order posting.
	Group   string
	Members *SeqSet
	// Ranks, when set, are the parts of the run its members' groups fall
	// in, member by member, in the column's order (below RunParts): a
	// member of a lower part sorts first, a part's members are sorted
	// once read. A run is listed by number, so without them a page whose
	// candidates crowd a run reads the run whole to sort it; with them
	// it reads the parts holding the tickets it takes. nil where the
	// store does not know them (a run written before them, or one a
	// member left the run's groups of since: its consumer has not caught
	// up).
	Ranks []uint8
}

// RunParts is how many parts at most a run's ranks cut it into: the
// groups' places in the run, scaled (RunPart). Exact places would cost a
// byte a member; parts of about 3 tickets cost 3 bits (a sixth more of a
// span's bytes with titles in words), and a page reads at most a part
// more than its own tickets.
const RunParts = 8

// RunPart is the part of a run of groups groups its place-th group (from
// 0) falls in.
func RunPart(place, groups int) uint8 { return uint8(place * RunParts / max(groups, 1)) }

// OrderRunIndex is an OrderIndex that also cuts the groups of
// OrderRunFields into runs of a few dozen tickets, summarized a few
// thousand tickets to an item: one read places every candidate within a
// run, so a page reads its first runs' candidates and sorts them,
// wherever in the column they sort.
type OrderRunIndex interface {
	// OrderRuns returns every run of field, in the column's order; none
	// when it cannot place every ticket (then lists walk the groups).
	OrderRuns(ctx context.Context, field string) ([]OrderRun, error)
	// OrderRunsComplete reports whether every live ticket is in a run of
	// field: false on a table indexed before the column's runs existed,
	// until the backfill's text pass from the start. It never goes back
	// to false.
	OrderRunsComplete(ctx context.Context, field string) (bool, error)
}

// DueDayIndex is a text index that also keeps every ticket's due date as
// a day number, by ticket number: a column a list reads whole (2 bytes or
// less a ticket) to place any candidate set by due date in one read,
// where the order postings' walk must find where the candidates sort (a
// text filter whose tickets are all due early, listed latest due first,
// walks past every later day). A day's number never moves, as a rank
// would when values are inserted.
type DueDayIndex interface {
	// DueDays returns the day of every ticket, indexed by its number
	// (DayUnknown past the end, or for a ticket not indexed).
	DueDays(ctx context.Context) ([]uint16, error)
	// DueDaysComplete reports whether every live ticket's day is in the
	// column: false on a table indexed before it existed, until the
	// backfill's text pass from the start. It never goes back to false.
	DueDaysComplete(ctx context.Context) (bool, error)
}

// Day numbers of DueDayIndex: DayUnknown for a ticket not indexed,
// DayNone for no due date, else DayOf's.
const (
	DayUnknown uint16 = 0
	DayNone    uint16 = 1
)

// dayEpoch is day 2 of DueDayIndex: due dates from 1970 to May 2149 fit.
var dayEpoch = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)

// DayOf returns due date's day number: DayNone for none, DayUnknown for
// a date the column cannot hold (not a date, or out of its years), which
// lists place as a ticket not indexed.
func DayOf(dueDate string) uint16 {
	if dueDate == "" {
		return DayNone
	}
	d, err := time.Parse(DateLayout, dueDate)
	if err != nil {
		return DayUnknown
	}
	n := int(d.Sub(dayEpoch).Hours()/24) + 2
	if n < 2 || n > 0xffff {
		return DayUnknown
	}
	return uint16(n)
}

// dayDate is the due date of day (DayOf's inverse): "" for DayNone.
func dayDate(day uint16) string {
	if day < 2 {
		return ""
	}
	return dayEpoch.AddDate(0, 0, int(day)-2).Format(DateLayout)
}

// SLAPeriodIndex is a due day index that also keeps, by ticket number,
// how long each ticket's service-level period is (from its start to its
// deadline: PeriodOf): with the due day, what
// decides whether an open ticket is ON_TRACK or AT_RISK at a reading time
// (openLevel), which depends on the configured at-risk share and the
// clock, so no posting can hold it.
type SLAPeriodIndex interface {
	// SLAPeriods returns the period of every ticket, indexed by its
	// number (PeriodUnknown past the end, or for a ticket not indexed).
	SLAPeriods(ctx context.Context) ([]uint16, error)
	// SLAPeriodsComplete reports whether every live ticket's period is
	// in the column: false on a table indexed before it existed, until
	// the backfill's text pass from the start. It never goes back to
	// false.
	SLAPeriodsComplete(ctx context.Context) (bool, error)
}

// Periods of SLAPeriodIndex: PeriodUnknown for a ticket not indexed,
// PeriodNone for a ticket without a deadline (no level), periodNegative
// for a period that starts after its deadline (a due date set before the
// reopening that started it), PeriodLong for one too long for the column
// (over 380 days); else periodFirst + its length: whole minutes up to
// periodFine (22 days, a resolution time's usual span), then whole units
// of periodCoarse after it.
const (
	PeriodUnknown  uint16 = 0
	PeriodNone     uint16 = 1
	periodNegative uint16 = 2
	periodFirst    uint16 = 3
	PeriodLong     uint16 = 0xffff
)

// The column's units: the open tickets whose level it cannot tell are
// those whose length is within a unit of the level's boundary, read and
// judged: about one ticket a future due day where a programme files one
// ticket a minute, a minute apart over the day.
const (
	periodFine   = 32000
	periodCoarse = 16 * time.Minute
)

// PeriodOf returns t's period as SLAPeriodIndex keeps it: the reader's
// side is periodBounds.
func PeriodOf(t *Ticket) uint16 {
	deadline, ok := Deadline(t.DueDate)
	if !ok {
		return PeriodNone
	}
	total := deadline.Sub(t.PeriodStart())
	if total < 0 {
		return periodNegative
	}
	v := int64(total / time.Minute)
	if v >= periodFine {
		v = periodFine + int64((total-periodFine*time.Minute)/periodCoarse)
	}
	if v >= int64(PeriodLong-periodFirst) {
		return PeriodLong
	}
	return periodFirst + uint16(v)
}

// periodBounds returns the lengths [lo, hi) a period p of PeriodOf's
// (not one of the named values) stands for.
func periodBounds(p uint16) (lo, hi time.Duration) {
	v := time.Duration(p - periodFirst)
	if v < periodFine {
		return v * time.Minute, (v + 1) * time.Minute
	}
	lo = periodFine*time.Minute + (v-periodFine)*periodCoarse
	return lo, lo + periodCoarse
}

// openLevel returns the level at now (share the at-risk share) of an open
// ticket whose deadline is deadline and whose period the column holds as
// p, as Ticket.SLA judges it; known is false when the column cannot tell
// (a ticket not indexed, a period too long, a length within a unit of the
// boundary), and the ticket must be read. level is "" for no level.
func openLevel(deadline time.Time, p uint16, now time.Time, share float64) (level SLAStatus, known bool) {
	switch {
	case p == PeriodUnknown || p == PeriodLong:
		return "", false
	case p == PeriodNone:
		return "", true
	case !now.Before(deadline):
		return SLABreached, true
	case p == periodNegative:
		// left > 0 and share >= 0: left <= share × total never holds
		// for a negative total.
		return SLAOnTrack, true
	}
	// The length is in [lo, hi); share × length grows with it, in
	// floating point too, so a side of both bounds is the length's side.
	lo, hi := periodBounds(p)
	left := float64(deadline.Sub(now))
	switch {
	case left <= share*float64(lo):
		return SLAAtRisk, true
	case left > share*float64(hi):
		return SLAOnTrack, true
	}
	return "", false
}

// dayBuckets are the candidates grouped by day, in the order's sequence:
// each a whole value (its tickets tie). Candidates of DayUnknown are in
// none: the walk places them last, sorted once read.
func dayBuckets(days []uint16, cands *SeqSet, desc bool) []OrderBucket {
	byDay := map[uint16]*SeqSet{}
	cands.Range(0, cands.Max(), false, func(n int64) bool {
		if n < int64(len(days)) && days[n] != DayUnknown {
			if byDay[days[n]] == nil {
				byDay[days[n]] = &SeqSet{}
			}
			byDay[days[n]].Add(n)
		}
		return true
	})
	keys := slices.Sorted(maps.Keys(byDay))
	if desc {
		slices.Reverse(keys)
	}
	out := make([]OrderBucket, 0, len(keys))
	for _, d := range keys {
		out = append(out, OrderBucket{Gram: dayGram(d), Members: byDay[d]})
	}
	return out
}

// dayGram is day's group in dayBuckets: grams sort as the days do.
func dayGram(day uint16) string { return fmt.Sprintf("%05d#", day) }

// runBuckets are the runs holding candidates, in the order's sequence,
// each with its candidates only: a run of several groups is a few dozen
// tickets, read and sorted together; a group run is one value, whose
// candidates tie.
func runBuckets(runs []OrderRun, cands *SeqSet, desc bool) []OrderBucket {
	var out []OrderBucket
	for i, r := range runs {
		in := r.candidates(cands)
		if in == nil {
			continue
		}
		b := OrderBucket{Gram: r.From, Members: in, Run: true}
		if r.Group == "" && len(r.Ranks) == len(r.Seqs) && len(r.Ranks) > 0 {
			b.ranked = &runs[i]
		}
		if i+1 < len(runs) {
			b.upper = runs[i+1].From
		}
		if r.Group != "" {
			// A prefix's group (a title past 400 bytes) is sorted once
			// read, as a run.
			b.Gram, b.Run = r.Group, !strings.HasSuffix(r.Group, "#")
		}
		out = append(out, b)
	}
	if desc {
		slices.Reverse(out)
	}
	return out
}

// candidates are r's tickets among cands (nil: none).
func (r OrderRun) candidates(cands *SeqSet) *SeqSet {
	var in *SeqSet
	if r.Members != nil {
		in = r.Members.Clone()
		if in.And(cands); in.Len() == 0 {
			in = nil
		}
	}
	for _, n := range r.Seqs {
		if cands.Has(n) {
			if in == nil {
				in = &SeqSet{}
			}
			in.Add(n)
		}
	}
	return in
}

// PostingKey names one posting: a field and a gram.
type PostingKey struct {
	Field, Gram string
}

// TextIndex is a store that keeps the text index (optional: without it,
// text filters read their whole range).
type TextIndex interface {
	// Postings returns the set of each key (an empty set for a gram no
	// live ticket holds), as of the index's last update.
	Postings(ctx context.Context, keys []PostingKey) (map[PostingKey]*SeqSet, error)
	// LiveTicketsBySeq returns the live tickets among seqs, by number.
	// The read may take in up to spare other tickets where that costs
	// less capacity (negative: as many as it likes); they are not
	// returned.
	LiveTicketsBySeq(ctx context.Context, seqs []int64, spare int) (map[int64]*Ticket, error)
}

// SeqSet is a set of ticket numbers, as a bitmap.
type SeqSet struct {
	words []uint64
}

// NewSeqSet returns a set of the given numbers.
func NewSeqSet(seqs ...int64) *SeqSet {
	s := &SeqSet{}
	for _, n := range seqs {
		s.Add(n)
	}
	return s
}

// Add puts n (≥ 0) in the set.
func (s *SeqSet) Add(n int64) {
	if n < 0 {
		return
	}
	w := int(n >> 6)
	if w >= len(s.words) {
		s.words = append(s.words, make([]uint64, w+1-len(s.words))...)
	}
	s.words[w] |= 1 << (uint(n) & 63)
}

// Remove takes n out of the set.
func (s *SeqSet) Remove(n int64) {
	if w := int(n >> 6); n >= 0 && w < len(s.words) {
		s.words[w] &^= 1 << (uint(n) & 63)
	}
}

// Has reports whether n is in the set.
func (s *SeqSet) Has(n int64) bool {
	if s == nil {
		return false // a posting not read holds nothing
	}
	w := int(n >> 6)
	return n >= 0 && w < len(s.words) && s.words[w]&(1<<(uint(n)&63)) != 0
}

// Len is the number of members.
func (s *SeqSet) Len() int {
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return n
}

// Max is the largest member, or -1.
func (s *SeqSet) Max() int64 {
	for i := len(s.words) - 1; i >= 0; i-- {
		if w := s.words[i]; w != 0 {
			return int64(i)<<6 + int64(63-bits.LeadingZeros64(w))
		}
	}
	return -1
}

// And keeps only the members also in o.
func (s *SeqSet) And(o *SeqSet) {
	for i := range s.words {
		if i < len(o.words) {
			s.words[i] &= o.words[i]
		} else {
			s.words[i] = 0
		}
	}
}

// AndNot removes the members of o.
func (s *SeqSet) AndNot(o *SeqSet) {
	for i := range s.words {
		if i < len(o.words) {
			s.words[i] &^= o.words[i]
		}
	}
}

// Or adds the members of o.
func (s *SeqSet) Or(o *SeqSet) {
	if len(o.words) > len(s.words) {
		s.words = append(s.words, make([]uint64, len(o.words)-len(s.words))...)
	}
	for i, w := range o.words {
		s.words[i] |= w
	}
}

// OrWords adds the members of a bitmap whose first word holds the numbers
// from 64 × offset on.
func (s *SeqSet) OrWords(offset int, words []uint64) {
	if need := offset + len(words); need > len(s.words) {
		s.words = append(s.words, make([]uint64, need-len(s.words))...)
	}
	for i, w := range words {
		s.words[offset+i] |= w
	}
}

// Clone returns a copy.
func (s *SeqSet) Clone() *SeqSet { return &SeqSet{words: slices.Clone(s.words)} }

// Range calls fn for the members from lo to hi (inclusive) in order,
// descending or not, until fn returns false.
func (s *SeqSet) Range(lo, hi int64, desc bool, fn func(int64) bool) {
	lo = max(lo, 0)
	if top := int64(len(s.words))<<6 - 1; hi > top {
		hi = top
	}
	if lo > hi {
		return
	}
	if desc {
		for wi := int(hi >> 6); wi >= int(lo>>6); wi-- {
			w := s.words[wi]
			for w != 0 {
				b := 63 - bits.LeadingZeros64(w)
				n := int64(wi)<<6 + int64(b)
				w &^= 1 << uint(b)
				if n > hi {
					continue
				}
				if n < lo || !fn(n) {
					return
				}
			}
		}
		return
	}
	for wi := int(lo >> 6); wi <= int(hi>>6); wi++ {
		w := s.words[wi]
		for w != 0 {
			b := bits.TrailingZeros64(w)
			n := int64(wi)<<6 + int64(b)
			w &^= 1 << uint(b)
			if n < lo {
				continue
			}
			if n > hi || !fn(n) {
				return
			}
		}
	}
}

// count returns how many members are from lo to hi (inclusive).
func (s *SeqSet) count(lo, hi int64) int {
	n := 0
	s.Range(lo, hi, false, func(int64) bool { n++; return true })
	return n
}

// Words exposes the bitmap (64 numbers a word, number 0 first) for a
// store to encode; SeqSetFromWords is the inverse.
func (s *SeqSet) Words() []uint64 { return s.words }

// SeqSetFromWords returns the set whose bitmap is words (not copied).
func SeqSetFromWords(words []uint64) *SeqSet { return &SeqSet{words: words} }

// codeMatches returns the numbers up to max whose code satisfies the
// lookup, as matchText judges it: arithmetic, no read. Codes are written
// into one buffer, so the cost per number is a comparison, not a string.
func codeMatches(max int64, l Lookup, want string) *SeqSet {
	out := &SeqSet{}
	upper := []byte(CodePrefix + "00000000")
	lower := bytes.ToLower(upper)
	wantLower := []byte(strings.ToLower(want))
	for n := int64(1); n <= max; n++ {
		if n > 99999999 {
			// Past eight digits codes grow; rare enough to format.
			if matchText(FormatCode(n), l, want) {
				out.Add(n)
			}
			continue
		}
		for i, d := len(upper)-1, n; i >= len(CodePrefix); i, d = i-1, d/10 {
			upper[i], lower[i] = byte('0'+d%10), byte('0'+d%10)
		}
		var ok bool
		switch l {
		case Exact:
			ok = string(upper) == want
		case IExact:
			ok = bytes.EqualFold(upper, []byte(want))
		case IStartsWith:
			ok = bytes.HasPrefix(lower, wantLower)
		case IContains:
			ok = bytes.Contains(lower, wantLower)
		}
		if ok {
			out.Add(n)
		}
	}
	return out
}
