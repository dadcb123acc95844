package model

import (
	"fmt"
	"slices"
	"strings"
)

// Application is the part of a Graph application registration this package reads and edits.
type Application struct {
	// ObjectID is the directory object ID (Graph's "id").
	ObjectID string
	// AppID is the application (client) ID.
	AppID string
	// DisplayName is the application's display name.
	DisplayName string
	// IdentifierURIs are the application ID URIs, in Graph's order.
	IdentifierURIs []string
	// Scopes are the delegated permission scopes the application's API exposes.
	Scopes []PermissionScope
	// PreAuthorized are the client applications pre-authorized for some of the scopes.
	PreAuthorized []PreAuthorizedApplication
}

// Scope returns the scope with the given ID (compared case-insensitively) and whether it exists.
func (a Application) Scope(id string) (PermissionScope, bool) {
	return find(a.Scopes, func(s PermissionScope) bool { return strings.EqualFold(s.ID, id) })
}

// ScopeByValue returns the scope with the given value (compared case-insensitively, as Graph
// enforces uniqueness) and whether it exists.
func (a Application) ScopeByValue(value string) (PermissionScope, bool) {
	return find(a.Scopes, func(s PermissionScope) bool { return strings.EqualFold(s.Value, value) })
}

// PreAuthorization returns the pre-authorized entry of the client application (compared
// case-insensitively) and whether it exists.
func (a Application) PreAuthorization(clientAppID string) (PreAuthorizedApplication, bool) {
	return find(a.PreAuthorized, func(p PreAuthorizedApplication) bool { return strings.EqualFold(p.AppID, clientAppID) })
}

// find returns the first element of list that match accepts, and whether there is one.
func find[T any](list []T, match func(T) bool) (T, bool) {
	if i := slices.IndexFunc(list, match); i >= 0 {
		return list[i], true
	}
	var zero T
	return zero, false
}

// PermissionScope is a delegated permission scope (Graph's permissionScope).
type PermissionScope struct {
	// ID is the scope's GUID, chosen by the caller.
	ID string
	// Value is the scope name that appears in the "scp" claim, such as "access_as_client".
	Value string
	// Type is ScopeTypeUser ("Admins and users" can consent) or ScopeTypeAdmin.
	Type string
	// AdminConsentDisplayName and AdminConsentDescription are the title and description shown to
	// administrators granting consent; UserConsentDisplayName and UserConsentDescription to users.
	AdminConsentDisplayName, AdminConsentDescription string
	UserConsentDisplayName, UserConsentDescription   string
	// Enabled reports whether clients can request the scope.
	Enabled bool
}

// Scope types accepted by Graph.
const (
	// ScopeTypeUser lets administrators and users consent to the scope.
	ScopeTypeUser = "User"
	// ScopeTypeAdmin lets only administrators consent to the scope.
	ScopeTypeAdmin = "Admin"
)

// PreAuthorizedApplication is a client application that may use some of the API's scopes without
// a consent prompt (Graph's preAuthorizedApplication).
type PreAuthorizedApplication struct {
	// AppID is the client application's appId.
	AppID string
	// DelegatedPermissionIDs are the IDs of the scopes the client is pre-authorized for.
	DelegatedPermissionIDs []string
}

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

// AppRef names an application by client ID (appId) or object ID. Both forms of one application
// share its worker in the engine.
type AppRef struct {
	// ID is the client ID or object ID; Kind says which, RefAuto tries the client ID first.
	ID   string
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

// Key returns the case-insensitive key of the reference.
func (r AppRef) Key() string {
	return fmt.Sprintf("%d/%s", r.Kind, strings.ToLower(r.ID))
}
