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
}

// KeyDuplicate marks the error a store returns when a write carries the
// claim of a clientMutationId that the same user has claimed already.
const KeyDuplicate = "mutation.duplicate"

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
