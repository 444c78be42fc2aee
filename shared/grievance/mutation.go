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
	// Retryable marks a failure that says nothing about the request
	// itself (a dependency down or throttled, an internal error, a race
	// lost after every retry): its clientMutationId stays open, and a
	// resend runs again and replaces this log. Successes and validation or
	// rights failures are final.
	Retryable bool
}

// Transient reports whether a failure with err may go away on a resend of
// the same input. A conflict the client asked for (it named a stale
// version) is final: the same input fails the same way.
func Transient(err error, explicitVersion bool) bool {
	switch ErrorCode(err) {
	case CodeInternal, CodeUnavailable:
		return true
	case CodeConflict:
		return !explicitVersion && ErrorKey(err) != KeyDuplicate
	}
	return false
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

// Limits of a mutation's envelope. clientMutationId is part of a storage
// key (DynamoDB refuses keys over 2 KB, and a user id and a prefix share
// it), label and id follow openIMIS's varchar(255); details and the input
// bound what one log item holds (an item may not exceed 400 KB).
const (
	MaxClientMutationID      = 255       // characters
	MaxClientMutationLabel   = 255       // characters
	MaxClientMutationDetails = 50        // entries
	MaxClientMutationDetail  = 1000      // characters per entry
	MaxMutationInput         = 256 << 10 // bytes of the input as JSON
)

// checkMutationRequest validates the envelope every mutation shares.
func checkMutationRequest(req MutationRequest) error {
	if err := checkText("clientMutationId", req.ClientMutationID, MaxClientMutationID, false); err != nil {
		return err
	}
	if err := checkText("clientMutationLabel", req.ClientMutationLabel, MaxClientMutationLabel, false); err != nil {
		return err
	}
	if n := len(req.ClientMutationDetails); n > MaxClientMutationDetails {
		return Errorf(CodeInvalid, "clientMutationDetails has %d entries; the limit is %d.", n, MaxClientMutationDetails)
	}
	for _, d := range req.ClientMutationDetails {
		if err := checkText("clientMutationDetails entry", d, MaxClientMutationDetail, true); err != nil {
			return err
		}
	}
	if n := len(req.JSONContent); n > MaxMutationInput {
		return Errorf(CodeInvalid, "The mutation input is %d bytes; the limit is %d.", n, MaxMutationInput)
	}
	return nil
}
