package graph

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// An intent is one fact this process wants Microsoft Graph to show about an application: "client X
// holds permission P", "scope S has these fields", "URI U is present" (or their absence). A write is
// confirmed when the reads show the intents of its batch, whatever else changed in the same
// collections: another writer's change beside ours is not an error. Intents are idempotent, so an
// intent that another writer overwrote can be applied again on a newer read (see worker.go).

// intentKind names what an intent is about.
type intentKind uint8

const (
	intentURI intentKind = iota + 1
	intentScope
	intentGrant
)

// intent is one fact about an application, present or absent.
type intent struct {
	kind    intentKind
	present bool
	// uri is the identifier URI (intentURI).
	uri string
	// scope is the scope as wanted (intentScope; for an absent scope only its ID counts).
	scope PermissionScope
	// client and perm name a pre-authorization (intentGrant).
	client, perm string
}

// key identifies the fact an intent is about, case-insensitively: two intents with the same key
// cannot both hold.
func (i intent) key() string {
	switch i.kind {
	case intentURI:
		return "uri\x00" + strings.ToLower(i.uri)
	case intentScope:
		return "scope\x00" + strings.ToLower(i.scope.ID)
	default:
		return "grant\x00" + strings.ToLower(i.client) + "\x00" + strings.ToLower(i.perm)
	}
}

// String describes the intent for error messages.
func (i intent) String() string {
	switch i.kind {
	case intentURI:
		if i.present {
			return fmt.Sprintf("identifier URI %s present", i.uri)
		}
		return fmt.Sprintf("identifier URI %s absent", i.uri)
	case intentScope:
		if i.present {
			return fmt.Sprintf("permission scope %s (%q, enabled %t) as written", i.scope.ID, i.scope.Value, i.scope.Enabled)
		}
		return fmt.Sprintf("permission scope %s absent", i.scope.ID)
	default:
		if i.present {
			return fmt.Sprintf("client %s pre-authorized for permission %s", i.client, i.perm)
		}
		return fmt.Sprintf("client %s not pre-authorized for permission %s", i.client, i.perm)
	}
}

// holds reports whether st shows the intent.
func (i intent) holds(st *appState) bool {
	switch i.kind {
	case intentURI:
		has := slices.ContainsFunc(st.uris, func(u string) bool { return strings.EqualFold(u, i.uri) })
		return has == i.present
	case intentScope:
		j := st.findScope(i.scope.ID)
		if !i.present {
			return j < 0
		}
		return j >= 0 && sameScope(st.scopes[j].PermissionScope, i.scope)
	default:
		return hasGrant(st, i.client, i.perm) == i.present
	}
}

// errIntentDeferred means an intent cannot be applied in this PATCH (its scope is created by it).
var errIntentDeferred = errors.New("deferred to the next write")

// apply moves st one step towards the intent, keeping everything else as read. Scope changes take
// Graph's steps (disable before a type change or a removal, clear references before a removal), so
// one apply may not make the intent hold yet. A grant whose scope is missing fails with
// *ScopeNotFoundError; one whose scope is created by this same state returns errIntentDeferred.
func (i intent) apply(st *appState) error {
	switch i.kind {
	case intentURI:
		if i.present {
			ensureIdentifierURI(st, i.uri)
		} else {
			removeIdentifierURI(st, i.uri)
		}
	case intentScope:
		if !i.present {
			var cleared []string
			deleteScopeStep(st, i.scope.ID, &cleared)
			return nil
		}
		if st.findScope(i.scope.ID) < 0 {
			return createScope(st, i.scope)
		}
		_, err := updateScopeStep(st, i.scope)
		return err
	default:
		if !i.present {
			removePreAuthorization(st, i.client, i.perm)
			return nil
		}
		deferred, err := addPreAuthorization(st, i.client, i.perm)
		var exists *PreAuthorizationExistsError
		switch {
		case errors.As(err, &exists):
			return nil
		case err != nil:
			return err
		case deferred:
			return errIntentDeferred
		}
	}
	return nil
}

// sameScope compares two scopes, the ID case-insensitively.
func sameScope(a, b PermissionScope) bool {
	if !strings.EqualFold(a.ID, b.ID) {
		return false
	}
	a.ID = b.ID
	return a == b
}

// hasGrant reports whether some entry of the client holds the permission.
func hasGrant(st *appState, client, perm string) bool {
	for _, p := range st.preAuth {
		if strings.EqualFold(p.AppID, client) &&
			slices.ContainsFunc(p.DelegatedPermissionIDs, func(x string) bool { return strings.EqualFold(x, perm) }) {
			return true
		}
	}
	return false
}

// intentsOf returns the intents that turn before into after: every URI, scope and grant that after
// adds, changes or removes. Entries and order are not intents; only the facts are.
func intentsOf(before, after *appState) []intent {
	var out []intent
	for _, u := range after.uris {
		if !slices.ContainsFunc(before.uris, func(b string) bool { return strings.EqualFold(b, u) }) {
			out = append(out, intent{kind: intentURI, present: true, uri: u})
		}
	}
	for _, u := range before.uris {
		if !slices.ContainsFunc(after.uris, func(a string) bool { return strings.EqualFold(a, u) }) {
			out = append(out, intent{kind: intentURI, uri: u})
		}
	}
	for _, s := range after.scopes {
		j := before.findScope(s.ID)
		if j < 0 || !sameScope(before.scopes[j].PermissionScope, s.PermissionScope) {
			out = append(out, intent{kind: intentScope, present: true, scope: s.PermissionScope})
		}
	}
	for _, s := range before.scopes {
		if after.findScope(s.ID) < 0 {
			out = append(out, intent{kind: intentScope, scope: PermissionScope{ID: s.ID}})
		}
	}
	for _, g := range grants(after) {
		if !hasGrant(before, g[0], g[1]) {
			out = append(out, intent{kind: intentGrant, present: true, client: g[0], perm: g[1]})
		}
	}
	for _, g := range grants(before) {
		if !hasGrant(after, g[0], g[1]) {
			out = append(out, intent{kind: intentGrant, client: g[0], perm: g[1]})
		}
	}
	return dedupe(out)
}

// grants lists the (client, permission) pairs of st.
func grants(st *appState) [][2]string {
	var out [][2]string
	for _, p := range st.preAuth {
		for _, id := range p.DelegatedPermissionIDs {
			out = append(out, [2]string{p.AppID, id})
		}
	}
	return out
}

// dedupe keeps the last intent of every key, in first-seen order.
func dedupe(in []intent) []intent {
	idx := make(map[string]int, len(in))
	var out []intent
	for _, i := range in {
		if j, ok := idx[i.key()]; ok {
			out[j] = i
			continue
		}
		idx[i.key()] = len(out)
		out = append(out, i)
	}
	return out
}

// missing returns the intents st does not show.
func missing(intents []intent, st *appState) []intent {
	var out []intent
	for _, i := range intents {
		if !i.holds(st) {
			out = append(out, i)
		}
	}
	return out
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
