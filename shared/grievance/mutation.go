package grievance

import (
	"encoding/json"
	"time"
)

// MutationStatus is the outcome of a mutation, as openIMIS numbers it.
type MutationStatus int

// Mutation statuses.
const (
	MutationReceived MutationStatus = 0
	MutationFailed   MutationStatus = 1
	MutationSuccess  MutationStatus = 2
)

// MutationLog records one mutation request and its outcome. Clients poll it
// by clientMutationId (the openIMIS "async mutation" protocol); Redress
// executes mutations synchronously, so a log is final when the request
// returns.
type MutationLog struct {
	ID                    string
	UserID                string
	Mutation              string // GraphQL field, e.g. "createTicket"
	ClientMutationID      string
	ClientMutationLabel   string
	ClientMutationDetails []string
	JSONContent           string
	Status                MutationStatus
	Error                 string // JSON list of {message, detail, code, key}
	RequestDateTime       time.Time
	// TicketIDs are the tickets the mutation touched, so that
	// tickets(clientMutationId:) finds them and confidentiality rules can
	// hide logs of tickets a reader may not see.
	TicketIDs []string
	ExpiresAt time.Time
	// Attempt identifies the execution that owns the log: only it may
	// finalise the log, so a retry that takes over an abandoned mutation
	// and the abandoned execution can never both complete it.
	Attempt string
}

// abandonAfter is how long a mutation may stay received before it counts as
// abandoned (its execution died between claim and commit). It is well above
// any function timeout, so a live execution is never taken over.
const abandonAfter = 2 * time.Minute

// abandoned reports whether l is a received mutation whose execution died.
func (l *MutationLog) abandoned(now time.Time) bool {
	return l.Status == MutationReceived && now.Sub(l.RequestDateTime) > abandonAfter
}

// KeyTakenOver marks the error a store returns when another attempt owns
// the mutation's log (a retry took over a mutation thought abandoned).
const KeyTakenOver = "mutation.taken_over"

// errAbandoned is shown for an abandoned mutation until it is sent again.
var errAbandoned = Errorf(CodeUnavailable, "The request did not complete; send it again.")

// MutationError is one entry of a mutation log's error list.
type MutationError struct {
	Message string `json:"message"`
	Detail  string `json:"detail"`
	Code    Code   `json:"code,omitempty"`
	Key     string `json:"key,omitempty"`
}

// FailureJSON renders err as the openIMIS error list for mutation class
// (e.g. "CreateTicketMutation"). Internal errors say only that the mutation
// failed; their cause is logged by the caller.
func FailureJSON(class string, err error) string {
	e := MutationError{
		Message: "Failed to process " + class + " mutation",
		Detail:  ErrorMessage(err),
		Code:    ErrorCode(err),
		Key:     ErrorKey(err),
	}
	b, _ := json.Marshal([]MutationError{e})
	return string(b)
}
