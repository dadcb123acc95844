package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// authzWorld is an agent with an access_as_client scope and a decoy scope, client 0 pre-authorized for
// access_as_client, client 1 not listed, client 2 listed only for the decoy; and a second agent that
// exposes no access_as_client scope at all.
type authzWorld struct {
	*accEnv
	scopeID     string
	scopeless   string
	missingApp  string
	graphBefore int64
}

func newAuthzWorld(t *testing.T) *authzWorld {
	t.Helper()
	env := newAccEnv(t, 3)
	env.requireEmulator(t)
	w := &authzWorld{accEnv: env, scopeID: directory.NewGUID(), missingApp: directory.NewGUID()}
	decoyID := directory.NewGUID()
	admin := env.emu.ts.Admin()
	body, err := json.Marshal(map[string]any{"api": map[string]any{
		"oauth2PermissionScopes": []map[string]any{
			{"id": w.scopeID, "value": "access_as_client", "type": "User", "isEnabled": true,
				"adminConsentDisplayName": "Access as client application", "adminConsentDescription": "Access."},
			{"id": decoyID, "value": "user_impersonation", "type": "User", "isEnabled": true,
				"adminConsentDisplayName": "Impersonate", "adminConsentDescription": "Impersonate."},
		},
		"preAuthorizedApplications": []map[string]any{
			{"appId": strings.ToUpper(env.clients[0]), "delegatedPermissionIds": []string{strings.ToUpper(w.scopeID)}},
			{"appId": env.clients[2], "delegatedPermissionIds": []string{decoyID}},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PatchApplication(env.agent, body); err != nil {
		t.Fatal(err)
	}
	rec, err := admin.CreateApplication(emulator.SeedApplication{
		DisplayName: "agent without the scope", Owners: []string{env.emu.ts.DeployerClientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.scopeless = strings.ToLower(rec.Application.AppID)
	return w
}

// authorizationConfig is one lkps_client_authorization per case.
func (w *authzWorld) authorizationConfig() string {
	ds := func(name, agent, client, extra string) string {
		return fmt.Sprintf(`
data "lkps_client_authorization" %q {
  agent_client_id = %q
  client_id       = %q
%s
}`, name, agent, client, extra)
	}
	return w.config(
		ds("authorized", w.agent, w.clients[0], "") +
			ds("authorized_any_case", strings.ToUpper(w.agent), mixedCase(w.clients[0]), "") +
			ds("not_listed", w.agent, w.clients[1], "") +
			ds("not_granted", w.agent, w.clients[2], "  enforce_client_authz = true") +
			ds("no_scope", w.scopeless, w.clients[0], "") +
			ds("no_agent", w.missingApp, w.clients[0], ""))
}

func authzCheck(name, attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("data.lkps_client_authorization."+name, tfjsonpath.New(attr), v)
}

// Each verdict of the decision, with its failed check, reason and scope ID.
func TestAccClientAuthorizationDataSource_verdicts(t *testing.T) {
	w := newAuthzWorld(t)
	reason := func(s string) knownvalue.Check { return knownvalue.StringRegexp(regexp.MustCompile(s)) }
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: w.authorizationConfig(),
			ConfigStateChecks: []statecheck.StateCheck{
				authzCheck("authorized", "id", knownvalue.StringExact(w.agent+"/"+w.clients[0])),
				authzCheck("authorized", "authorized", knownvalue.Bool(true)),
				authzCheck("authorized", "failed_check", knownvalue.StringExact("")),
				authzCheck("authorized", "enforce_client_authz", knownvalue.Bool(true)),
				authzCheck("authorized", "scope_id", knownvalue.StringExact(w.scopeID)),
				authzCheck("authorized", "reason", reason(`is pre-authorized for the agent's access_as_client scope`)),

				// GUIDs in any case: the same verdict, the user's spelling kept, the ID in lower case.
				authzCheck("authorized_any_case", "authorized", knownvalue.Bool(true)),
				authzCheck("authorized_any_case", "id", knownvalue.StringExact(w.agent+"/"+w.clients[0])),
				authzCheck("authorized_any_case", "agent_client_id", knownvalue.StringExact(strings.ToUpper(w.agent))),
				authzCheck("authorized_any_case", "client_id", knownvalue.StringExact(mixedCase(w.clients[0]))),

				authzCheck("not_listed", "authorized", knownvalue.Bool(false)),
				authzCheck("not_listed", "failed_check", knownvalue.StringExact(lkps.CheckClientNotPreauthorized)),
				authzCheck("not_listed", "reason", reason(`not listed in the agent's preAuthorizedApplications`)),
				authzCheck("not_listed", "scope_id", knownvalue.StringExact(w.scopeID)),

				authzCheck("not_granted", "authorized", knownvalue.Bool(false)),
				authzCheck("not_granted", "failed_check", knownvalue.StringExact(lkps.CheckScopeNotGranted)),
				authzCheck("not_granted", "reason", reason(`does not include the access_as_client scope ID`)),

				authzCheck("no_scope", "authorized", knownvalue.Bool(false)),
				authzCheck("no_scope", "failed_check", knownvalue.StringExact(lkps.CheckScopeMissing)),
				authzCheck("no_scope", "scope_id", knownvalue.Null()),

				authzCheck("no_agent", "authorized", knownvalue.Bool(false)),
				authzCheck("no_agent", "failed_check", knownvalue.StringExact(lkps.CheckScopeMissing)),
				authzCheck("no_agent", "reason", reason(`not found in Entra ID`)),
			},
		}},
	})
}

// With enforcement off LKPS skips the checks; so does the data source, without any Graph request.
func TestAccClientAuthorizationDataSource_enforcementOffReadsNothing(t *testing.T) {
	w := newAuthzWorld(t)
	graphRequests := func() int64 {
		var n int64
		for route, c := range w.emu.ts.Admin().Counters() {
			if strings.HasPrefix(route, "graph ") {
				n += c
			}
		}
		return n
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				PreConfig: func() { w.graphBefore = graphRequests() },
				Config: w.config(fmt.Sprintf(`
data "lkps_client_authorization" "off" {
  agent_client_id      = %q
  client_id            = %q
  enforce_client_authz = false
}`, w.scopeless, w.clients[1])),
				ConfigStateChecks: []statecheck.StateCheck{
					authzCheck("off", "authorized", knownvalue.Bool(true)),
					authzCheck("off", "failed_check", knownvalue.StringExact("")),
					authzCheck("off", "scope_id", knownvalue.Null()),
					authzCheck("off", "reason", knownvalue.StringRegexp(regexp.MustCompile(`enforce_client_authz is false`))),
				},
				Check: func(*terraformState) error {
					if n := graphRequests() - w.graphBefore; n != 0 {
						return fmt.Errorf("the data source made %d Microsoft Graph requests with enforcement off, want 0", n)
					}
					return nil
				},
			},
			{
				// The same data source with enforcement on does read the agent: the counter works.
				PreConfig: func() { w.graphBefore = w.emu.ts.Admin().Counter(graphapi.RouteGetApplication) },
				Config: w.config(fmt.Sprintf(`
data "lkps_client_authorization" "off" {
  agent_client_id = %q
  client_id       = %q
}`, w.scopeless, w.clients[1])),
				ConfigStateChecks: []statecheck.StateCheck{authzCheck("off", "failed_check", knownvalue.StringExact(lkps.CheckScopeMissing))},
				Check: func(*terraformState) error {
					if w.emu.ts.Admin().Counter(graphapi.RouteGetApplication) == w.graphBefore {
						return fmt.Errorf("the data source made no Graph request with enforcement on")
					}
					return nil
				},
			},
		},
	})
}

// expectCheckBlock asserts the status of a check block, as Terraform recorded it in the state.
type expectCheckBlock struct {
	name   string
	status tfjson.CheckStatus
}

func (c expectCheckBlock) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	if req.State == nil {
		resp.Error = fmt.Errorf("no state")
		return
	}
	for _, r := range req.State.Checks {
		if r.Address.Kind == tfjson.CheckKindCheckBlock && r.Address.Name == c.name {
			if r.Status != c.status {
				var problems []string
				for _, in := range r.Instances {
					for _, p := range in.Problems {
						problems = append(problems, p.Message)
					}
				}
				resp.Error = fmt.Errorf("check %q is %q, want %q %v", c.name, r.Status, c.status, problems)
			}
			return
		}
	}
	resp.Error = fmt.Errorf("the state records no check block %q", c.name)
}

// The data source works inside check blocks: a pass for an authorized client, a failure (a warning,
// not an error) for a client LKPS would refuse.
func TestAccClientAuthorizationDataSource_checkBlock(t *testing.T) {
	w := newAuthzWorld(t)
	check := func(name, client string) string {
		return fmt.Sprintf(`
check %[1]q {
  data "lkps_client_authorization" %[1]q {
    agent_client_id = %[2]q
    client_id       = %[3]q
  }
  assert {
    condition     = data.lkps_client_authorization.%[1]s.authorized
    error_message = "LKPS would refuse ${data.lkps_client_authorization.%[1]s.client_id}: ${data.lkps_client_authorization.%[1]s.failed_check}"
  }
}`, name, w.agent, client)
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: w.config(check("frontend", w.clients[0]) + check("stranger", w.clients[1])),
			// Terraform plans every data source nested in a check block to be read again at apply, so the
			// plan after apply is never empty (terraform-plugin-testing's documented caveat).
			ExpectNonEmptyPlan: true,
			ConfigStateChecks: []statecheck.StateCheck{
				expectCheckBlock{name: "frontend", status: tfjson.CheckStatusPass},
				expectCheckBlock{name: "stranger", status: tfjson.CheckStatusFail},
			},
		}},
	})
}
