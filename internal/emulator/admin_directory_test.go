package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
)

// The admin API sets the tenant's app management policy, Graph then enforces it, and the state it shows
// redacts the secrets of deleted applications as it does those of live ones.
func TestAdminPolicyAndDeletedItemsInState(t *testing.T) {
	ts := emulator.NewTestServer(t)
	admin := ts.URL + "/_emulator"
	r := call(t, ts.Client, http.MethodPatch, admin+"/policies/defaultAppManagementPolicy", "", "application/json",
		strings.NewReader(`{"isEnabled":true,"applicationRestrictions":{"identifierUris":{"nonDefaultUriAddition":{"state":"enabled"}}}}`))
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"nonDefaultUriAddition"`) {
		t.Fatalf("admin PATCH policy = %d %s", r.Status, r.Body)
	}
	if r := call(t, ts.Client, http.MethodPatch, admin+"/policies/defaultAppManagementPolicy", "", "application/json", strings.NewReader(`{"isEnabled":"yes"}`)); r.Status != http.StatusBadRequest {
		t.Fatalf("invalid policy = %d %s", r.Status, r.Body)
	}
	agent, err := ts.Admin().Application(emulator.DefaultAgentAppID)
	if err != nil {
		t.Fatal(err)
	}
	token := ts.GraphToken(ts.DeployerClientID)
	appURL := ts.GraphBaseURL + "/v1.0/applications/" + agent.Application.ID
	r = call(t, ts.Client, http.MethodPatch, appURL, token, "application/json", strings.NewReader(`{"identifierUris":["api://custom"]}`))
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "must comply with the format 'api://{appId}'") {
		t.Fatalf("PATCH under nonDefaultUriAddition = %d %s", r.Status, r.Body)
	}
	if r := call(t, ts.Client, http.MethodDelete, appURL, token, "", nil); r.Status != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", r.Status, r.Body)
	}
	r = call(t, ts.Client, http.MethodGet, admin+"/state", "", "", nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"deletedItems"`) || strings.Contains(string(r.Body), emulator.DefaultAgentSecret) {
		t.Fatalf("state = %d; deleted item present %v, agent secret redacted %v", r.Status,
			strings.Contains(string(r.Body), `"deletedItems"`), !strings.Contains(string(r.Body), emulator.DefaultAgentSecret))
	}
}
