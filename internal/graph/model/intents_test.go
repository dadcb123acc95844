package model

import (
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
