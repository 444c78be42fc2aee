// Package grievance is the domain of Redress: tickets, comments, the people
// they point at, mutation logs, the module configuration, the rules that
// govern them and the services that apply those rules. It imports only the
// standard library; storage, GraphQL and Lambda live in adapters around it.
package grievance

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers. Adapters map codes to their own
// vocabulary (GraphQL extensions, HTTP statuses, mutation-log entries) in one
// place each; nothing else about an error reaches a client.
type Code string

// Error codes. Do not rename: clients see them.
const (
	CodeInvalid         Code = "INVALID"         // input breaks a rule; the message says which
	CodeUnauthenticated Code = "UNAUTHENTICATED" // no principal
	CodeForbidden       Code = "FORBIDDEN"       // principal lacks a right
	CodeNotFound        Code = "NOT_FOUND"       // no such object (or not visible)
	CodeConflict        Code = "CONFLICT"        // version or state conflict; retry with fresh data
	CodeLimit           Code = "LIMIT_EXCEEDED"  // a request limit was hit
	CodeUnavailable     Code = "UNAVAILABLE"     // a dependency is throttled or down; retry later
	CodeInternal        Code = "INTERNAL"        // anything else; details are logged, never shown
)

// Error is the one application error type. Message is a sentence safe to
// show to a person; Key is an optional stable message id (openIMIS-compatible
// validation keys, for clients that match on them); Err is the cause, for logs.
type Error struct {
	Code    Code
	Message string
	Key     string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithKey sets the stable message id and returns e.
func (e *Error) WithKey(key string) *Error {
	e.Key = key
	return e
}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal when there is none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return CodeInternal
}

// ErrorMessage returns the person-facing message of err. Internal errors
// get a generic sentence so that no implementation detail leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != CodeInternal {
		return e.Message
	}
	return "Internal error."
}

// ErrorKey returns the stable message id of err, if any.
func ErrorKey(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Key
	}
	return ""
}
