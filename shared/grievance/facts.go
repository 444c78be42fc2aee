package grievance

// Business facts: what a stored change means to the world outside the
// grievance store (the task system, notifications). Stream consumers
// translate them into events; which facts a change produces is decided
// here, once, from the ticket before and after the change.

// Fact is one business fact of a ticket change.
type Fact string

// The facts of ticket changes, in the order consumers should see them
// when one change produces several.
const (
	FactCreated       Fact = "created"
	FactDeleted       Fact = "deleted"
	FactStatusChanged Fact = "status_changed"
	FactResolved      Fact = "resolved"
	FactReopened      Fact = "reopened"
	// FactAppealed: a low rating of the outcome reopened the ticket
	// (RateOutcome), once per ticket.
	FactAppealed      Fact = "appealed"
	FactStaffAssigned Fact = "staff_assigned"
)

// Task says why a change asks the task system for action ("" for none).
type Task string

// Reasons for a task request.
const (
	TaskCreate   Task = "create"   // created with an attending staff
	TaskAssign   Task = "assign"   // attending staff set or changed
	TaskReopen   Task = "reopen"   // reopened
	TaskEscalate Task = "escalate" // an escalation level reached (SLA)
)

// Operations whose effect is a business fact of its own: the mutations
// of these names (shared/gql) run them, and the store records the name
// with every version they write. Resolving a ticket by a comment and
// setting its status to CLOSED leave the same ticket behind, as do
// reopening it and setting an open status; only the operation tells them
// apart.
const (
	OpResolveByComment = "resolveGrievanceByComment"
	OpReopen           = "reopenTicket"
)

// TicketChange is what one stored version of a ticket means.
type TicketChange struct {
	Facts []Fact
	// Task is the one task request of the version, if any: a version has
	// one task id, so a reopen asks for action whoever is assigned, and a
	// reassignment asks the new staff.
	Task Task
}

// ChangeOf returns the facts of t written over old (nil on creation) by
// operation op (the mutation recorded with the version).
func ChangeOf(old, t *Ticket, op string) TicketChange {
	var c TicketChange
	switch {
	case old == nil:
		c.Facts = []Fact{FactCreated}
		if t.AttendingStaffID != "" {
			c.Task = TaskCreate
		}
		return c
	case old.IsDeleted:
		return c // nothing happens to a deleted ticket that anyone must act on
	case t.IsDeleted:
		c.Facts = []Fact{FactDeleted}
		return c
	}
	if t.Status != old.Status {
		c.Facts = append(c.Facts, FactStatusChanged)
	}
	// Resolution is read from the ticket, not from the comment whose
	// isResolution became true: every resolve writes the ticket, also when
	// the comment was already flagged, and only the ticket carries the
	// code, version and statuses.
	if op == OpResolveByComment && t.Status == StatusClosed && old.Status != StatusClosed {
		c.Facts = append(c.Facts, FactResolved)
	}
	reopened := op == OpReopen && t.Status != old.Status
	if reopened {
		c.Facts = append(c.Facts, FactReopened)
	}
	// An appeal asks for action as a reopen does.
	if op == MutationRate && t.Status == StatusOpen && old.Status != t.Status {
		c.Facts = append(c.Facts, FactAppealed)
		reopened = true
	}
	restaffed := t.AttendingStaffID != old.AttendingStaffID
	if restaffed {
		c.Facts = append(c.Facts, FactStaffAssigned)
	}
	switch {
	case reopened:
		c.Task = TaskReopen
	case restaffed && t.AttendingStaffID != "":
		c.Task = TaskAssign
	}
	return c
}

// CommentCreated reports whether a comment version written over old (nil
// when there was none) is the creation of a comment, the one comment fact.
func CommentCreated(old, c *Comment) bool {
	return old == nil && c != nil && !c.IsDeleted
}

// CommentMadePublic reports whether a comment version written over old
// (nil when there was none) makes it readable by the complainant: created
// public, or marked public later. A deleted comment is never made public.
func CommentMadePublic(old, c *Comment) bool {
	return c != nil && c.Public && !c.IsDeleted && (old == nil || !old.Public || old.IsDeleted)
}
