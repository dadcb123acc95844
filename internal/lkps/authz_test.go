package lkps_test

import (
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

const (
	scopeID      = "0f7a6c3e-2d4b-4c1a-9e8f-7b6a5d4c3b2a"
	otherScopeID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
	otherClient  = "9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a"
)

func TestEvaluate(t *testing.T) {
	clientScope := lkps.Scope{ID: scopeID, Value: "access_as_client", Enabled: true}
	cases := []struct {
		name        string
		in          lkps.DecisionInput
		authorized  bool
		failedCheck string
		scopeID     string
		reason      []string
	}{
		{
			name: "enforcement off authorizes without reading the application",
			in: lkps.DecisionInput{EnforceClientAuthz: false, ClientID: clientAppID, AgentExists: false,
				Scopes: []lkps.Scope{{ID: scopeID, Value: "something"}}},
			authorized: true, reason: []string{"enforce_client_authz is false", "any client application with Ocelot access"},
		},
		{
			name:        "agent application missing fails check 1",
			in:          lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: false},
			failedCheck: lkps.CheckScopeMissing, reason: []string{"not found in Entra ID", "403"},
		},
		{
			name: "agent application missing fails check 1 even with stale data",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: false,
				Scopes:        []lkps.Scope{clientScope},
				PreAuthorized: []lkps.PreAuthorized{{AppID: clientAppID, PermissionIDs: []string{scopeID}}}},
			failedCheck: lkps.CheckScopeMissing,
		},
		{
			name:        "no scopes",
			in:          lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true},
			failedCheck: lkps.CheckScopeMissing, reason: []string{`exactly "access_as_client"`, "Add a scope", "lkps_agent_client_scope"},
		},
		{
			name: "scope value compared exactly",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes:        []lkps.Scope{{ID: scopeID, Value: "Access_As_Client", Enabled: true}, {ID: otherScopeID, Value: "access_as_client "}},
				PreAuthorized: []lkps.PreAuthorized{{AppID: clientAppID, PermissionIDs: []string{scopeID, otherScopeID}}}},
			failedCheck: lkps.CheckScopeMissing,
		},
		{
			name: "disabled scope still counts as exposed",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes:        []lkps.Scope{{ID: scopeID, Value: "access_as_client", Enabled: false}},
				PreAuthorized: []lkps.PreAuthorized{{AppID: clientAppID, PermissionIDs: []string{scopeID}}}},
			authorized: true, scopeID: scopeID,
		},
		{
			name: "client not pre-authorized",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes:        []lkps.Scope{clientScope},
				PreAuthorized: []lkps.PreAuthorized{{AppID: otherClient, PermissionIDs: []string{scopeID}}}},
			failedCheck: lkps.CheckClientNotPreauthorized, scopeID: scopeID,
			reason: []string{clientAppID, "preAuthorizedApplications", "Authorized client applications", "lkps_preauthorized_client"},
		},
		{
			name: "two entries for the client: the one granting the scope counts",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes: []lkps.Scope{clientScope, {ID: otherScopeID, Value: "other"}},
				PreAuthorized: []lkps.PreAuthorized{
					{AppID: clientAppID, PermissionIDs: []string{otherScopeID}},
					{AppID: clientAppID, PermissionIDs: []string{scopeID}},
				}},
			authorized: true, scopeID: scopeID,
		},
		{
			name: "two entries for the client, neither granting the scope",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes: []lkps.Scope{clientScope, {ID: otherScopeID, Value: "other"}},
				PreAuthorized: []lkps.PreAuthorized{
					{AppID: clientAppID, PermissionIDs: []string{otherScopeID}},
					{AppID: clientAppID},
				}},
			failedCheck: lkps.CheckScopeNotGranted, scopeID: scopeID,
		},
		{
			name: "no pre-authorized entries",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes: []lkps.Scope{clientScope}},
			failedCheck: lkps.CheckClientNotPreauthorized, scopeID: scopeID,
		},
		{
			name: "scope not granted",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes:        []lkps.Scope{clientScope, {ID: otherScopeID, Value: "other"}},
				PreAuthorized: []lkps.PreAuthorized{{AppID: clientAppID, PermissionIDs: []string{otherScopeID}}}},
			failedCheck: lkps.CheckScopeNotGranted, scopeID: scopeID,
			reason: []string{clientAppID, "does not include", scopeID, "must check"},
		},
		{
			name: "scope not granted with empty permission list",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes:        []lkps.Scope{clientScope},
				PreAuthorized: []lkps.PreAuthorized{{AppID: clientAppID}}},
			failedCheck: lkps.CheckScopeNotGranted, scopeID: scopeID,
		},
		{
			name: "authorized",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes:        []lkps.Scope{clientScope},
				PreAuthorized: []lkps.PreAuthorized{{AppID: clientAppID, PermissionIDs: []string{scopeID}}}},
			authorized: true, scopeID: scopeID, reason: []string{clientAppID, "pre-authorized", scopeID},
		},
		{
			name: "client ID compared case-insensitively",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: strings.ToUpper(clientAppID), AgentExists: true,
				Scopes:        []lkps.Scope{clientScope},
				PreAuthorized: []lkps.PreAuthorized{{AppID: clientAppID, PermissionIDs: []string{scopeID}}}},
			authorized: true, scopeID: scopeID,
		},
		{
			name: "scope ID compared case-insensitively",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes:        []lkps.Scope{{ID: strings.ToUpper(scopeID), Value: "access_as_client", Enabled: true}},
				PreAuthorized: []lkps.PreAuthorized{{AppID: strings.ToUpper(clientAppID), PermissionIDs: []string{scopeID}}}},
			authorized: true, scopeID: strings.ToUpper(scopeID),
		},
		{
			name: "many scopes and entries",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes: []lkps.Scope{
					{ID: otherScopeID, Value: "user_impersonation", Enabled: true},
					clientScope,
				},
				PreAuthorized: []lkps.PreAuthorized{
					{AppID: otherClient, PermissionIDs: []string{scopeID}},
					{AppID: clientAppID, PermissionIDs: []string{otherScopeID, scopeID}},
				}},
			authorized: true, scopeID: scopeID,
		},
		{
			name: "another client's grant does not count",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
				Scopes: []lkps.Scope{clientScope},
				PreAuthorized: []lkps.PreAuthorized{
					{AppID: otherClient, PermissionIDs: []string{scopeID}},
					{AppID: clientAppID, PermissionIDs: []string{otherScopeID}},
				}},
			failedCheck: lkps.CheckScopeNotGranted, scopeID: scopeID,
		},
		{
			name: "empty client ID is not pre-authorized",
			in: lkps.DecisionInput{EnforceClientAuthz: true, ClientID: "", AgentExists: true,
				Scopes:        []lkps.Scope{clientScope},
				PreAuthorized: []lkps.PreAuthorized{{AppID: clientAppID, PermissionIDs: []string{scopeID}}}},
			failedCheck: lkps.CheckClientNotPreauthorized, scopeID: scopeID,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := lkps.Evaluate(tc.in)
			if d.Authorized != tc.authorized || d.FailedCheck != tc.failedCheck || d.ScopeID != tc.scopeID {
				t.Errorf("Evaluate = %+v, want authorized=%v failedCheck=%q scopeID=%q", d, tc.authorized, tc.failedCheck, tc.scopeID)
			}
			if d.Authorized != (d.FailedCheck == "") {
				t.Errorf("Authorized=%v with FailedCheck=%q", d.Authorized, d.FailedCheck)
			}
			if d.Reason == "" || !strings.HasSuffix(d.Reason, ".") {
				t.Errorf("reason %q is not a sentence", d.Reason)
			}
			for _, s := range tc.reason {
				if !strings.Contains(d.Reason, s) {
					t.Errorf("reason lacks %q: %s", s, d.Reason)
				}
			}
		})
	}
}

func TestEvaluate_doesNotModifyInput(t *testing.T) {
	in := lkps.DecisionInput{EnforceClientAuthz: true, ClientID: clientAppID, AgentExists: true,
		Scopes:        []lkps.Scope{{ID: scopeID, Value: "access_as_client"}},
		PreAuthorized: []lkps.PreAuthorized{{AppID: clientAppID, PermissionIDs: []string{scopeID}}}}
	first := lkps.Evaluate(in)
	second := lkps.Evaluate(in)
	if first != second {
		t.Errorf("Evaluate is not deterministic: %+v vs %+v", first, second)
	}
	if in.Scopes[0].ID != scopeID || in.PreAuthorized[0].PermissionIDs[0] != scopeID {
		t.Error("Evaluate modified its input")
	}
}

func TestCheckNames(t *testing.T) {
	// The names are part of the wire contract (LKPS "failed_check") and of the data source's output.
	if lkps.CheckScopeMissing != "scope_missing" || lkps.CheckClientNotPreauthorized != "client_not_preauthorized" ||
		lkps.CheckScopeNotGranted != "scope_not_granted" {
		t.Error("failed-check names changed")
	}
}

func TestEverySessionRefused(t *testing.T) {
	const scopeID = "aaaaaaaa-0000-0000-0000-000000000001"
	const clientA = "bbbbbbbb-0000-0000-0000-000000000001"
	scope := lkps.Scope{ID: scopeID, Value: "access_as_client", Enabled: true}
	tests := []struct {
		name string
		in   lkps.DecisionInput
		want string // substring; "" means some client gets through
	}{
		{"agent gone", lkps.DecisionInput{}, "not found in Entra ID"},
		{"no scope", lkps.DecisionInput{AgentExists: true, Scopes: []lkps.Scope{{ID: scopeID, Value: "other"}}}, "does not expose"},
		{"scope value differs in case", lkps.DecisionInput{AgentExists: true, Scopes: []lkps.Scope{{ID: scopeID, Value: "Access_As_Client"}}}, "does not expose"},
		{"no client", lkps.DecisionInput{AgentExists: true, Scopes: []lkps.Scope{scope}}, "no client application is pre-authorized"},
		{"client without the scope", lkps.DecisionInput{AgentExists: true, Scopes: []lkps.Scope{scope},
			PreAuthorized: []lkps.PreAuthorized{{AppID: clientA, PermissionIDs: []string{"cccccccc-0000-0000-0000-000000000001"}}}},
			"no client application is pre-authorized for the agent's access_as_client scope (" + scopeID + ")"},
		{"one client authorized", lkps.DecisionInput{AgentExists: true, Scopes: []lkps.Scope{scope},
			PreAuthorized: []lkps.PreAuthorized{{AppID: clientA, PermissionIDs: []string{strings.ToUpper(scopeID)}}}}, ""},
		{"disabled scope still counts", lkps.DecisionInput{AgentExists: true, Scopes: []lkps.Scope{{ID: scopeID, Value: "access_as_client"}},
			PreAuthorized: []lkps.PreAuthorized{{AppID: clientA, PermissionIDs: []string{scopeID}}}}, ""},
		{"flag and client of the input are ignored", lkps.DecisionInput{EnforceClientAuthz: false, ClientID: clientA, AgentExists: true,
			Scopes: []lkps.Scope{scope}}, "no client application is pre-authorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lkps.EverySessionRefused(tt.in)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("EverySessionRefused = %q, want %q", got, tt.want)
			}
		})
	}
}
