package model

import (
	"slices"
	"strings"
	"testing"
)

// Intent.Holds compares identifiers case-insensitively and a present scope's other fields exactly.
func TestIntentHolds(t *testing.T) {
	scopeAsRead := fixture().scopes[0].PermissionScope
	upperID := scopeAsRead
	upperID.ID = strings.ToUpper(scopeA)
	disabled := scopeAsRead
	disabled.Enabled = false
	otherText := scopeAsRead
	otherText.AdminConsentDescription = "changed"
	for _, c := range []struct {
		name string
		i    Intent
		want bool
	}{
		{"uri present, other case", Intent{Kind: IntentURI, Present: true, URI: "API://APP"}, true},
		{"uri present, missing", Intent{Kind: IntentURI, Present: true, URI: "api://none"}, false},
		{"uri absent, there", Intent{Kind: IntentURI, URI: "api://app"}, false},
		{"uri absent, missing", Intent{Kind: IntentURI, URI: "api://none"}, true},
		{"scope as read", Intent{Kind: IntentScope, Present: true, Scope: scopeAsRead}, true},
		{"scope as read, ID in other case", Intent{Kind: IntentScope, Present: true, Scope: upperID}, true},
		{"scope enabled differs", Intent{Kind: IntentScope, Present: true, Scope: disabled}, false},
		{"scope text differs", Intent{Kind: IntentScope, Present: true, Scope: otherText}, false},
		{"scope present, missing", Intent{Kind: IntentScope, Present: true, Scope: PermissionScope{ID: "none"}}, false},
		{"scope absent, there (only the ID counts)", Intent{Kind: IntentScope, Scope: PermissionScope{ID: upperID.ID}}, false},
		{"scope absent, missing", Intent{Kind: IntentScope, Scope: PermissionScope{ID: "none"}}, true},
		{"grant present, other case", Intent{Kind: IntentGrant, Present: true, Client: strings.ToUpper(client1), Perm: strings.ToUpper(scopeB)}, true},
		{"grant present, client lacks it", Intent{Kind: IntentGrant, Present: true, Client: client2, Perm: scopeA}, false},
		{"grant absent, there", Intent{Kind: IntentGrant, Client: client2, Perm: scopeB}, false},
		{"grant absent, empty entry", Intent{Kind: IntentGrant, Client: client3, Perm: scopeA}, true},
	} {
		if got := c.i.Holds(fixture()); got != c.want {
			t.Errorf("%s: Holds = %v, want %v (%s)", c.name, got, c.want, c.i)
		}
	}
}

// IntentsOf lists, kind by kind, what after adds or changes and then what it removes; of intents
// with the same key the last is kept, where the first was.
func TestIntentsOf(t *testing.T) {
	before, after := fixture(), fixture()
	after.uris = []string{"api://new", "API://NEW", "https://example.com/other"}
	after.scopes[1].Enabled = false
	after.scopes = after.scopes[1:]
	after.preAuth = append(after.preAuth[1:], preAuthEntry{PreAuthorizedApplication: PreAuthorizedApplication{AppID: client3, DelegatedPermissionIDs: []string{scopeB}}})
	changedB := fixture().scopes[1].PermissionScope
	changedB.Enabled = false
	want := []Intent{
		{Kind: IntentURI, Present: true, URI: "API://NEW"},
		{Kind: IntentURI, URI: "api://app"},
		{Kind: IntentScope, Present: true, Scope: changedB},
		{Kind: IntentScope, Scope: PermissionScope{ID: scopeA}},
		{Kind: IntentGrant, Present: true, Client: client3, Perm: scopeB},
		{Kind: IntentGrant, Client: client1, Perm: scopeA},
		{Kind: IntentGrant, Client: client1, Perm: scopeB},
	}
	if got := IntentsOf(before, after); !slices.Equal(got, want) {
		t.Errorf("IntentsOf =\n%v\nwant\n%v", got, want)
	}
	if got := IntentsOf(before, fixture()); len(got) != 0 {
		t.Errorf("IntentsOf of equal states = %v", got)
	}
}

// Intent.String's wording, one row per kind and presence (OverwrittenError lists the intents with it).
func TestIntentString(t *testing.T) {
	scope := PermissionScope{ID: scopeA, Value: "access_as_client", Enabled: true}
	for i, want := range map[Intent]string{
		{Kind: IntentURI, Present: true, URI: "api://a"}:               "identifier URI api://a present",
		{Kind: IntentURI, URI: "api://a"}:                              "identifier URI api://a absent",
		{Kind: IntentScope, Present: true, Scope: scope}:               `permission scope ` + scopeA + ` ("access_as_client", enabled true) as written`,
		{Kind: IntentScope, Scope: scope}:                              "permission scope " + scopeA + " absent",
		{Kind: IntentGrant, Present: true, Client: client1, Perm: "p"}: "client " + client1 + " pre-authorized for permission p",
		{Kind: IntentGrant, Client: client1, Perm: "p"}:                "client " + client1 + " not pre-authorized for permission p",
	} {
		if got := i.String(); got != want {
			t.Errorf("String = %q, want %q", got, want)
		}
	}
}
