package graph

import (
	"fmt"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The application model (model package), as this package's callers know it.
type (
	// Application is the part of a Graph application registration this package reads and edits.
	Application = model.Application
	// PermissionScope is a delegated permission scope (Graph's permissionScope).
	PermissionScope = model.PermissionScope
	// PreAuthorizedApplication is a client application pre-authorized for some of the API's scopes.
	PreAuthorizedApplication = model.PreAuthorizedApplication
)

// RefKind says which identifier an AppRef carries.
type RefKind int

const (
	// RefAuto means the caller does not know: the client ID (appId) form is tried first, then the
	// object ID form.
	RefAuto RefKind = iota
	// RefAppID means the identifier is the application (client) ID.
	RefAppID
	// RefObjectID means the identifier is the directory object ID.
	RefObjectID
)

// String returns a lower-case label used in messages.
func (k RefKind) String() string {
	switch k {
	case RefAppID:
		return "client ID"
	case RefObjectID:
		return "object ID"
	default:
		return "client or object ID"
	}
}

// AppRef names an application by client ID (appId) or object ID. It is resolved once per Client;
// both forms of one application share its worker.
type AppRef struct {
	// ID is the client ID or object ID.
	ID string
	// Kind says which of the two ID is; RefAuto tries the client ID first.
	Kind RefKind
}

// ByAppID returns a reference to the application with the given client ID (appId).
func ByAppID(appID string) AppRef { return AppRef{ID: appID, Kind: RefAppID} }

// ByObjectID returns a reference to the application with the given directory object ID.
func ByObjectID(objectID string) AppRef { return AppRef{ID: objectID, Kind: RefObjectID} }

// ByAnyID returns a reference that is tried as a client ID first and then as an object ID.
func ByAnyID(id string) AppRef { return AppRef{ID: id, Kind: RefAuto} }

// String returns a labelled form used inside error messages, such as `application (client ID "…")`.
func (r AppRef) String() string {
	return fmt.Sprintf("application (%s %q)", r.Kind, r.ID)
}

// key returns the case-insensitive cache key of the reference.
func (r AppRef) key() string {
	return fmt.Sprintf("%d/%s", r.Kind, strings.ToLower(r.ID))
}
