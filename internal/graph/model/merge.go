package model

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// scopeEntry is a permission scope as read or as built by this process; raw is the entry as read
// (zero for a new one), from which PatchBody keeps the properties this package does not model.
// created and disabling mark a scope this round creates or disables: its pre-authorizations, and a
// change of value or type or a removal, wait for the next round (Graph checks them against the scope
// as stored).
type scopeEntry struct {
	PermissionScope
	raw                readEntry[PermissionScope]
	created, disabling bool
}

// preAuthEntry is a pre-authorized application entry as read or as built; see scopeEntry.
type preAuthEntry struct {
	PreAuthorizedApplication
	raw readEntry[PreAuthorizedApplication]
}

// State is one application as seen by one group-commit round.
type State struct {
	ObjectID    string
	AppID       string
	displayName string
	uris        []string
	scopes      []scopeEntry
	preAuth     []preAuthEntry
	// ReadAt is when the read this state comes from was started (zero for a state built locally).
	ReadAt time.Time
}

// Clone returns a deep copy whose lists can be edited without touching st (raw entries, never
// modified, are shared).
func (st *State) Clone() *State {
	c := *st
	c.uris = slices.Clone(st.uris)
	c.scopes = slices.Clone(st.scopes)
	c.preAuth = slices.Clone(st.preAuth)
	for i := range c.preAuth {
		c.preAuth[i].DelegatedPermissionIDs = slices.Clone(c.preAuth[i].DelegatedPermissionIDs)
	}
	return &c
}

// NewRound clears the previous round's marks (created and disabled scopes): st is as Graph shows it.
func (st *State) NewRound() {
	for i := range st.scopes {
		st.scopes[i].created, st.scopes[i].disabling = false, false
	}
}

// Application returns the plain view of the state.
func (st *State) Application() Application {
	app := Application{
		ObjectID:       st.ObjectID,
		AppID:          st.AppID,
		DisplayName:    st.displayName,
		IdentifierURIs: append([]string{}, st.uris...), // never nil
		Scopes:         make([]PermissionScope, len(st.scopes)),
		PreAuthorized:  make([]PreAuthorizedApplication, len(st.preAuth)),
	}
	for i, s := range st.scopes {
		app.Scopes[i] = s.PermissionScope
	}
	for i, p := range st.preAuth {
		p.DelegatedPermissionIDs = append([]string{}, p.DelegatedPermissionIDs...)
		app.PreAuthorized[i] = p.PreAuthorizedApplication
	}
	return app
}

// Collection is a bit set naming the list properties of an application this package edits.
type Collection uint8

// The collections: identifierUris, api.oauth2PermissionScopes, api.preAuthorizedApplications.
const (
	ColURIs Collection = 1 << iota
	ColScopes
	ColPreAuth
)

// String lists the Graph property names in the set.
func (c Collection) String() string {
	var parts []string
	for bit, name := range []string{"identifierUris", "api.oauth2PermissionScopes", "api.preAuthorizedApplications"} {
		if c&(1<<bit) != 0 {
			parts = append(parts, name)
		}
	}
	return cmp.Or(strings.Join(parts, ","), "none")
}

// ChangedCollections returns the collections whose facts differ between before and after (IntentsOf).
func ChangedCollections(before, after *State) (c Collection) {
	for _, i := range IntentsOf(before, after) {
		c |= 1 << (i.Kind - 1) // IntentURI, IntentScope and IntentGrant are in ColURIs, ColScopes and ColPreAuth
	}
	return c
}

// ScopeFact identifies one version of a scope: its ID (case-insensitive) and every modelled field.
func ScopeFact(s PermissionScope) string {
	return strings.Join([]string{"scope", strings.ToLower(s.ID), s.Value, s.Type, s.AdminConsentDisplayName,
		s.AdminConsentDescription, s.UserConsentDisplayName, s.UserConsentDescription, strconv.FormatBool(s.Enabled)}, "\x00")
}

// findScope and findScopeByValue return the index of the scope with the ID, or with the value
// (Graph keeps values unique), compared case-insensitively; -1 when none.
func (st *State) findScope(id string) int {
	return slices.IndexFunc(st.scopes, func(s scopeEntry) bool { return strings.EqualFold(s.ID, id) })
}

func (st *State) findScopeByValue(value string) int {
	return slices.IndexFunc(st.scopes, func(s scopeEntry) bool { return strings.EqualFold(s.Value, value) })
}

// Scope returns the scope with the ID (case-insensitive) and whether there is one.
func (st *State) Scope(id string) (PermissionScope, bool) {
	e, ok := find(st.scopes, func(s scopeEntry) bool { return strings.EqualFold(s.ID, id) })
	return e.PermissionScope, ok
}

// EnsureIdentifierURI adds uri unless an equal URI (case-insensitive) is present.
func EnsureIdentifierURI(st *State, uri string) (added bool) {
	if containsFold(st.uris, uri) {
		return false
	}
	st.uris = append(st.uris, uri)
	return true
}

// RemoveIdentifierURI removes every URI equal to uri (case-insensitive); other URIs keep their order.
func RemoveIdentifierURI(st *State, uri string) (removed bool) {
	n := len(st.uris)
	st.uris = slices.DeleteFunc(st.uris, func(u string) bool { return strings.EqualFold(u, uri) })
	return len(st.uris) != n
}

// CreateScope appends a new scope, or fails with ErrScopeExists when one has its value or its ID.
func CreateScope(st *State, s PermissionScope) error {
	i := st.findScopeByValue(s.Value)
	if i < 0 {
		i = st.findScope(s.ID)
	}
	if i >= 0 {
		return scopeExists(st.scopes[i])
	}
	st.scopes = append(st.scopes, scopeEntry{PermissionScope: s, created: true})
	return nil
}

// UpdateScopeStep moves the scope with want.ID one step towards want and reports whether it is
// there. Texts and the enabled flag change in place. A change of value or type needs the scope
// disabled first (Graph: CannotDeleteOrUpdateEnabledEntitlement): disable, change (still disabled),
// enable as requested, each step confirmed before the next.
func UpdateScopeStep(st *State, want PermissionScope) (done bool, err error) {
	i := st.findScope(want.ID)
	if i < 0 {
		return false, scopeNotFound(want.ID)
	}
	cur := &st.scopes[i]
	want.ID = cur.ID // keep Graph's spelling of the ID
	if j := st.findScopeByValue(want.Value); want.Value != cur.Value && j >= 0 && j != i {
		return false, scopeExists(st.scopes[j])
	}
	switch {
	case want.Value == cur.Value && want.Type == cur.Type:
		cur.PermissionScope = want
		return true, nil
	case cur.Enabled:
		cur.Enabled, cur.disabling = false, true
		return false, nil
	case cur.disabling:
		return false, ErrDeferred
	}
	enable := want.Enabled
	want.Enabled = false
	cur.PermissionScope = want
	return !enable, nil
}

// DeleteScopeStep moves towards the removal of the scope and reports whether it is gone (a missing
// scope is). Steps, each confirmed before the next: remove the scope ID from every pre-authorized
// entry (withoutGrant, adding the clients to cleared), disable the scope, remove it.
func DeleteScopeStep(st *State, id string, cleared *[]string) (done bool) {
	i := st.findScope(id)
	if i < 0 {
		return true
	}
	if withoutGrant(st, func(string) bool { return true }, id, cleared) {
		return false
	}
	switch {
	case st.scopes[i].Enabled:
		st.scopes[i].Enabled, st.scopes[i].disabling = false, true
		return false
	case st.scopes[i].disabling:
		return false
	}
	st.scopes = slices.Delete(st.scopes, i, i+1)
	return true
}

// AddPreAuthorization adds permissionID to the client's entry, or appends a new entry. It fails with
// ErrScopeNotFound when the application has no such scope, ErrPreAuthorizationExists when the client
// has the permission (naming it as Graph stores it), and ErrDeferred when this round creates the scope.
func AddPreAuthorization(st *State, clientAppID, permissionID string) error {
	i := st.findScope(permissionID)
	if i < 0 {
		return scopeNotFound(permissionID)
	}
	if st.scopes[i].created {
		return ErrDeferred
	}
	permissionID = st.scopes[i].ID
	if j := grantAt(st, clientAppID, permissionID); j >= 0 {
		return fmt.Errorf("client application %s %w for permission %s", st.preAuth[j].AppID, ErrPreAuthorizationExists, permissionID)
	}
	if j := slices.IndexFunc(st.preAuth, func(p preAuthEntry) bool { return strings.EqualFold(p.AppID, clientAppID) }); j >= 0 {
		p := &st.preAuth[j]
		p.DelegatedPermissionIDs = append(slices.Clone(p.DelegatedPermissionIDs), permissionID)
		return nil
	}
	entry := PreAuthorizedApplication{AppID: clientAppID, DelegatedPermissionIDs: []string{permissionID}}
	st.preAuth = append(st.preAuth, preAuthEntry{PreAuthorizedApplication: entry})
	return nil
}

// grantAt returns the index of the client's first entry holding the permission, or -1.
func grantAt(st *State, client, perm string) int {
	return slices.IndexFunc(st.preAuth, func(p preAuthEntry) bool {
		return strings.EqualFold(p.AppID, client) && containsFold(p.DelegatedPermissionIDs, perm)
	})
}

// RemovePreAuthorization removes permissionID from every entry of the client (withoutGrant);
// removed is false when there was nothing to remove.
func RemovePreAuthorization(st *State, clientAppID, permissionID string) (removed bool) {
	return withoutGrant(st, func(a string) bool { return strings.EqualFold(a, clientAppID) }, permissionID, new([]string))
}

// withoutGrant removes permissionID from the entries of the clients match accepts, and an entry this
// leaves empty (entries empty as read stay), adds the clients that lost it to lost (once each) and
// reports whether any did.
func withoutGrant(st *State, match func(appID string) bool, permissionID string, lost *[]string) (removed bool) {
	kept := st.preAuth[:0:0]
	for _, p := range st.preAuth {
		if match(p.AppID) && containsFold(p.DelegatedPermissionIDs, permissionID) {
			removed = true
			if !containsFold(*lost, p.AppID) {
				*lost = append(*lost, p.AppID)
			}
			p.DelegatedPermissionIDs = slices.DeleteFunc(slices.Clone(p.DelegatedPermissionIDs), func(x string) bool { return strings.EqualFold(x, permissionID) })
			if len(p.DelegatedPermissionIDs) == 0 {
				continue
			}
		}
		kept = append(kept, p)
	}
	if removed {
		st.preAuth = kept
	}
	return removed
}

// ReferencesResolve reports whether every permission ID of every pre-authorized entry names a scope
// of the application; then Graph's "Permission Id that cannot be found" comes from a lagging replica.
func ReferencesResolve(st *State) bool {
	return !slices.ContainsFunc(st.preAuth, func(p preAuthEntry) bool {
		return slices.ContainsFunc(p.DelegatedPermissionIDs, func(id string) bool { return st.findScope(id) < 0 })
	})
}

// Op is one operation the engine runs on an application: Name for messages, and Step, which edits
// the state of one round and reports whether the operation is done once that round's change is
// confirmed (ErrDeferred waits for the next round). The constructors write their results to the
// pointer given, from the step's last run: read it only once the operation was answered.
type Op struct {
	Name string
	Step func(*State) (done bool, err error)
}

// AddURI adds uri unless an equal URI (case-insensitive) is there; added reports whether it did.
func AddURI(uri string, added *bool) (Op, error) {
	if strings.TrimSpace(uri) == "" {
		return Op{}, errors.New("adding an identifier URI: the URI is empty")
	}
	return Op{"adding identifier URI " + uri, func(st *State) (bool, error) {
		*added = EnsureIdentifierURI(st, uri)
		return true, nil
	}}, nil
}

// RemoveURI removes uri; other URIs stay. removed reports whether it was there.
func RemoveURI(uri string, removed *bool) Op {
	return Op{"removing identifier URI " + uri, func(st *State) (bool, error) {
		*removed = RemoveIdentifierURI(st, uri)
		return true, nil
	}}
}

// ExposeScope adds uri (unless empty, or an equal one is there) and creates scope, of the type User
// unless set, in one change, or neither when it cannot be created (ErrScopeExists); uriAdded reports
// whether it added uri.
func ExposeScope(uri string, scope *PermissionScope, uriAdded *bool) (Op, error) {
	if strings.TrimSpace(scope.Value) == "" {
		return Op{}, errors.New("exposing a permission scope: the value is empty")
	}
	scope.Type = cmp.Or(scope.Type, ScopeTypeUser)
	name := fmt.Sprintf("creating permission scope %q", scope.Value)
	if uri != "" {
		name = fmt.Sprintf("adding identifier URI %s and permission scope %q", uri, scope.Value)
	}
	return Op{name, func(st *State) (bool, error) {
		*uriAdded = uri != "" && EnsureIdentifierURI(st, uri)
		return true, CreateScope(st, *scope)
	}}, nil
}

// UpdateScope moves the scope with scope.ID to scope (UpdateScopeStep); written is the scope written.
func UpdateScope(scope PermissionScope, written *PermissionScope) Op {
	return Op{"updating permission scope " + scope.ID, func(st *State) (bool, error) {
		done, err := UpdateScopeStep(st, scope)
		*written, _ = st.Scope(scope.ID)
		return done, err
	}}
}

// DeleteScopeAndURI removes the scope with scopeID (DeleteScopeStep), and uri (unless empty) in the
// step that removes the scope; cleared are the clients whose pre-authorization of it went first. A
// scope another step of this round disabled waits for the next round.
func DeleteScopeAndURI(scopeID, uri string, cleared *[]string) Op {
	name := "deleting permission scope " + scopeID
	if uri != "" {
		name += " and identifier URI " + uri
	}
	return Op{name, func(st *State) (bool, error) {
		if i := st.findScope(scopeID); i >= 0 && !st.scopes[i].Enabled && st.scopes[i].disabling {
			return false, ErrDeferred
		}
		done := DeleteScopeStep(st, scopeID, cleared)
		if done && uri != "" {
			RemoveIdentifierURI(st, uri)
		}
		return done, nil
	}}
}

// PreAuthorize pre-authorizes the client for the permission (AddPreAuthorization); entry is the
// client's entry as written.
func PreAuthorize(clientAppID, permissionID string, entry *PreAuthorizedApplication) (Op, error) {
	if strings.TrimSpace(clientAppID) == "" || strings.TrimSpace(permissionID) == "" {
		return Op{}, errors.New("pre-authorizing a client: the client ID and the permission ID are required")
	}
	return Op{fmt.Sprintf("pre-authorizing client %s for permission %s", clientAppID, permissionID), func(st *State) (bool, error) {
		err := AddPreAuthorization(st, clientAppID, permissionID)
		*entry, _ = st.Application().PreAuthorization(clientAppID)
		return true, err
	}}, nil
}

// Unauthorize removes the permission from the client's entry (RemovePreAuthorization); a
// permission already gone is success.
func Unauthorize(clientAppID, permissionID string) Op {
	return Op{fmt.Sprintf("removing the pre-authorization of client %s for permission %s", clientAppID, permissionID), func(st *State) (bool, error) {
		RemovePreAuthorization(st, clientAppID, permissionID)
		return true, nil
	}}
}
