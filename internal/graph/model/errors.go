package model

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors; errors.Is matches them, also in the steps' refusals below, which wrap theirs with
// what they name.
var (
	ErrScopeNotFound          = errors.New("not found on the application")
	ErrScopeExists            = errors.New("already exists")
	ErrPreAuthorizationExists = errors.New("is already pre-authorized")
	ErrNotFound               = errors.New("application not found") // or not visible to the caller
	ErrOverwritten            = errors.New("change overwritten by another writer")
)

func (*NotFoundError) Is(t error) bool    { return t == ErrNotFound }
func (*OverwrittenError) Is(t error) bool { return t == ErrOverwritten }

// scopeExists names the existing scope (its ID for an import command).
func scopeExists(s scopeEntry) error {
	return fmt.Errorf("permission scope %q %w with id %s", s.Value, ErrScopeExists, s.ID)
}

func scopeNotFound(id string) error {
	return fmt.Errorf("permission scope %s %w", id, ErrScopeNotFound)
}

// APIError is an error answer from Microsoft Graph (ErrorFromResponse): the HTTP status, Graph's
// error code and message, its request-id and the client-request-id it echoed (for support cases),
// and the delay a Retry-After header asked for (zero when absent).
type APIError struct {
	StatusCode                 int
	Code, Message              string
	RequestID, ClientRequestID string
	RetryAfter                 time.Duration
}

// Error describes the answer with its status, code, message and request-id.
func (e *APIError) Error() string {
	s := fmt.Sprintf("microsoft graph answered %d", e.StatusCode)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request-id " + e.RequestID + ")"
	}
	return s
}

// AsAPIError returns the Graph answer inside err, if any.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

// The kinds of Graph's answers: each unwraps to its APIError.
type (
	// NotFoundError is Graph's 404 for an application: it does not exist (or, after the retries, no replica shows it).
	NotFoundError struct{ APIError }
	// ForbiddenError is Graph's 403: the identity lacks rights on the application (the provider says what to grant).
	ForbiddenError struct{ APIError }
	// ConflictError is Graph's 409 that persisted after the retries (a burst of Directory_ConcurrencyViolation).
	ConflictError struct{ APIError }
	// ValidationError is Graph's 400: Graph rejected the change (a duplicate identifier URI, a
	// pre-authorization of a scope that does not exist, an enabled scope changed, …).
	ValidationError struct{ APIError }
)

func (e *NotFoundError) Error() string   { return "application not found: " + e.APIError.Error() }
func (e *ForbiddenError) Error() string  { return "insufficient privileges: " + e.APIError.Error() }
func (e *ConflictError) Error() string   { return "conflicting change: " + e.APIError.Error() }
func (e *ValidationError) Error() string { return "change rejected: " + e.APIError.Error() }

func (e *NotFoundError) Unwrap() error   { return &e.APIError }
func (e *ForbiddenError) Unwrap() error  { return &e.APIError }
func (e *ConflictError) Unwrap() error   { return &e.APIError }
func (e *ValidationError) Unwrap() error { return &e.APIError }

// RetryTimeoutError is a context (Err) that ended while a call was being retried after the failure
// Last. It unwraps to Err only, so a timeout while a 404 was retried is never taken for "not found".
type RetryTimeoutError struct{ Err, Last error }

func (e *RetryTimeoutError) Error() string {
	return fmt.Sprintf("%s; the last attempt before it had failed: %s", e.Err, e.Last)
}

func (e *RetryTimeoutError) Unwrap() error { return e.Err }

// OverwrittenError means another writer kept overwriting this process's change: after Reapplied
// re-applications Graph still did not show the Missing intents.
type OverwrittenError struct {
	ObjectID  string
	Reapplied int
	Missing   []Intent
}

func (e *OverwrittenError) Error() string {
	missing := make([]string, len(e.Missing))
	for j, i := range e.Missing {
		missing[j] = i.String()
	}
	return fmt.Sprintf("another writer kept overwriting this change of application %s: Microsoft Graph still "+
		"did not show %s after it was applied again %d times. Another Terraform workspace, pipeline or "+
		"person is editing the same application at the same moment; run the command again once they are done",
		e.ObjectID, strings.Join(missing, ", "), e.Reapplied)
}
