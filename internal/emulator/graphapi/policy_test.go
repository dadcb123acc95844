package graphapi_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

func TestAppManagementPolicyDefaultAndPermissions(t *testing.T) {
	f := newFixture(t)
	r := f.do(http.MethodGet, "/v1.0/policies/defaultAppManagementPolicy", "policy-reader", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET = %d %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	restrictions, _ := m["applicationRestrictions"].(map[string]any)
	if m["isEnabled"] != false || m["id"] != "00000000-0000-0000-0000-000000000000" || restrictions == nil {
		t.Fatalf("default policy: %s", r.Body)
	}
	for _, who := range []string{"admin", "reader", "user-appadmin"} { // no policy permission
		expectError(t, f.do(http.MethodGet, "/v1.0/policies/defaultAppManagementPolicy", who, nil), http.StatusForbidden, graphapi.CodeAccessDenied, graphapi.MsgAccessDenied)
	}
	body := map[string]any{"isEnabled": true}
	expectError(t, f.do(http.MethodPatch, "/v1.0/policies/defaultAppManagementPolicy", "policy-reader", body), http.StatusForbidden, graphapi.CodeAccessDenied, graphapi.MsgAccessDenied)
	if r := f.do(http.MethodPatch, "/v1.0/policies/defaultAppManagementPolicy", "policy-admin", body); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	if m := f.do(http.MethodGet, "/v1.0/policies/defaultAppManagementPolicy", "policy-admin", nil).JSON(t); m["isEnabled"] != true {
		t.Fatalf("after PATCH: %v", m)
	}
	// Bad input: nothing is stored.
	for _, bad := range []any{
		map[string]any{"isEnabled": "yes"},
		map[string]any{"noSuchProperty": 1},
		map[string]any{"applicationRestrictions": map[string]any{"identifierUris": map[string]any{"nonDefaultUriAddition": map[string]any{"state": "on"}}}},
		map[string]any{"applicationRestrictions": map[string]any{"identifierUris": map[string]any{"nonDefaultUriAddition": map[string]any{"restrictForAppsCreatedAfterDateTime": "yesterday"}}}},
	} {
		r := f.do(http.MethodPatch, "/v1.0/policies/defaultAppManagementPolicy", "policy-admin", bad)
		if r.Status != http.StatusBadRequest {
			t.Fatalf("PATCH %v = %d %s", bad, r.Status, r.Body)
		}
	}
	r = f.do(http.MethodPatch, "/v1.0/policies/defaultAppManagementPolicy", "policy-admin", "{not json", "Content-Type", "application/json")
	if r.Status != http.StatusBadRequest {
		t.Fatalf("malformed PATCH = %d %s", r.Status, r.Body)
	}
	if got := f.dir.AppManagementPolicy(); got.ApplicationRestrictions.IdentifierURIs.NonDefaultURIAddition != nil || !got.IsEnabled {
		t.Fatalf("a refused PATCH changed the policy: %+v", got.ApplicationRestrictions.IdentifierURIs)
	}
}

func enableRestriction(t *testing.T, f *fixture, name string, extra map[string]any) {
	t.Helper()
	restriction := map[string]any{"state": "enabled"}
	for k, v := range extra {
		restriction[k] = v
	}
	r := f.do(http.MethodPatch, "/v1.0/policies/defaultAppManagementPolicy", "policy-admin", map[string]any{
		"isEnabled":               true,
		"applicationRestrictions": map[string]any{"identifierUris": map[string]any{name: restriction}},
	})
	if r.Status != http.StatusNoContent {
		t.Fatalf("enable %s: %d %s", name, r.Status, r.Body)
	}
}

func TestIdentifierURIPolicyUniqueTenantIdentifier(t *testing.T) {
	f := newFixture(t)
	appID := f.agent.Application.AppID
	enableRestriction(t, f, "uriAdditionWithoutUniqueTenantIdentifier", nil)
	for _, uri := range []string{
		"api://" + appID,
		"api://" + tenantID + "/lkps-agent",
		"api://my-agent/" + appID,
		"api://bayer.com/agent",
		"api://agents.bayer.com/agent",
		"https://bayer.com/agent",
	} {
		f.patchOK("admin", map[string]any{"identifierUris": []string{uri}})
	}
	for _, uri := range []string{"api://my-agent", "api://" + tenantID, "urn:x", "api://example.com/agent"} {
		r := f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"identifierUris": []string{uri}})
		expectError(t, r, http.StatusBadRequest, graphapi.CodeUniqueTenantIdentifierPolicy, fmt.Sprintf(graphapi.MsgUniqueTenantIdentifierPolicyF, uri))
	}
	// An https host off the verified domains keeps its own refusal.
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"identifierUris": []string{"https://example.com"}}),
		http.StatusBadRequest, graphapi.CodeHostNameNotVerified, "")
	// A URI the application already has is not re-validated: adding another keeps it.
	if err := f.dir.SetAppManagementPolicyJSON(`{"isEnabled":false}`); err != nil {
		t.Fatal(err)
	}
	f.patchOK("admin", map[string]any{"identifierUris": []string{"api://legacy"}})
	enableRestriction(t, f, "uriAdditionWithoutUniqueTenantIdentifier", nil)
	f.patchOK("admin", map[string]any{"identifierUris": []string{"api://legacy", "api://" + appID}})
	// An application that receives v2 tokens is exempt by default, and not when the policy says so.
	f.patchOK("admin", map[string]any{"api": map[string]any{"requestedAccessTokenVersion": 2}, "identifierUris": []string{"api://v2-app"}})
	enableRestriction(t, f, "uriAdditionWithoutUniqueTenantIdentifier", map[string]any{"excludeAppsReceivingV2Tokens": false})
	expectError(t, f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"identifierUris": []string{"api://v2-app", "api://v2-other"}}),
		http.StatusBadRequest, graphapi.CodeUniqueTenantIdentifierPolicy, fmt.Sprintf(graphapi.MsgUniqueTenantIdentifierPolicyF, "api://v2-other"))
	// Creating an application is refused the same way, and nothing is stored.
	before := len(f.dir.List(0))
	expectError(t, f.do(http.MethodPost, "/v1.0/applications", "admin", map[string]any{"displayName": "x", "identifierUris": []string{"api://plain"}}),
		http.StatusBadRequest, graphapi.CodeUniqueTenantIdentifierPolicy, fmt.Sprintf(graphapi.MsgUniqueTenantIdentifierPolicyF, "api://plain"))
	if after := len(f.dir.List(0)); after != before {
		t.Fatalf("a refused POST stored an application: %d -> %d", before, after)
	}
}

func TestIdentifierURIPolicyNonDefault(t *testing.T) {
	f := newFixture(t)
	appID := f.agent.Application.AppID
	enableRestriction(t, f, "nonDefaultUriAddition", nil)
	f.patchOK("admin", map[string]any{"identifierUris": []string{"api://" + appID, "api://" + tenantID + "/" + appID}})
	for _, uri := range []string{"api://" + tenantID + "/lkps-agent", "api://bayer.com/agent", "https://bayer.com/agent"} {
		r := f.do(http.MethodPatch, f.agentPath(), "admin", map[string]any{"identifierUris": []string{uri}})
		expectError(t, r, http.StatusBadRequest, graphapi.CodeNonDefaultURIPolicy, fmt.Sprintf(graphapi.MsgNonDefaultURIPolicyF, uri))
	}
	// The restriction's state and the policy's isEnabled both have to be on.
	if err := f.dir.SetAppManagementPolicyJSON(`{"isEnabled":false}`); err != nil {
		t.Fatal(err)
	}
	f.patchOK("admin", map[string]any{"identifierUris": []string{"api://anything"}})
}

func TestIdentifierURIPolicyCreatedAfter(t *testing.T) {
	f := newFixture(t)
	// The agent was created at the fixture's clock; a restriction for applications created later leaves
	// it alone and applies to a new one.
	after := f.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	enableRestriction(t, f, "uriAdditionWithoutUniqueTenantIdentifier", map[string]any{"restrictForAppsCreatedAfterDateTime": after})
	f.patchOK("admin", map[string]any{"identifierUris": []string{"api://old-app"}})
	f.clock.Advance(2 * time.Hour)
	expectError(t, f.do(http.MethodPost, "/v1.0/applications", "admin", map[string]any{"displayName": "new", "identifierUris": []string{"api://new-app"}}),
		http.StatusBadRequest, graphapi.CodeUniqueTenantIdentifierPolicy, "")
}
