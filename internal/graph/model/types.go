// Package model is the pure part of the Graph layer: an application as read (State), the facts a
// write wants Graph to show (Intent), the read-modify-write steps that edit a State while keeping
// every entry they do not own exactly as read, and Graph's JSON in and the PATCH body out. It
// does no I/O and knows nothing of time, retries or other writers; the engine (package graph) runs
// its steps on reads inside group-commit rounds.
package model

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Application is the part of a Graph application registration this package reads and edits.
type Application struct {
	ObjectID       string // the directory object ID (Graph's "id")
	AppID          string // the application (client) ID
	DisplayName    string
	IdentifierURIs []string                   // the application ID URIs, in Graph's order
	Scopes         []PermissionScope          // the delegated permission scopes its API exposes
	PreAuthorized  []PreAuthorizedApplication // the clients pre-authorized for some of them
}

// Scope returns the scope with the given ID (compared case-insensitively) and whether it exists.
func (a Application) Scope(id string) (PermissionScope, bool) {
	return find(a.Scopes, func(s PermissionScope) bool { return strings.EqualFold(s.ID, id) })
}

// ScopeByValue returns the scope with the given value (unique, compared case-insensitively) and whether it exists.
func (a Application) ScopeByValue(value string) (PermissionScope, bool) {
	return find(a.Scopes, func(s PermissionScope) bool { return strings.EqualFold(s.Value, value) })
}

// PreAuthorization returns the pre-authorized entry of the client (case-insensitive) and whether it exists.
func (a Application) PreAuthorization(clientAppID string) (PreAuthorizedApplication, bool) {
	return find(a.PreAuthorized, func(p PreAuthorizedApplication) bool { return strings.EqualFold(p.AppID, clientAppID) })
}

func find[T any](list []T, match func(T) bool) (T, bool) {
	if i := slices.IndexFunc(list, match); i >= 0 {
		return list[i], true
	}
	var zero T
	return zero, false
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// PermissionScope is a delegated permission scope (Graph's permissionScope, with its JSON names).
type PermissionScope struct {
	ID    string `json:"id"`    // the scope's GUID, chosen by the caller
	Value string `json:"value"` // the scope name in the "scp" claim, such as "access_as_client"
	Type  string `json:"type"`  // ScopeTypeUser or ScopeTypeAdmin
	// The title and description shown to administrators granting consent, and to users.
	AdminConsentDisplayName string `json:"adminConsentDisplayName"`
	AdminConsentDescription string `json:"adminConsentDescription"`
	UserConsentDisplayName  string `json:"userConsentDisplayName"`
	UserConsentDescription  string `json:"userConsentDescription"`
	Enabled                 bool   `json:"isEnabled"` // whether clients can request the scope
}

// Scope types accepted by Graph: User lets administrators and users consent, Admin only administrators.
const (
	ScopeTypeUser  = "User"
	ScopeTypeAdmin = "Admin"
)

// PreAuthorizedApplication is a client application (AppID: its appId) that may use some of the API's
// scopes (DelegatedPermissionIDs: their IDs) without a consent prompt (Graph's
// preAuthorizedApplication, with its JSON names).
type PreAuthorizedApplication struct {
	AppID                  string   `json:"appId"`
	DelegatedPermissionIDs []string `json:"delegatedPermissionIds"`
}

// RefKind says which identifier an AppRef carries.
type RefKind int

const (
	RefAuto     RefKind = iota // the caller does not know: the client ID form is tried first, then the object ID
	RefAppID                   // the application (client) ID
	RefObjectID                // the directory object ID
)

var refKindLabels = map[RefKind]string{RefAppID: "client ID", RefObjectID: "object ID"}

// String returns a lower-case label used in messages.
func (k RefKind) String() string { return cmp.Or(refKindLabels[k], "client or object ID") }

// AppRef names an application by client ID (appId) or object ID (Kind says which; RefAuto tries the
// client ID first). Both forms of one application share its worker in the engine.
type AppRef struct {
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
func (r AppRef) String() string { return fmt.Sprintf("application (%s %q)", r.Kind, r.ID) }

// Key returns the case-insensitive key of the reference.
func (r AppRef) Key() string { return fmt.Sprintf("%d/%s", r.Kind, strings.ToLower(r.ID)) }
