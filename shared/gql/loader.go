package gql

import (
	"context"
	"fmt"
	"sync"

	"github.com/redress-grm/redress/shared/grievance"
)

// loader is the per-request cache behind the computed fields. A page of
// rows shares one rowSet; the first field that needs a person (or a live
// ticket) loads what every row of the set references in one call, so a
// page costs one directory call however many rows and fields it has.
type loader struct {
	svc *grievance.Service

	mu      sync.Mutex
	people  map[string]*grievance.Person // nil value: known to be missing
	tickets map[string]*grievance.Ticket // live tickets; nil: missing

	rightsOnce sync.Once
	cfg        *grievance.Config
	cfgErr     error
}

type loaderKey struct{}

func newLoader(svc *grievance.Service) *loader {
	return &loader{svc: svc, people: map[string]*grievance.Person{}, tickets: map[string]*grievance.Ticket{}}
}

func withLoader(ctx context.Context, l *loader) context.Context {
	return context.WithValue(ctx, loaderKey{}, l)
}

// loaderFrom returns the request's loader. Do always installs one; a
// resolver called some other way gets a fresh one rather than a panic.
func loaderFrom(ctx context.Context, svc *grievance.Service) *loader {
	if l, ok := ctx.Value(loaderKey{}).(*loader); ok {
		return l
	}
	return newLoader(svc)
}

// loadMissing fetches, in one call of fetch, the ids not in cache yet,
// and records every one of them (nil when fetch did not find it), so that
// a request asks for each id at most once.
func loadMissing[T any](ctx context.Context, mu *sync.Mutex, cache map[string]*T, ids []string, fetch func(context.Context, []string) (map[string]*T, error)) error {
	mu.Lock()
	var missing []string
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		if _, ok := cache[id]; !ok {
			missing = append(missing, id)
		}
	}
	mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	found, err := fetch(ctx, missing)
	if err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range missing {
		cache[id] = found[id]
	}
	// fetch may return more than was asked (the people read adds the
	// individuals of beneficiaries it expects to be needed next).
	for id, x := range found {
		if _, ok := cache[id]; !ok {
			cache[id] = x
		}
	}
	return nil
}

// primePeople records people read with a page (nil: known missing), so
// that the rows' fields ask for none of them again.
func (l *loader) primePeople(people map[string]*grievance.Person) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, p := range people {
		if _, ok := l.people[id]; !ok {
			l.people[id] = p
		}
	}
}

// loadPeople fetches, in one call, the people not seen yet in this request.
func (l *loader) loadPeople(ctx context.Context, ids []string) error {
	if err := loadMissing(ctx, &l.mu, l.people, ids, l.svc.People); err != nil {
		return fmt.Errorf("load people: %w", err)
	}
	return nil
}

// person returns a loaded person, or nil.
func (l *loader) person(id string) *grievance.Person {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.people[id]
}

// loadTickets fetches the live versions of the tickets not seen yet.
func (l *loader) loadTickets(ctx context.Context, ids []string) error {
	if err := loadMissing(ctx, &l.mu, l.tickets, ids, l.svc.LiveVersions); err != nil {
		return fmt.Errorf("load live tickets: %w", err)
	}
	return nil
}

func (l *loader) ticket(id string) *grievance.Ticket {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tickets[id]
}

// config returns the configuration once per request, for the per-field
// right checks of the computed fields.
func (l *loader) config(ctx context.Context) (*grievance.Config, error) {
	l.rightsOnce.Do(func() { l.cfg, l.cfgErr = l.svc.Config(ctx) })
	return l.cfg, l.cfgErr
}

// rowSet is the set of rows of one page (or one single row), shared by the
// rows so that their computed fields load together.
type rowSet struct {
	mu sync.Mutex
	// history is true for rows read from the ticket history, whose
	// isHistory needs the live versions; live are those the list already
	// knows (grievance.Page.LiveVersions), which are not read again.
	history bool
	live    map[string]int

	personIDs  func() []string // every person id the rows reference
	peopleDone bool
	peopleErr  error

	ticketIDs   func() []string // every ticket id the rows reference
	ticketsDone bool
	ticketsErr  error
	// related are the referenced tickets as nodes of one set of their
	// own, so that their computed fields load together too.
	related map[string]*ticketNode
}

// ensurePeople loads the people the set references: one call for the rows'
// ids and, only when beneficiaries are among them, one more for their
// individuals (whose names are the beneficiary's).
func (s *rowSet) ensurePeople(ctx context.Context, l *loader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.peopleDone {
		return s.peopleErr
	}
	s.peopleDone = true
	defer s.alsoTickets(ctx, l)()
	ids := s.personIDs()
	if s.peopleErr = l.loadPeople(ctx, ids); s.peopleErr != nil {
		return s.peopleErr
	}
	var individuals []string
	for _, id := range ids {
		if p := l.person(id); p != nil && p.Type == grievance.PersonBeneficiary && p.IndividualID != "" {
			individuals = append(individuals, p.IndividualID)
		}
	}
	s.peopleErr = l.loadPeople(ctx, individuals)
	return s.peopleErr
}

// alsoTickets starts loading the live tickets of a history page beside its
// people (s.mu held): every history row's isHistory needs them, so the
// two reads share a round trip instead of following one another. The
// returned function waits for it.
func (s *rowSet) alsoTickets(ctx context.Context, l *loader) func() {
	if !s.history || s.ticketsDone {
		return func() {}
	}
	s.ticketsDone = true
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.ticketsErr = l.loadTickets(ctx, s.ticketIDs())
	}()
	return func() { <-done }
}

// ensureTickets loads the live tickets the set references.
func (s *rowSet) ensureTickets(ctx context.Context, l *loader) error {
	s.mu.Lock()
	if s.history && !s.peopleDone {
		// The people first, which read the tickets beside them (their
		// error is the people fields' to report).
		s.mu.Unlock()
		_ = s.ensurePeople(ctx, l)
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if s.ticketsDone {
		return s.ticketsErr
	}
	s.ticketsDone = true
	s.ticketsErr = l.loadTickets(ctx, s.ticketIDs())
	return s.ticketsErr
}

// ticketNode returns the node of a ticket the set references (a comment's
// ticket).
func (s *rowSet) ticketNode(ctx context.Context, l *loader, id string) (*ticketNode, error) {
	if err := s.ensureTickets(ctx, l); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.related == nil {
		var ts []*grievance.Ticket
		seen := map[string]bool{}
		for _, tid := range s.ticketIDs() {
			if t := l.ticket(tid); t != nil && !seen[tid] {
				seen[tid] = true
				ts = append(ts, t)
			}
		}
		s.related = map[string]*ticketNode{}
		for _, n := range ticketNodes(ts, false, nil) {
			tn := n.(*ticketNode)
			s.related[tn.t.ID] = tn
		}
	}
	if n, ok := s.related[id]; ok {
		return n, nil
	}
	return nil, grievance.Errorf(grievance.CodeNotFound, "Ticket %s does not exist.", id)
}

// ticketNode is a TicketGQLType value.
type ticketNode struct {
	t   *grievance.Ticket
	set *rowSet
}

// commentNode is a CommentGQLType value.
type commentNode struct {
	c   *grievance.Comment
	set *rowSet
}

// logNode is a MutationLogGQLType value.
type logNode struct {
	l   *grievance.MutationLog
	set *rowSet
}

// userRef is a UserGQLType value: the id is always known, the record only
// when the directory has it.
type userRef struct {
	id string
	p  *grievance.Person
}

func ticketNodes(ts []*grievance.Ticket, history bool, live map[string]int) []any {
	set := &rowSet{history: history, live: live}
	set.personIDs = func() []string {
		return grievance.TicketPeople(ts)
	}
	set.ticketIDs = func() []string {
		ids := make([]string, 0, len(ts))
		for _, t := range ts {
			if _, known := live[t.ID]; !known {
				ids = append(ids, t.ID)
			}
		}
		return ids
	}
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = &ticketNode{t: t, set: set}
	}
	return out
}

func commentNodes(cs []*grievance.Comment) []any {
	set := &rowSet{}
	set.personIDs = func() []string {
		ids := make([]string, 0, 3*len(cs))
		for _, c := range cs {
			ids = append(ids, c.CommenterID, c.UserCreated, c.UserUpdated)
		}
		return ids
	}
	set.ticketIDs = func() []string {
		ids := make([]string, len(cs))
		for i, c := range cs {
			ids[i] = c.TicketID
		}
		return ids
	}
	out := make([]any, len(cs))
	for i, c := range cs {
		out[i] = &commentNode{c: c, set: set}
	}
	return out
}

func logNodes(ls []*grievance.MutationLog) []any {
	set := &rowSet{}
	set.personIDs = func() []string {
		ids := make([]string, len(ls))
		for i, l := range ls {
			ids[i] = l.UserID
		}
		return ids
	}
	set.ticketIDs = func() []string { return nil }
	out := make([]any, len(ls))
	for i, l := range ls {
		out[i] = &logNode{l: l, set: set}
	}
	return out
}
