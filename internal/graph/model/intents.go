package model

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// IntentKind names what an intent is about.
type IntentKind uint8

// The kinds of intent: an identifier URI, a permission scope, a pre-authorization (grant).
const (
	IntentURI IntentKind = iota + 1
	IntentScope
	IntentGrant
)

// Intent is one fact this process wants Microsoft Graph to show about an application ("client X holds
// permission P", "scope S has these fields", "URI U is present", or their absence). A write is
// confirmed when the reads show its batch's intents, whatever else changed beside them. Intents are
// idempotent, so one another writer overwrote can be applied again on a newer read.
type Intent struct {
	Kind    IntentKind
	Present bool
	URI     string          // IntentURI
	Scope   PermissionScope // IntentScope, as wanted (for an absent scope only its ID counts)
	// Client and Perm name a pre-authorization (IntentGrant).
	Client, Perm string
}

// Key identifies the fact an intent is about, case-insensitively: two intents with the same key
// cannot both hold.
func (i Intent) Key() string {
	switch i.Kind {
	case IntentURI:
		return "uri\x00" + strings.ToLower(i.URI)
	case IntentScope:
		return "scope\x00" + strings.ToLower(i.Scope.ID)
	}
	return "grant\x00" + strings.ToLower(i.Client) + "\x00" + strings.ToLower(i.Perm)
}

// String describes the intent for error messages.
func (i Intent) String() string {
	switch {
	case i.Kind == IntentURI:
		return fmt.Sprintf("identifier URI %s %s", i.URI, map[bool]string{true: "present", false: "absent"}[i.Present])
	case i.Kind == IntentScope && i.Present:
		return fmt.Sprintf("permission scope %s (%q, enabled %t) as written", i.Scope.ID, i.Scope.Value, i.Scope.Enabled)
	case i.Kind == IntentScope:
		return fmt.Sprintf("permission scope %s absent", i.Scope.ID)
	}
	return fmt.Sprintf("client %s %spre-authorized for permission %s", i.Client, map[bool]string{false: "not "}[i.Present], i.Perm)
}

// Holds reports whether st shows the intent.
func (i Intent) Holds(st *State) bool {
	switch i.Kind {
	case IntentURI:
		return containsFold(st.uris, i.URI) == i.Present
	case IntentScope:
		s, ok := st.Scope(i.Scope.ID) // the ID compared case-insensitively, the rest exactly
		s.ID = i.Scope.ID
		return ok == i.Present && (!ok || s == i.Scope)
	}
	return (grantAt(st, i.Client, i.Perm) >= 0) == i.Present
}

// ErrDeferred means a step cannot be taken in this PATCH: it needs this round's change confirmed.
var ErrDeferred = errors.New("deferred to the next write")

// Apply moves st one step towards the intent, keeping everything else as read, in Graph's steps for
// a scope (so one apply may not make the intent hold yet). A grant whose scope is missing fails with
// ErrScopeNotFound; one whose scope this state creates returns ErrDeferred.
func (i Intent) Apply(st *State) error {
	switch {
	case i.Kind == IntentURI && i.Present:
		EnsureIdentifierURI(st, i.URI)
	case i.Kind == IntentURI:
		RemoveIdentifierURI(st, i.URI)
	case i.Kind == IntentScope && !i.Present:
		DeleteScopeStep(st, i.Scope.ID, new([]string))
	case i.Kind == IntentScope && st.findScope(i.Scope.ID) < 0:
		return CreateScope(st, i.Scope)
	case i.Kind == IntentScope:
		_, err := UpdateScopeStep(st, i.Scope)
		return err
	case !i.Present:
		RemovePreAuthorization(st, i.Client, i.Perm)
	default:
		if err := AddPreAuthorization(st, i.Client, i.Perm); !errors.Is(err, ErrPreAuthorizationExists) {
			return err
		}
	}
	return nil
}

// IntentsOf returns the intents that turn before into after, kind by kind: every URI, scope and grant
// that after adds or changes, then those it removes. Entries and order are not intents; only the
// facts are. Of intents with the same key, the last is kept in the place of the first.
func IntentsOf(before, after *State) []Intent {
	var out []Intent
	for _, i := range factsOf(after) {
		if !i.Holds(before) {
			out = append(out, i)
		}
	}
	for _, i := range factsOf(before) {
		gone := Intent{Kind: i.Kind, URI: i.URI, Scope: PermissionScope{ID: i.Scope.ID}, Client: i.Client, Perm: i.Perm}
		if gone.Holds(after) { // for an absent scope only its ID counts
			out = append(out, gone)
		}
	}
	slices.SortStableFunc(out, func(a, b Intent) int { return cmp.Compare(a.Kind, b.Kind) })
	idx := make(map[string]int, len(out))
	deduped := out[:0]
	for _, i := range out {
		if j, ok := idx[i.Key()]; ok {
			deduped[j] = i
			continue
		}
		idx[i.Key()] = len(deduped)
		deduped = append(deduped, i)
	}
	return deduped
}

// factsOf lists the facts st shows, as present intents, kind by kind.
func factsOf(st *State) []Intent {
	var out []Intent
	for _, u := range st.uris {
		out = append(out, Intent{Kind: IntentURI, Present: true, URI: u})
	}
	for _, s := range st.scopes {
		out = append(out, Intent{Kind: IntentScope, Present: true, Scope: s.PermissionScope})
	}
	for _, p := range st.preAuth {
		for _, id := range p.DelegatedPermissionIDs {
			out = append(out, Intent{Kind: IntentGrant, Present: true, Client: p.AppID, Perm: id})
		}
	}
	return out
}

// Missing returns the intents st does not show.
func Missing(intents []Intent, st *State) []Intent {
	return slices.DeleteFunc(slices.Clone(intents), func(i Intent) bool { return i.Holds(st) })
}
