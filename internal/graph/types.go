package graph

import (
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The names this package's callers know for what the pure packages define: the application model,
// references and Graph's answers as typed errors (package model), notices, counters and the retry
// policy's terms (package core).
type (
	Application              = model.Application
	PermissionScope          = model.PermissionScope
	PreAuthorizedApplication = model.PreAuthorizedApplication
	AppRef                   = model.AppRef

	APIError          = model.APIError
	NotFoundError     = model.NotFoundError
	ForbiddenError    = model.ForbiddenError
	ConflictError     = model.ConflictError
	ValidationError   = model.ValidationError
	RetryTimeoutError = model.RetryTimeoutError
	OverwrittenError  = model.OverwrittenError
	CallerKind        = model.CallerKind

	Notice      = core.Notice
	NoticeKind  = core.NoticeKind
	Stats       = core.Stats
	RetryReason = core.RetryReason
	Backoff     = core.Backoff
)

const (
	CallerUnknown           = model.CallerUnknown
	CallerServicePrincipal  = model.CallerServicePrincipal
	CallerUser              = model.CallerUser
	ServicePrincipalRule    = model.ServicePrincipalRule
	UserRule                = model.UserRule
	NoticeForeignWriter     = core.NoticeForeignWriter
	NoticeRestoreImpossible = core.NoticeRestoreImpossible
	NoticeNotConfirmed      = core.NoticeNotConfirmed
)

var (
	ErrNotFound    = model.ErrNotFound
	ErrOverwritten = model.ErrOverwritten
	ByAppID        = model.ByAppID
	ByObjectID     = model.ByObjectID
	ByAnyID        = model.ByAnyID
)
