package graph

import (
	"context"
	"errors"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The errors of this package are Graph's answers and the engine's failures, typed in package model
// (model/errors.go); these names are the ones the provider knows.
type (
	APIError          = model.APIError
	NotFoundError     = model.NotFoundError
	ForbiddenError    = model.ForbiddenError
	ConflictError     = model.ConflictError
	ValidationError   = model.ValidationError
	RetryTimeoutError = model.RetryTimeoutError
	OverwrittenError  = model.OverwrittenError
	CallerKind        = model.CallerKind
)

// Kinds of caller, rules for a 403 and sentinel errors (model/errors.go).
const (
	CallerUnknown          = model.CallerUnknown
	CallerServicePrincipal = model.CallerServicePrincipal
	CallerUser             = model.CallerUser
	ServicePrincipalRule   = model.ServicePrincipalRule
	UserRule               = model.UserRule
)

var (
	ErrNotFound    = model.ErrNotFound
	ErrOverwritten = model.ErrOverwritten
)

// isContextEnd reports whether err is a context's end.
func isContextEnd(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// timedOutRetrying returns err, the end of a context, with last, the failure being retried when it
// ended; err alone when nothing was being retried or err is not a context's end.
func timedOutRetrying(err, last error) error {
	if last == nil || !isContextEnd(err) || errors.As(err, new(*RetryTimeoutError)) {
		return err
	}
	return &RetryTimeoutError{Err: err, Last: last}
}
