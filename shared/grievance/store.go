package grievance

import "context"

// The interfaces below are what the services need from storage. The
// DynamoDB adapter (shared/store) implements them; tests may use fakes.
// Every method returns *Error values for conditions callers act on
// (CodeNotFound, CodeConflict, CodeUnavailable); anything else is internal.

// TicketRange selects the tickets a list query reads, in ticket-number
// order. The store serves it from a key range (never a table scan).
type TicketRange struct {
	By RangeKey
	// Keys are the partition values for By (statuses, categories, a staff
	// or reporter id, priorities); several keys are merged in
	// ticket-number order.
	Keys []string
	// Statuses narrows a RangeCategory range to tickets in one of these
	// statuses (none: any): one partition per status and category, merged
	// and counted per pair.
	Statuses []string
	// Seq selects one ticket number (By == RangeSeq).
	Seq int64
	// Deleted selects soft-deleted tickets instead of live ones; with
	// AlsoLive both are merged.
	Deleted, AlsoLive bool
	// Descending reads newest first.
	Descending bool
	// After, when not 0, starts the range after this ticket number (in the
	// direction read): keyset paging. For a RangeSorted range without
	// Keys it starts after the row (AfterValue, After) in the range's
	// order instead: AfterValue is that row's SortValue.
	After      int64
	AfterValue string
	// AfterVersion, for a history sort index's range
	// (HistorySorter), is the version of the row After names.
	AfterVersion int
	// PageHint is how many tickets the reader expects to need (0: no
	// idea); the store sizes its first read by it.
	PageHint int
	// SortBy is the field a RangeSorted range is ordered by (one of
	// SortIndexed): by its value, Descending or not, ties newest first,
	// as the list orders them (TicketOrder). With Keys (priority only),
	// the range is the tickets whose SortBy value is one of Keys, in
	// ticket-number order.
	SortBy string
	// Within, for a RangeSorted range without Keys, keeps only the
	// tickets of another range (the key range the list's filters chose):
	// the store skips the others as it reads the sort index, before it
	// fetches any ticket.
	Within *TicketRange
	// Share is about what part of the sort index's tickets Within holds
	// (0: unknown): the store sizes its reads by it, so that a page of
	// Within's tickets takes one read; unknown, it learns the share from
	// its first read.
	Share float64
}

// ValueFields are the fields whose values the store lists (TicketValues):
// a lookup other than exact on them reads the partitions of the values it
// matches.
var ValueFields = []string{"category", "priority"}

// RangeKey names the index a TicketRange reads.
type RangeKey int

// Range keys.
const (
	RangeAll      RangeKey = iota // every live (or deleted) ticket
	RangeStatus                   // live tickets with one of Keys as status
	RangeCategory                 // live tickets of a category among Keys (and a status among Statuses)
	RangeStaff                    // live tickets attended by Keys[0]
	RangeReporter                 // live tickets reported by Keys[0]
	RangeSeq                      // the ticket numbered Seq
	RangeSorted                   // every live ticket in SortBy order, or those with a SortBy value among Keys
)

// TicketStore reads tickets.
type TicketStore interface {
	// Ticket returns the ticket with id (deleted or not), or CodeNotFound.
	Ticket(ctx context.Context, id string) (*Ticket, error)
	// TicketsByID returns the tickets that exist among ids.
	TicketsByID(ctx context.Context, ids []string) (map[string]*Ticket, error)
	// ScanTickets calls fn for each ticket of r in order until fn returns
	// false or an error.
	ScanTickets(ctx context.Context, r TicketRange, fn func(*Ticket) (bool, error)) error
	// CountTickets counts the tickets of r from maintained counts, without
	// reading them.
	CountTickets(ctx context.Context, r TicketRange) (int, error)
	// TicketValues returns, for each of fields (among ValueFields), every
	// non-empty value live tickets have in it and how many have it, from
	// the maintained counts (one read, eventually consistent; a value
	// whose tickets are all gone may be listed with 0).
	TicketValues(ctx context.Context, fields ...string) (map[string]map[string]int, error)
}

// PeopleCounter is a store that reads the count of a range and people in
// one request (optional): a list page then costs one request less.
type PeopleCounter interface {
	// CountTicketsWithPeople returns CountTickets(r) and People(ids).
	CountTicketsWithPeople(ctx context.Context, r TicketRange, ids []string) (int, map[string]*Person, error)
}

// CommentStore reads comments.
type CommentStore interface {
	// Comment returns the comment with id, or CodeNotFound.
	Comment(ctx context.Context, id string) (*Comment, error)
	// CommentsOfTicket returns every comment of a ticket (deleted ones
	// too) in creation order.
	CommentsOfTicket(ctx context.Context, ticketID string) ([]*Comment, error)
	// TicketWithComments returns a ticket and every comment of it, read
	// together (CodeNotFound when the ticket does not exist).
	TicketWithComments(ctx context.Context, ticketID string) (*Ticket, []*Comment, error)
	// ScanComments calls fn for every comment of every ticket in creation
	// order (newest first when descending).
	ScanComments(ctx context.Context, descending bool, fn func(*Comment) (bool, error)) error
}

// Directory reads the people tickets point at.
type Directory interface {
	// People returns the records that exist among ids.
	People(ctx context.Context, ids []string) (map[string]*Person, error)
	// UserByUsername returns the staff user with username, or CodeNotFound.
	UserByUsername(ctx context.Context, username string) (*Person, error)
	// Users returns every staff user.
	Users(ctx context.Context) ([]*Person, error)
}

// MutationStore keeps mutation logs.
type MutationStore interface {
	// ClientMutation returns the log of the mutation the user sent with
	// clientMutationID, or nil when there is none. A claim is open while
	// its log is Retryable: a later claim may take it over.
	ClientMutation(ctx context.Context, userID, clientMutationID string) (*MutationLog, error)
	// PutMutationLog stores log (a failure), replacing an earlier state of
	// it; with claim, also the claim of its clientMutationId (open when
	// log.Retryable), on condition that there is none yet or it is open
	// (else an error keyed KeyDuplicate).
	PutMutationLog(ctx context.Context, log *MutationLog, claim bool) error
	// MutationLog returns the log with id, or CodeNotFound.
	MutationLog(ctx context.Context, id string) (*MutationLog, error)
	// ScanMutationLogs calls fn for logs newest first: those of userID
	// ("" = everyone's), only those with clientMutationID when it is set.
	ScanMutationLogs(ctx context.Context, userID, clientMutationID string, fn func(*MutationLog) (bool, error)) error
}

// ConfigStore reads the stored configuration document.
type ConfigStore interface {
	// ConfigDocument returns the stored document and its version; a
	// missing document is (nil, 0, nil).
	ConfigDocument(ctx context.Context) ([]byte, int, error)
}

// HistoryStore reads the versions recorded by the history function.
type HistoryStore interface {
	// TicketVersion returns version v of ticket id, or CodeNotFound.
	TicketVersion(ctx context.Context, id string, v int) (*Ticket, error)
	// ScanTicketHistory calls fn for every recorded version of every
	// ticket (or of ticketID, when set), newest ticket first, versions
	// newest first.
	ScanTicketHistory(ctx context.Context, ticketID string, fn func(*Ticket) (bool, error)) error
}

// HistoryPager is a HistoryStore that starts its scan of every ticket's
// versions after a row: keyset paging of a history list, from the ticket
// number and version of the page before's last row.
type HistoryPager interface {
	// ScanTicketHistoryAfter calls fn for the versions ScanTicketHistory
	// gives after version of ticket seq: that ticket's older versions,
	// then the tickets numbered below it.
	ScanTicketHistoryAfter(ctx context.Context, seq int64, version int, fn func(*Ticket) (bool, error)) error
}

// Write is one atomic change: everything in it is stored or nothing is.
type Write struct {
	// NewTicket is created with the next ticket number; the store sets
	// its Seq and Code.
	NewTicket *Ticket
	Tickets   []TicketWrite
	Comments  []CommentWrite
	// Log is the final state of the mutation's log, stored with the change.
	Log *MutationLog
	// Claim stores, with the change, the claim of Log's clientMutationId,
	// on condition that the user has not claimed it yet or only by a
	// retryable failure (else an error keyed KeyDuplicate and nothing is
	// stored): a mutation succeeds at most once.
	Claim  bool
	Config *ConfigWrite
	// Attachments are stored with the change (new ones with Prev 0).
	Attachments []AttachmentWrite
	// Mutation names what made a change that has no Log (a scan result);
	// with a Log, the log's mutation does.
	Mutation string
	// Then runs after the write is stored, for effects outside the store
	// that must follow it and may be repeated (tagging a deleted file).
	// A failure is reported as an internal failure of the stored mutation.
	Then []func(ctx context.Context) error
	// Tracking is the tracking record of NewTicket, stored under the code
	// the store gives it.
	Tracking *TrackingRecord
}

// TicketWrite replaces a stored ticket whose version is Prev. Old is that
// stored version as read (the store keeps per-index counts from it; when
// nil, the store reads it).
type TicketWrite struct {
	Ticket *Ticket
	Prev   int
	Old    *Ticket
}

// CommentWrite stores a comment; Prev is the stored version it replaces
// (0: the comment is new).
type CommentWrite struct {
	Comment *Comment
	Prev    int
}

// ConfigWrite replaces the configuration document whose version is Prev.
type ConfigWrite struct {
	Document []byte
	Prev     int
}

// Committer applies writes atomically. A stored version that is not the
// expected one gives CodeConflict and changes nothing.
type Committer interface {
	Commit(ctx context.Context, w *Write) error
}

// Store is everything the services need.
type Store interface {
	TicketStore
	CommentStore
	Directory
	MutationStore
	ConfigStore
	Committer
}
