package model

import (
	"errors"
	"fmt"
	"strings"
)

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

// ExposeScope adds uri (unless empty, or an equal one is there) and creates scope in one change, or
// neither when the scope cannot be created (ErrScopeExists); uriAdded reports whether it added uri.
func ExposeScope(uri string, scope PermissionScope, uriAdded *bool) Op {
	name := fmt.Sprintf("creating permission scope %q", scope.Value)
	if uri != "" {
		name = fmt.Sprintf("adding identifier URI %s and permission scope %q", uri, scope.Value)
	}
	return Op{name, func(st *State) (bool, error) {
		*uriAdded = uri != "" && EnsureIdentifierURI(st, uri)
		return true, CreateScope(st, scope)
	}}
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
