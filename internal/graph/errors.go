package graph

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/retryafter"
)

// ErrNotFound means the application does not exist (or is not visible to the caller).
var ErrNotFound = errors.New("application not found")

// Graph error codes this package reacts to.
const (
	codeResourceNotFound         = "Request_ResourceNotFound"
	codeAuthorizationDenied      = "Authorization_RequestDenied"
	codeConcurrencyViolation     = core.CodeConcurrencyViolation
	codeCannotUpdateEnabledScope = core.CodeCannotUpdateEnabledScope
)

// RetryTimeoutError is a context that ended while a call was being retried: it says why the call
// was still being retried when time ran out. It matches the context's error (errors.Is finds
// context.DeadlineExceeded or context.Canceled) but not Last, so a timeout while a 404 was being
// retried is never taken for "not found"; errors.As on Last gives Graph's answer.
type RetryTimeoutError struct {
	// Err is the context's error.
	Err error
	// Last is the failure of the last attempt that was going to be retried.
	Last error
}

func (e *RetryTimeoutError) Error() string {
	return fmt.Sprintf("%s; the last attempt before it had failed: %s", e.Err, e.Last)
}

// Unwrap returns the context's error only.
func (e *RetryTimeoutError) Unwrap() error { return e.Err }

// timedOutRetrying returns err, the end of a context, with last, the failure being retried when it
// ended; err alone when nothing was being retried or err is not a context's end.
func timedOutRetrying(err, last error) error {
	if last == nil || (!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled)) ||
		errors.As(err, new(*RetryTimeoutError)) {
		return err
	}
	return &RetryTimeoutError{Err: err, Last: last}
}

// APIError is an error answer from Microsoft Graph, with the details Graph returns.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is Graph's error code, such as "Request_BadRequest".
	Code string
	// Message is Graph's human-readable message.
	Message string
	// RequestID is Graph's request-id (from the error body or the response header), for support
	// cases.
	RequestID string
	// ClientRequestID is the client-request-id echoed by Graph.
	ClientRequestID string
	// RetryAfter is the delay Graph asked for with a Retry-After header (zero when absent).
	RetryAfter time.Duration
}

// Error describes the answer with its status, code, message and request-id.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "microsoft graph answered %d", e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request-id %s)", e.RequestID)
	}
	return b.String()
}

// NotFoundError is Graph's 404 for an application: it does not exist, or a replica has not seen it
// yet (the client retries that case before returning this error). It matches ErrNotFound.
type NotFoundError struct{ APIError }

// Error describes the missing application.
func (e *NotFoundError) Error() string { return "application not found: " + e.APIError.Error() }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Unwrap returns the underlying Graph answer.
func (e *NotFoundError) Unwrap() error { return &e.APIError }

// CallerKind is the kind of identity a token stands for. Microsoft Graph authorizes application
// changes differently for each (see ForbiddenError).
type CallerKind int

const (
	// CallerUnknown means the client was not told which kind of identity it signs in as.
	CallerUnknown CallerKind = iota
	// CallerServicePrincipal is an application acting as itself (app-only token: client secret,
	// certificate, federated/OIDC token, managed identity).
	CallerServicePrincipal
	// CallerUser is a signed-in user (delegated token, e.g. from the Azure CLI).
	CallerUser
)

// Who may read and change an application, per kind of caller (Microsoft Graph permission reference for
// application get/update; shared design graph-behaviour.md).
const (
	// ServicePrincipalRule is the rule for app-only tokens and what to grant.
	ServicePrincipalRule = "A service principal (client secret, certificate, OIDC or managed identity) is authorized by its " +
		"Microsoft Graph application permissions, not by ownership alone: grant it the application permission " +
		"Application.ReadWrite.OwnedBy (admin consent) and add it as an owner of the agent's app registration " +
		"(the least privilege that works), or grant Application.ReadWrite.All (admin consent). To only read, " +
		"Application.Read.All suffices. Being an owner without an application permission is not enough."
	// UserRule is the rule for delegated tokens and what to grant.
	UserRule = "A signed-in user (Azure CLI) may change an app registration they own: add the user as an owner of the " +
		"agent's app registration, or give them a directory role such as Application Administrator or Cloud " +
		"Application Administrator."
)

// ForbiddenError is Graph's 403: the identity lacks rights on the application. Caller is the kind of
// identity the client signs in as, which decides what is missing.
type ForbiddenError struct {
	APIError
	Caller CallerKind
}

// Rule says who may read and change an application for the caller's kind, and what to grant.
func (e *ForbiddenError) Rule() string {
	switch e.Caller {
	case CallerServicePrincipal:
		return ServicePrincipalRule
	case CallerUser:
		return UserRule
	default:
		return ServicePrincipalRule + " " + UserRule
	}
}

// Error says what is missing, per kind of caller.
func (e *ForbiddenError) Error() string {
	return "insufficient privileges: " + e.APIError.Error() + ". " + e.Rule()
}

// Unwrap returns the underlying Graph answer.
func (e *ForbiddenError) Unwrap() error { return &e.APIError }

// ConflictError is Graph's 409 that persisted after the retries (for example a burst of
// Directory_ConcurrencyViolation).
type ConflictError struct{ APIError }

// Error describes the conflict.
func (e *ConflictError) Error() string { return "conflicting change: " + e.APIError.Error() }

// Unwrap returns the underlying Graph answer.
func (e *ConflictError) Unwrap() error { return &e.APIError }

// ValidationError is Graph's 400: Graph rejected the change (a duplicate identifier URI, a
// pre-authorization of a scope that does not exist, an enabled scope changed, …). Code and Message
// say which rule.
type ValidationError struct{ APIError }

// Error describes the rejected change.
func (e *ValidationError) Error() string { return "change rejected: " + e.APIError.Error() }

// Unwrap returns the underlying Graph answer.
func (e *ValidationError) Unwrap() error { return &e.APIError }

// mapError turns an error from the Graph SDK into this package's typed errors. Errors that are not
// Graph answers (transport failures, context errors) are returned unchanged.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if _, mapped := graphDetails(err); mapped {
		return err
	}
	var base APIError
	var odata *odataerrors.ODataError
	var kiota *abstractions.ApiError
	switch {
	case errors.As(err, &odata):
		base.StatusCode = odata.ResponseStatusCode
		if main := odata.GetErrorEscaped(); main != nil {
			base.Code = deref(main.GetCode())
			base.Message = deref(main.GetMessage())
			if inner := main.GetInnerError(); inner != nil {
				base.RequestID = deref(inner.GetRequestId())
				base.ClientRequestID = deref(inner.GetClientRequestId())
			}
		}
		fillFromHeaders(&base, odata.ResponseHeaders)
	case errors.As(err, &kiota):
		base.StatusCode = kiota.ResponseStatusCode
		base.Message = kiota.Message
		fillFromHeaders(&base, kiota.ResponseHeaders)
	default:
		return err
	}
	switch base.StatusCode {
	case http.StatusNotFound:
		return &NotFoundError{base}
	case http.StatusForbidden:
		return &ForbiddenError{APIError: base}
	case http.StatusConflict:
		return &ConflictError{base}
	case http.StatusBadRequest:
		return &ValidationError{base}
	default:
		return &base
	}
}

// fillFromHeaders completes an APIError from the response headers (request-id, Retry-After).
func fillFromHeaders(e *APIError, h *abstractions.ResponseHeaders) {
	if h == nil {
		return
	}
	first := func(name string) string {
		if v := h.Get(name); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	e.RequestID = cmp.Or(e.RequestID, first("request-id"))
	e.ClientRequestID = cmp.Or(e.ClientRequestID, first("client-request-id"))
	e.RetryAfter = parseRetryAfter(first("retry-after"), time.Now())
}

// parseRetryAfter reads a Retry-After value (seconds, decimal seconds or an HTTP date); zero when invalid.
func parseRetryAfter(v string, now time.Time) time.Duration { return retryafter.Parse(v, now) }

// graphDetails returns the Graph answer inside err, if any.
func graphDetails(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// OverwrittenError means another writer kept overwriting this process's change: after Reapplied
// re-applications Graph still did not show it. It matches ErrOverwritten.
type OverwrittenError struct {
	// ObjectID is the application's object ID.
	ObjectID string
	// Reapplied is how many times the change was applied again.
	Reapplied int
	// Missing describes the facts Graph did not show at the last read.
	Missing []string
}

// ErrOverwritten means another writer kept overwriting a change of this process.
var ErrOverwritten = errors.New("change overwritten by another writer")

// Error says what was lost and what to do.
func (e *OverwrittenError) Error() string {
	return fmt.Sprintf("another writer kept overwriting this change of application %s: Microsoft Graph still "+
		"did not show %s after it was applied again %d times. Another Terraform workspace, pipeline or "+
		"person is editing the same application at the same moment; run the command again once they are done",
		e.ObjectID, strings.Join(e.Missing, ", "), e.Reapplied)
}

// Is makes the error match ErrOverwritten.
func (e *OverwrittenError) Is(target error) bool { return target == ErrOverwritten }
