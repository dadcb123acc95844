package agentid_test

import (
	"errors"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/agentid"
)

// The stable scope ID is a fixed function of the client ID: these values are what existing
// configurations and applications hold, so they must never change.
func TestStableScopeIDIsFixed(t *testing.T) {
	const agent = "426758d8-100a-4420-9ae2-5f17e44f7df4"
	got := agentid.StableScopeID(agent)
	if got != agentid.StableScopeID("426758D8-100A-4420-9AE2-5F17E44F7DF4") {
		t.Errorf("the scope ID depends on the case of the client ID")
	}
	if got != stableScopeIDOf426758d8 {
		t.Errorf("StableScopeID(%s) = %s, want %s (the namespace or the derivation changed)", agent, got, stableScopeIDOf426758d8)
	}
}

func TestScopeIDAndIdentifierURI(t *testing.T) {
	tests := []struct {
		in        string
		wantScope string
		wantURI   string
	}{
		{"426758d8-100a-4420-9ae2-5f17e44f7df4", stableScopeIDOf426758d8, "api://426758d8-100a-4420-9ae2-5f17e44f7df4"},
		{"426758D8-100A-4420-9AE2-5F17E44F7DF4", stableScopeIDOf426758d8, "api://426758d8-100a-4420-9ae2-5f17e44f7df4"},
	}
	for _, tt := range tests {
		scope, err := agentid.ScopeID(tt.in)
		if err != nil || scope != tt.wantScope {
			t.Errorf("ScopeID(%q) = %q, %v; want %q", tt.in, scope, err, tt.wantScope)
		}
		uri, err := agentid.IdentifierURI(tt.in)
		if err != nil || uri != tt.wantURI {
			t.Errorf("IdentifierURI(%q) = %q, %v; want %q", tt.in, uri, err, tt.wantURI)
		}
	}
	for _, bad := range []string{"", "my-agent", "426758d8100a44209ae25f17e44f7df4", "{426758d8-100a-4420-9ae2-5f17e44f7df4}",
		"urn:uuid:426758d8-100a-4420-9ae2-5f17e44f7df4", " 426758d8-100a-4420-9ae2-5f17e44f7df4", "426758d8-100a-4420-9ae2-5f17e44f7dfg"} {
		var ng *agentid.NotGUIDError
		if _, err := agentid.ScopeID(bad); !errors.As(err, &ng) || ng.Value != bad {
			t.Errorf("ScopeID(%q): err = %v, want a NotGUIDError", bad, err)
		}
		if _, err := agentid.IdentifierURI(bad); !errors.As(err, &ng) {
			t.Errorf("IdentifierURI(%q): err = %v, want a NotGUIDError", bad, err)
		}
	}
}

// stableScopeIDOf426758d8 is uuid5(6f1c2a4e-3b8d-5e7f-9a0b-1c2d3e4f5a6b, "426758d8-100a-4420-9ae2-5f17e44f7df4/access_as_client"),
// computed independently of this package (Python's uuid.uuid5).
const stableScopeIDOf426758d8 = "56973755-5feb-517e-abf8-4d2fbc0db23c"
