package model

import (
	"errors"
	"fmt"
	"strings"
)

// IntentKind names what an intent is about: an identifier URI, a permission scope, a
// pre-authorization (grant).
type IntentKind uint8

// The kinds of intent.
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
	case i.Kind == IntentURI && i.Present:
		return fmt.Sprintf("identifier URI %s present", i.URI)
	case i.Kind == IntentURI:
		return fmt.Sprintf("identifier URI %s absent", i.URI)
	case i.Kind == IntentScope && i.Present:
		return fmt.Sprintf("permission scope %s (%q, enabled %t) as written", i.Scope.ID, i.Scope.Value, i.Scope.Enabled)
	case i.Kind == IntentScope:
		return fmt.Sprintf("permission scope %s absent", i.Scope.ID)
	case i.Present:
		return fmt.Sprintf("client %s pre-authorized for permission %s", i.Client, i.Perm)
	}
	return fmt.Sprintf("client %s not pre-authorized for permission %s", i.Client, i.Perm)
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

// ErrDeferred means an intent cannot be applied in this PATCH (its scope is created by it).
var ErrDeferred = errors.New("deferred to the next write")

// Apply moves st one step towards the intent, keeping everything else as read. Scope changes take
// Graph's steps (disable before a type change or a removal, clear references before a removal), so
// one apply may not make the intent hold yet. A grant whose scope is missing fails with
// *ScopeNotFoundError; one whose scope is created by this same state returns ErrDeferred.
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

// IntentsOf returns the intents that turn before into after: every URI, scope and grant that after
// adds, changes or removes, kind by kind. Entries and order are not intents; only the facts are.
func IntentsOf(before, after *State) []Intent {
	var out []Intent
	for _, kind := range []IntentKind{IntentURI, IntentScope, IntentGrant} {
		for _, i := range factsOf(after, kind) {
			if !i.Holds(before) {
				out = append(out, i)
			}
		}
		for _, i := range factsOf(before, kind) {
			// Absent: for a scope only its ID counts.
			gone := Intent{Kind: kind, URI: i.URI, Scope: PermissionScope{ID: i.Scope.ID}, Client: i.Client, Perm: i.Perm}
			if gone.Holds(after) {
				out = append(out, gone)
			}
		}
	}
	return dedupe(out)
}

// factsOf lists the facts of the kind that st shows, as present intents.
func factsOf(st *State, kind IntentKind) []Intent {
	var out []Intent
	switch kind {
	case IntentURI:
		for _, u := range st.uris {
			out = append(out, Intent{Kind: kind, Present: true, URI: u})
		}
	case IntentScope:
		for _, s := range st.scopes {
			out = append(out, Intent{Kind: kind, Present: true, Scope: s.PermissionScope})
		}
	default:
		for _, p := range st.preAuth {
			for _, id := range p.DelegatedPermissionIDs {
				out = append(out, Intent{Kind: kind, Present: true, Client: p.AppID, Perm: id})
			}
		}
	}
	return out
}

// dedupe keeps the last intent of every key, in first-seen order.
func dedupe(in []Intent) []Intent {
	idx := make(map[string]int, len(in))
	var out []Intent
	for _, i := range in {
		if j, ok := idx[i.Key()]; ok {
			out[j] = i
			continue
		}
		idx[i.Key()] = len(out)
		out = append(out, i)
	}
	return out
}

// Missing returns the intents st does not show.
func Missing(intents []Intent, st *State) []Intent {
	var out []Intent
	for _, i := range intents {
		if !i.Holds(st) {
			out = append(out, i)
		}
	}
	return out
}
