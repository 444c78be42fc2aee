// Package grievancetest provides an in-memory grievance.Store and
// grievance.HistoryStore, plus deterministic clocks and id generators, for
// tests and CPU benchmarks of the layers above the domain. It honours the
// contracts documented in grievance/store.go (key-range order, atomic
// commits with version checks, idempotent mutation claims, history of every
// committed ticket version) so that code tested against it behaves the same
// on the DynamoDB adapter; the suite in storetest, run against both, holds
// it to them.
package grievancetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redress-grm/redress/shared/grievance"
)

var (
	_ grievance.Store           = (*Store)(nil)
	_ grievance.HistoryStore    = (*Store)(nil)
	_ grievance.AttachmentStore = (*Store)(nil)
	_ grievance.TrackingStore   = (*Store)(nil)
)

// Store is an in-memory grievance.Store and grievance.HistoryStore. It is
// safe for concurrent use. Every value it returns is a copy: callers (the
// domain mutates what it loads before committing) never alter stored state.
type Store struct {
	// Fail, when set, is consulted at the start of every method with the
	// method's name ("Ticket", "ScanTickets", "Commit", "People", …); a
	// non-nil result is returned as that method's error. Tests use it to
	// inject storage failures.
	Fail func(op string) error
	// OrderGroupsPerCall, when set, caps the groups OrderBuckets returns
	// a call, so that tests walk the order postings over several calls.
	OrderGroupsPerCall int
	// OrderRunMembers, when set, is how many tickets close a run of
	// OrderRuns (4 when unset).
	OrderRunMembers int
	// OrderRunGroupMin, when set, is how many tickets past which a group
	// is a run alone that lists none, its members given as a set (as
	// the store does for a group too large to list): twice
	// OrderRunMembers when unset.
	OrderRunGroupMin int
	// OrderRunsUnranked gives runs without their ranks, as a span
	// written before them (or not yet ranked again) does.
	OrderRunsUnranked bool

	mu       sync.Mutex
	tickets  map[string]*grievance.Ticket
	bySeq    []*grievance.Ticket // index = Seq-1
	comments map[string]*grievance.Comment
	// commentOrder lists comment ids in creation order.
	commentOrder []string
	people       map[string]*grievance.Person
	logs         map[string]*grievance.MutationLog
	logOrder     []string // insertion order, oldest first
	claims       map[claimKey]string
	config       []byte
	configVer    int
	history      map[string][]*grievance.Ticket // ticket id → versions, oldest first
	attachments  map[string]*grievance.Attachment
	// attachmentOrder lists attachment ids in creation order.
	attachmentOrder []string
	tracking        map[string]*grievance.TrackingRecord // by code
	// countsIncomplete is what VersionCountsComplete denies.
	countsIncomplete bool
	// pairsIncomplete is what VersionPairsComplete denies.
	pairsIncomplete bool
	// heldIncomplete is what HeldValues denies.
	heldIncomplete bool
	// pairsUnknown are the tickets whose pairs the history rows
	// do not know (ForgetPairs).
	pairsUnknown map[int64]bool
	// ordersIncomplete is what OrderPostingsComplete denies.
	ordersIncomplete bool
	// runsIncomplete is what OrderRunsComplete denies.
	runsIncomplete bool
	// daysIncomplete is what DueDaysComplete denies.
	daysIncomplete bool
	// periodsIncomplete is what SLAPeriodsComplete denies.
	periodsIncomplete bool
	// dateDaysIncomplete is what DateDaysComplete denies.
	dateDaysIncomplete bool
	// sortsIncomplete is what HistorySortsComplete denies.
	sortsIncomplete bool
	// liveTextsBehind is how many versions of the live postings
	// LiveTextsIndexed is behind grievance.LiveTextsVersion.
	liveTextsBehind int
	// rowsIncomplete is what HistoryRowsComplete denies.
	rowsIncomplete bool
	// rowsPartial are the tickets HistoryRows says are partial.
	rowsPartial map[int64]bool
	// unfiled are the tickets indexed before the filed postings (in none
	// of them); filedIncomplete is what FiledPostingsComplete denies.
	unfiled         map[int64]bool
	filedIncomplete bool
}

type claimKey struct{ user, clientMutationID string }

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		tickets:  map[string]*grievance.Ticket{},
		comments: map[string]*grievance.Comment{},
		people:   map[string]*grievance.Person{},
		logs:     map[string]*grievance.MutationLog{},
		claims:   map[claimKey]string{},
		history:  map[string][]*grievance.Ticket{},

		attachments: map[string]*grievance.Attachment{},
		tracking:    map[string]*grievance.TrackingRecord{},
	}
}

func (s *Store) fail(op string) error {
	if s.Fail == nil {
		return nil
	}
	return s.Fail(op)
}

// AddPeople seeds directory records (replacing records with the same id).
func (s *Store) AddPeople(people ...grievance.Person) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range people {
		s.people[p.ID] = clonePerson(&p)
	}
}

// UpsertPeople is AddPeople with the DynamoDB store's signature, for the
// conformance suite (storetest).
func (s *Store) UpsertPeople(ctx context.Context, people []grievance.Person) error {
	if err := s.fail("UpsertPeople"); err != nil {
		return err
	}
	s.AddPeople(people...)
	return nil
}

// SetConfigDocument stores a configuration document as the next version.
func (s *Store) SetConfigDocument(doc []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.config = slices.Clone(doc)
	s.configVer++
}

// SeedTicket stores t directly, bypassing the domain (for benchmarks and
// fixtures that need many tickets fast). A zero Seq gets the next number and
// its code; the version is recorded in the history.
func (s *Store) SeedTicket(t *grievance.Ticket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t = cloneTicket(t)
	if t.Seq == 0 {
		t.Seq = int64(len(s.bySeq) + 1)
		if t.Code == "" {
			t.Code = grievance.FormatCode(t.Seq)
		}
	}
	for int64(len(s.bySeq)) < t.Seq {
		s.bySeq = append(s.bySeq, nil)
	}
	s.bySeq[t.Seq-1] = t
	s.tickets[t.ID] = t
	s.recordVersion(t)
}

// SeedComment stores c directly, bypassing the domain.
func (s *Store) SeedComment(c *grievance.Comment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.comments[c.ID]; !ok {
		s.commentOrder = append(s.commentOrder, c.ID)
	}
	s.comments[c.ID] = cloneComment(c)
}

// Ticket returns the ticket with id (deleted or not), or CodeNotFound.
func (s *Store) Ticket(ctx context.Context, id string) (*grievance.Ticket, error) {
	if err := s.fail("Ticket"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	if !ok {
		return nil, grievance.Errorf(grievance.CodeNotFound, "Ticket %s does not exist.", id)
	}
	return cloneTicket(t), nil
}

// TicketsByID returns the tickets that exist among ids.
func (s *Store) TicketsByID(ctx context.Context, ids []string) (map[string]*grievance.Ticket, error) {
	if err := s.fail("TicketsByID"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*grievance.Ticket, len(ids))
	for _, id := range ids {
		if t, ok := s.tickets[id]; ok {
			out[id] = cloneTicket(t)
		}
	}
	return out, nil
}

// inRange reports whether t belongs to r.
func inRange(r grievance.TicketRange, t *grievance.Ticket) bool {
	switch {
	case r.Deleted && r.AlsoLive:
	case r.Deleted:
		if !t.IsDeleted {
			return false
		}
	default:
		if t.IsDeleted {
			return false
		}
	}
	switch r.By {
	case grievance.RangeAll:
		return true
	case grievance.RangeSorted:
		if r.Within != nil && !inRange(*r.Within, t) {
			return false
		}
		return len(r.Keys) == 0 || slices.Contains(r.Keys, grievance.SortValue(t, r.SortBy))
	case grievance.RangeStatus:
		return slices.Contains(r.Keys, string(t.Status))
	case grievance.RangeCategory:
		return slices.Contains(r.Keys, t.Category) && (len(r.Statuses) == 0 || slices.Contains(r.Statuses, string(t.Status)))
	case grievance.RangeStaff:
		return len(r.Keys) > 0 && t.AttendingStaffID == r.Keys[0]
	case grievance.RangeReporter:
		return len(r.Keys) > 0 && t.ReporterID == r.Keys[0]
	case grievance.RangeSeq:
		return t.Seq == r.Seq
	}
	return false
}

// selectTickets returns copies of the tickets of r in ticket-number order
// (reversed when r.Descending). The copies are taken under the lock, the
// callback runs outside it so that it may call the store again.
func (s *Store) selectTickets(r grievance.TicketRange) []*grievance.Ticket {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*grievance.Ticket
	if r.By == grievance.RangeSeq {
		if r.Seq >= 1 && r.Seq <= int64(len(s.bySeq)) {
			if t := s.bySeq[r.Seq-1]; t != nil && inRange(r, t) {
				out = append(out, cloneTicket(t))
			}
		}
		return out
	}
	n := len(s.bySeq)
	sortedAfter := r.By == grievance.RangeSorted && len(r.Keys) == 0 && r.After > 0
	for i := range n {
		j := i
		if r.Descending {
			j = n - 1 - i
		}
		if seq := int64(j + 1); r.After > 0 && !sortedAfter && (seq == r.After || (seq < r.After) != r.Descending) {
			continue // keyset paging: at or before the last number read
		}
		if t := s.bySeq[j]; t != nil && inRange(r, t) {
			out = append(out, cloneTicket(t))
		}
	}
	if r.By == grievance.RangeSorted && len(r.Keys) == 0 {
		slices.SortStableFunc(out, grievance.TicketOrder(r.SortBy, r.Descending))
	}
	if sortedAfter {
		// Keyset paging in the column's order: after the row (AfterValue,
		// After), ties newest first in either direction.
		out = slices.DeleteFunc(out, func(t *grievance.Ticket) bool {
			v := grievance.SortValue(t, r.SortBy)
			if v == r.AfterValue {
				return t.Seq >= r.After
			}
			return (v < r.AfterValue) != r.Descending
		})
	}
	return out
}

// ScanTickets calls fn for each ticket of r in order until fn returns
// false or an error.
func (s *Store) ScanTickets(ctx context.Context, r grievance.TicketRange, fn func(*grievance.Ticket) (bool, error)) error {
	if err := s.fail("ScanTickets"); err != nil {
		return err
	}
	for _, t := range s.selectTickets(r) {
		if more, err := fn(t); err != nil || !more {
			return err
		}
	}
	return nil
}

// CountTickets counts the tickets of r.
func (s *Store) CountTickets(ctx context.Context, r grievance.TicketRange) (int, error) {
	if err := s.fail("CountTickets"); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.bySeq {
		if t != nil && inRange(r, t) {
			n++
		}
	}
	return n, nil
}

// TicketValues lists the values live tickets have in fields, with how
// many have each.
func (s *Store) TicketValues(ctx context.Context, fields ...string) (map[string]map[string]int, error) {
	if err := s.fail("TicketValues"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]int{}
	for _, f := range fields {
		if !slices.Contains(grievance.ValueFields, f) {
			return nil, fmt.Errorf("ticket values: no dictionary of %q", f)
		}
		out[f] = map[string]int{}
		for _, t := range s.bySeq {
			if t == nil || t.IsDeleted {
				continue
			}
			if v := grievance.SortValue(t, f); v != "" {
				out[f][v]++
			}
		}
	}
	return out, nil
}

// Comment returns the comment with id, or CodeNotFound.
func (s *Store) Comment(ctx context.Context, id string) (*grievance.Comment, error) {
	if err := s.fail("Comment"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.comments[id]
	if !ok {
		return nil, grievance.Errorf(grievance.CodeNotFound, "Comment %s does not exist.", id)
	}
	return cloneComment(c), nil
}

// CommentsOfTicket returns every comment of a ticket (deleted ones too) in
// creation order.
func (s *Store) CommentsOfTicket(ctx context.Context, ticketID string) ([]*grievance.Comment, error) {
	if err := s.fail("CommentsOfTicket"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*grievance.Comment
	for _, id := range s.commentOrder {
		if c := s.comments[id]; c.TicketID == ticketID {
			out = append(out, cloneComment(c))
		}
	}
	slices.SortStableFunc(out, byCreation)
	return out, nil
}

// byCreation orders comments as the DynamoDB store does: by creation
// time, then id.
func byCreation(a, b *grievance.Comment) int {
	return cmp.Or(a.DateCreated.Compare(b.DateCreated), cmp.Compare(a.ID, b.ID))
}

// ScanComments calls fn for every comment of every ticket in creation order
// (newest first when descending).
func (s *Store) ScanComments(ctx context.Context, descending bool, fn func(*grievance.Comment) (bool, error)) error {
	if err := s.fail("ScanComments"); err != nil {
		return err
	}
	s.mu.Lock()
	all := make([]*grievance.Comment, 0, len(s.commentOrder))
	for _, id := range s.commentOrder {
		all = append(all, cloneComment(s.comments[id]))
	}
	s.mu.Unlock()
	slices.SortStableFunc(all, byCreation)
	if descending {
		slices.Reverse(all)
	}
	for _, c := range all {
		if more, err := fn(c); err != nil || !more {
			return err
		}
	}
	return nil
}

// People returns the records that exist among ids.
func (s *Store) People(ctx context.Context, ids []string) (map[string]*grievance.Person, error) {
	if err := s.fail("People"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]*grievance.Person, len(ids))
	for _, id := range ids {
		if p, ok := s.people[id]; ok {
			out[id] = clonePerson(p)
		}
	}
	return out, nil
}

// UserByUsername returns the staff user with username, or CodeNotFound.
func (s *Store) UserByUsername(ctx context.Context, username string) (*grievance.Person, error) {
	if err := s.fail("UserByUsername"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.people {
		if p.Type == grievance.PersonUser && p.Username == username {
			return clonePerson(p), nil
		}
	}
	return nil, grievance.Errorf(grievance.CodeNotFound, "User %s does not exist.", username)
}

// Users returns every staff user, ordered by username.
func (s *Store) Users(ctx context.Context) ([]*grievance.Person, error) {
	if err := s.fail("Users"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*grievance.Person
	for _, p := range s.people {
		if p.Type == grievance.PersonUser {
			out = append(out, clonePerson(p))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Username < out[j].Username })
	return out, nil
}

// ClientMutation returns the log the user's clientMutationId names, or nil.
func (s *Store) ClientMutation(ctx context.Context, userID, cmid string) (*grievance.MutationLog, error) {
	if err := s.fail("ClientMutation"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.claims[claimKey{userID, cmid}]; ok {
		return cloneLog(s.logs[id]), nil
	}
	return nil, nil
}

func (s *Store) putLog(log *grievance.MutationLog) {
	if _, ok := s.logs[log.ID]; !ok {
		s.logOrder = append(s.logOrder, log.ID)
	}
	s.logs[log.ID] = cloneLog(log)
}

// claimOpen reports whether k may be claimed: unclaimed, or claimed by a
// retryable failure.
func (s *Store) claimOpen(k claimKey) bool {
	id, ok := s.claims[k]
	return !ok || s.logs[id] != nil && s.logs[id].Retryable
}

// claim records log's clientMutationId, unless it is taken (KeyDuplicate).
func (s *Store) claim(log *grievance.MutationLog) error {
	k := claimKey{log.UserID, log.ClientMutationID}
	if !s.claimOpen(k) {
		return grievance.Errorf(grievance.CodeConflict, "The mutation was already sent.").WithKey(grievance.KeyDuplicate)
	}
	s.claims[k] = log.ID
	return nil
}

// PutMutationLog stores log, replacing an earlier state of it; with claim,
// also its clientMutationId's claim, unless it is taken.
func (s *Store) PutMutationLog(ctx context.Context, log *grievance.MutationLog, claim bool) error {
	if err := s.fail("PutMutationLog"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if claim && log.ClientMutationID != "" {
		if err := s.claim(log); err != nil {
			return err
		}
	}
	s.putLog(log)
	return nil
}

// MutationLog returns the log with id, or CodeNotFound.
func (s *Store) MutationLog(ctx context.Context, id string) (*grievance.MutationLog, error) {
	if err := s.fail("MutationLog"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.logs[id]
	if !ok {
		return nil, grievance.Errorf(grievance.CodeNotFound, "Mutation log %s does not exist.", id)
	}
	return cloneLog(l), nil
}

// ScanMutationLogs calls fn for logs newest first: those of userID ("" =
// everyone's), only those with clientMutationID when it is set.
func (s *Store) ScanMutationLogs(ctx context.Context, userID, clientMutationID string, fn func(*grievance.MutationLog) (bool, error)) error {
	if err := s.fail("ScanMutationLogs"); err != nil {
		return err
	}
	s.mu.Lock()
	var sel []*grievance.MutationLog
	for _, id := range s.logOrder {
		l := s.logs[id]
		if (userID == "" || l.UserID == userID) && (clientMutationID == "" || l.ClientMutationID == clientMutationID) {
			sel = append(sel, cloneLog(l))
		}
	}
	s.mu.Unlock()
	// Newest first; logs requested at the same instant keep reverse
	// insertion order.
	slices.Reverse(sel)
	slices.SortStableFunc(sel, func(a, b *grievance.MutationLog) int { return b.RequestDateTime.Compare(a.RequestDateTime) })
	for _, l := range sel {
		if more, err := fn(l); err != nil || !more {
			return err
		}
	}
	return nil
}

// ConfigDocument returns the stored document and its version; a missing
// document is (nil, 0, nil).
func (s *Store) ConfigDocument(ctx context.Context) ([]byte, int, error) {
	if err := s.fail("ConfigDocument"); err != nil {
		return nil, 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.config), s.configVer, nil
}

// TicketWithComments returns a ticket and its comments.
func (s *Store) TicketWithComments(ctx context.Context, ticketID string) (*grievance.Ticket, []*grievance.Comment, error) {
	t, err := s.Ticket(ctx, ticketID)
	if err != nil {
		return nil, nil, err
	}
	cs, err := s.CommentsOfTicket(ctx, ticketID)
	if err != nil {
		return nil, nil, err
	}
	return t, cs, nil
}

// Commit applies w atomically: every version check passes and everything
// is stored, or CodeConflict is returned and nothing changes.
func (s *Store) Commit(ctx context.Context, w *grievance.Write) error {
	if err := s.fail("Commit"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	if w.NewTicket != nil {
		if _, ok := s.tickets[w.NewTicket.ID]; ok {
			return grievance.Errorf(grievance.CodeConflict, "Ticket %s already exists.", w.NewTicket.ID)
		}
	}
	seen := map[string]bool{}
	for _, tw := range w.Tickets {
		cur, ok := s.tickets[tw.Ticket.ID]
		if !ok {
			return grievance.Errorf(grievance.CodeConflict, "Ticket %s does not exist.", tw.Ticket.ID)
		}
		if cur.Version != tw.Prev || seen[tw.Ticket.ID] {
			return grievance.Errorf(grievance.CodeConflict, "Ticket %s has changed (version %d, expected %d).", cur.Code, cur.Version, tw.Prev)
		}
		seen[tw.Ticket.ID] = true
	}
	for _, cw := range w.Comments {
		cur, ok := s.comments[cw.Comment.ID]
		switch {
		case cw.Prev == 0 && ok:
			return grievance.Errorf(grievance.CodeConflict, "Comment %s already exists.", cw.Comment.ID)
		case cw.Prev != 0 && !ok:
			return grievance.Errorf(grievance.CodeConflict, "Comment %s does not exist.", cw.Comment.ID)
		case cw.Prev != 0 && cur.Version != cw.Prev:
			return grievance.Errorf(grievance.CodeConflict, "Comment %s has changed (version %d, expected %d).", cw.Comment.ID, cur.Version, cw.Prev)
		}
	}
	for _, aw := range w.Attachments {
		cur, ok := s.attachments[aw.Attachment.ID]
		switch {
		case aw.Prev == 0 && ok:
			return grievance.Errorf(grievance.CodeConflict, "Attachment %s already exists.", aw.Attachment.ID)
		case aw.Prev != 0 && (!ok || cur.Version != aw.Prev):
			return grievance.Errorf(grievance.CodeConflict, "Attachment %s has changed.", aw.Attachment.ID)
		}
	}
	if w.Config != nil && w.Config.Prev != s.configVer {
		return grievance.Errorf(grievance.CodeConflict, "The configuration has changed (version %d, expected %d).", s.configVer, w.Config.Prev)
	}
	if w.Log != nil && w.Claim && w.Log.ClientMutationID != "" {
		if !s.claimOpen(claimKey{w.Log.UserID, w.Log.ClientMutationID}) {
			return grievance.Errorf(grievance.CodeConflict, "The mutation was already sent.").WithKey(grievance.KeyDuplicate)
		}
	}

	// Every check passed: apply.
	if w.NewTicket != nil {
		w.NewTicket.Seq = int64(len(s.bySeq) + 1)
		w.NewTicket.Code = grievance.FormatCode(w.NewTicket.Seq)
		t := cloneTicket(w.NewTicket)
		s.bySeq = append(s.bySeq, t)
		s.tickets[t.ID] = t
		s.recordVersion(t)
		if w.Tracking != nil {
			w.Tracking.Code = t.Code
			r := *w.Tracking
			s.tracking[t.Code] = &r
		}
	}
	for _, tw := range w.Tickets {
		t := cloneTicket(tw.Ticket)
		s.tickets[t.ID] = t
		s.bySeq[t.Seq-1] = t
		s.recordVersion(t)
	}
	for _, cw := range w.Comments {
		if cw.Prev == 0 {
			s.commentOrder = append(s.commentOrder, cw.Comment.ID)
		}
		s.comments[cw.Comment.ID] = cloneComment(cw.Comment)
	}
	for _, aw := range w.Attachments {
		if aw.Prev == 0 {
			s.attachmentOrder = append(s.attachmentOrder, aw.Attachment.ID)
		}
		s.attachments[aw.Attachment.ID] = aw.Attachment.Clone()
	}
	if w.Config != nil {
		s.config = slices.Clone(w.Config.Document)
		s.configVer++
	}
	if w.Log != nil {
		if w.Claim && w.Log.ClientMutationID != "" {
			s.claims[claimKey{w.Log.UserID, w.Log.ClientMutationID}] = w.Log.ID
		}
		s.putLog(w.Log)
	}
	return nil
}

func (s *Store) recordVersion(t *grievance.Ticket) {
	vs := s.history[t.ID]
	vs = slices.DeleteFunc(vs, func(o *grievance.Ticket) bool { return o.Version == t.Version })
	s.history[t.ID] = append(vs, cloneTicket(t))
}

// TicketVersion returns version v of ticket id, or CodeNotFound.
func (s *Store) TicketVersion(ctx context.Context, id string, v int) (*grievance.Ticket, error) {
	if err := s.fail("TicketVersion"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.history[id] {
		if t.Version == v {
			return cloneTicket(t), nil
		}
	}
	return nil, grievance.Errorf(grievance.CodeNotFound, "Ticket %s has no version %d.", id, v)
}

// ScanTicketHistory calls fn for every recorded version of every ticket (or
// of ticketID, when set), newest ticket first, versions newest first.
func (s *Store) ScanTicketHistory(ctx context.Context, ticketID string, fn func(*grievance.Ticket) (bool, error)) error {
	if err := s.fail("ScanTicketHistory"); err != nil {
		return err
	}
	s.mu.Lock()
	var sel []*grievance.Ticket
	for i := len(s.bySeq) - 1; i >= 0; i-- {
		t := s.bySeq[i]
		if t == nil || (ticketID != "" && t.ID != ticketID) {
			continue
		}
		vs := s.history[t.ID]
		for j := len(vs) - 1; j >= 0; j-- {
			sel = append(sel, cloneTicket(vs[j]))
		}
	}
	s.mu.Unlock()
	for _, t := range sel {
		if more, err := fn(t); err != nil || !more {
			return err
		}
	}
	return nil
}

var _ grievance.HistorySorter = (*Store)(nil)

// SetHistorySortsComplete sets what HistorySortsComplete answers (true
// unless a test says otherwise).
func (s *Store) SetHistorySortsComplete(ok bool) { s.setFlag(&s.sortsIncomplete, !ok) }

// HistorySortsComplete implements grievance.HistorySorter.
func (s *Store) HistorySortsComplete(ctx context.Context) (bool, error) {
	return s.complete("HistorySortsComplete", &s.sortsIncomplete)
}

// ScanTicketHistorySorted implements grievance.HistorySorter: every
// version sorted in memory.
func (s *Store) ScanTicketHistorySorted(ctx context.Context, r grievance.TicketRange, sift grievance.HistorySift, fn func(*grievance.Ticket) (bool, error)) error {
	if err := s.fail("ScanTicketHistorySorted"); err != nil {
		return err
	}
	var all []*grievance.Ticket
	if err := s.ScanTicketHistory(ctx, "", func(t *grievance.Ticket) (bool, error) {
		all = append(all, t)
		return true, nil
	}); err != nil {
		return err
	}
	slices.SortStableFunc(all, grievance.TicketOrder(r.SortBy, r.Descending))
	for _, t := range all {
		if r.After > 0 && !historyRowAfter(t, r) {
			continue
		}
		seen := &grievance.Ticket{ID: t.ID, Seq: t.Seq, Code: t.Code, Version: t.Version, Status: t.Status, Category: t.Category, Priority: t.Priority,
			ReporterID: t.ReporterID, AttendingStaffID: t.AttendingStaffID}
		if sift.Keep != nil {
			ok, err := sift.Keep(seen)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
		}
		if sift.Fetching != nil {
			sift.Fetching([]*grievance.Ticket{seen}) // each version is its own fetch
		}
		if more, err := fn(t); err != nil || !more {
			return err
		}
	}
	return nil
}

// historyRowAfter reports whether t comes after the row r.After names
// (its value AfterValue, number After, version AfterVersion) in r's
// order: value in r's direction, then newest number and version first.
func historyRowAfter(t *grievance.Ticket, r grievance.TicketRange) bool {
	c := strings.Compare(grievance.SortValue(t, r.SortBy), r.AfterValue)
	if r.Descending {
		c = -c
	}
	if c == 0 && r.After == grievance.BeforeEveryRow {
		return true
	}
	if c == 0 {
		c = -cmp.Or(cmp.Compare(t.Seq, r.After), cmp.Compare(t.Version, r.AfterVersion))
	}
	return c > 0
}

// ScanTicketHistoryAfter calls fn for the versions ScanTicketHistory
// gives after version of ticket seq.
func (s *Store) ScanTicketHistoryAfter(ctx context.Context, seq int64, version int, fn func(*grievance.Ticket) (bool, error)) error {
	if err := s.fail("ScanTicketHistory"); err != nil {
		return err
	}
	// From the cursor's ticket down, a ticket at a time, so that a page
	// costs its rows, not the whole history (a scale oracle pages
	// through hundreds of thousands of versions).
	for i := min(int(seq), len(s.bySeq)) - 1; i >= 0; i-- {
		s.mu.Lock()
		t := s.bySeq[i]
		var sel []*grievance.Ticket
		if t != nil {
			vs := s.history[t.ID]
			for j := len(vs) - 1; j >= 0; j-- {
				if vs[j].Seq < seq || vs[j].Version < version {
					sel = append(sel, cloneTicket(vs[j]))
				}
			}
		}
		s.mu.Unlock()
		for _, v := range sel {
			if more, err := fn(v); err != nil || !more {
				return err
			}
		}
	}
	return nil
}

var _ grievance.HistoryPager = (*Store)(nil)

// cloneTicket copies t deeply enough that neither side sees the other's
// changes. It copies JSONExt by hand rather than through encoding/json,
// which would dominate benchmark profiles.
func cloneTicket(t *grievance.Ticket) *grievance.Ticket {
	c := *t
	c.JSONExt = cloneMap(t.JSONExt)
	c.AttachmentIDs = slices.Clone(t.AttachmentIDs)
	return &c
}

func cloneComment(c *grievance.Comment) *grievance.Comment {
	d := *c
	d.JSONExt = cloneMap(c.JSONExt)
	return &d
}

func clonePerson(p *grievance.Person) *grievance.Person {
	c := *p
	c.Roles = slices.Clone(p.Roles)
	c.JSONExt = cloneMap(p.JSONExt)
	return &c
}

func cloneLog(l *grievance.MutationLog) *grievance.MutationLog {
	c := *l
	c.ClientMutationDetails = slices.Clone(l.ClientMutationDetails)
	c.TicketIDs = slices.Clone(l.TicketIDs)
	return &c
}

func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = cloneValue(v)
	}
	return c
}

func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return cloneMap(x)
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = cloneValue(e)
		}
		return c
	case []string:
		return slices.Clone(x)
	}
	return v
}

// Clock is a deterministic clock: each call to Now returns the start time
// advanced by Step times the number of earlier calls.
type Clock struct {
	start time.Time
	step  time.Duration
	n     atomic.Int64
}

// NewClock returns a clock starting at start and advancing by step per call
// (step 0: a fixed clock).
func NewClock(start time.Time, step time.Duration) *Clock {
	return &Clock{start: start, step: step}
}

// Now returns the next instant.
func (c *Clock) Now() time.Time {
	n := c.n.Add(1) - 1
	return c.start.Add(time.Duration(n) * c.step)
}

// IDs returns a generator of sequential, valid UUIDs:
// 00000000-0000-4000-8000-000000000001, …0002, and so on.
func IDs() func() string {
	var n atomic.Int64
	return func() string {
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1))
	}
}

// Attachment returns the attachment with id, or CodeNotFound.
func (s *Store) Attachment(ctx context.Context, id string) (*grievance.Attachment, error) {
	if err := s.fail("Attachment"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.attachments[id]
	if !ok {
		return nil, grievance.Errorf(grievance.CodeNotFound, "Attachment %s does not exist.", id)
	}
	return a.Clone(), nil
}

// AttachmentsOfTicket returns every attachment of a ticket, oldest first.
func (s *Store) AttachmentsOfTicket(ctx context.Context, ticketID string) ([]*grievance.Attachment, error) {
	if err := s.fail("AttachmentsOfTicket"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*grievance.Attachment
	for _, id := range s.attachmentOrder {
		if a := s.attachments[id]; a.TicketID == ticketID {
			out = append(out, a.Clone())
		}
	}
	return out, nil
}

// TrackingRecord implements grievance.TrackingStore.
func (s *Store) TrackingRecord(ctx context.Context, code string) (*grievance.TrackingRecord, error) {
	if err := s.fail("TrackingRecord"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tracking[code]
	if !ok {
		return nil, grievance.Errorf(grievance.CodeNotFound, "Tracking record %s does not exist.", code)
	}
	c := *r
	return &c, nil
}

// TrackingFailed implements grievance.TrackingStore.
func (s *Store) TrackingFailed(ctx context.Context, code string, now time.Time, p grievance.TrackingPolicy) error {
	if err := s.fail("TrackingFailed"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.tracking[code]; ok && !now.Before(r.LockedUntil) {
		if r.Failures == 0 || !r.FailuresSince.After(now.Add(-p.Lockout)) {
			r.Failures, r.FailuresSince = 0, now
		}
		r.Failures++
		if r.Failures >= p.MaxFailures {
			r.Failures, r.LockedUntil = 0, now.Add(p.Lockout)
		}
	}
	return nil
}

// TrackingSucceeded implements grievance.TrackingStore.
func (s *Store) TrackingSucceeded(ctx context.Context, code string) error {
	if err := s.fail("TrackingSucceeded"); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.tracking[code]; ok {
		r.Failures = 0
	}
	return nil
}
