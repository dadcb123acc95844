package provider

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// mixedCase spells a GUID with alternating upper- and lower-case letters, as no tool would.
func mixedCase(s string) string {
	b := []byte(strings.ToLower(s))
	up := true
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			if up {
				b[i] = c - 'a' + 'A'
			}
			up = !up
		}
	}
	return string(b)
}

func TestGUIDSemanticEquality(t *testing.T) {
	ctx := context.Background()
	const lowerAgent = "0a0b0c0d-0000-4000-8000-00000000000e"
	tests := []struct {
		a, b string
		want bool
	}{
		{"0a0b0c0d-0000-4000-8000-00000000000e", "0A0B0C0D-0000-4000-8000-00000000000E", true},
		{"0a0b0c0d-0000-4000-8000-00000000000e", "0a0B0c0D-0000-4000-8000-00000000000e", true},
		{"0a0b0c0d-0000-4000-8000-00000000000e", "0a0b0c0d-0000-4000-8000-00000000000f", false},
	}
	for _, tt := range tests {
		got, diags := guidOf(tt.a).StringSemanticEquals(ctx, guidOf(tt.b))
		if diags.HasError() || got != tt.want {
			t.Errorf("%s ~ %s = %v (%v), want %v", tt.a, tt.b, got, diags, tt.want)
		}
	}
	if _, diags := guidOf("x").StringSemanticEquals(ctx, types.StringValue("x")); !diags.HasError() {
		t.Error("comparing with a plain string must be reported as a provider bug")
	}
	if stableScopeID(strings.ToUpper(lowerAgent)) != stableScopeID(lowerAgent) || stableScopeID(mixedCase(lowerAgent)) != stableScopeID(lowerAgent) {
		t.Error("the derived scope ID depends on the case of the agent's client ID")
	}
	if got := keepSpelling(guidOf("ABCDEF00-0000-4000-8000-000000000000"), "abcdef00-0000-4000-8000-000000000000"); got.ValueString() != "ABCDEF00-0000-4000-8000-000000000000" {
		t.Errorf("keepSpelling lost the user's spelling: %s", got)
	}
	if got := keepSpelling(guidOf("ABCDEF00-0000-4000-8000-000000000000"), "11111111-0000-4000-8000-000000000000"); got.ValueString() != "11111111-0000-4000-8000-000000000000" {
		t.Errorf("keepSpelling kept a different GUID: %s", got)
	}
}

func TestGUIDRequiresReplace(t *testing.T) {
	ctx := context.Background()
	obj := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"id": tftypes.String}}
	raw := func(v string) tftypes.Value {
		return tftypes.NewValue(obj, map[string]tftypes.Value{"id": tftypes.NewValue(tftypes.String, v)})
	}
	str := func(v string) types.String {
		if v == "" {
			return types.StringNull()
		}
		return types.StringValue(v)
	}
	const lower, other = "0a0b0c0d-0000-4000-8000-00000000000e", "11111111-0000-4000-8000-000000000000"
	tests := []struct {
		name                 string
		config, state, plan  string
		ifConfigured, unsure bool
		want                 bool
		wantPlan             string // the planned value after the modifier, when not the plan's
	}{
		{name: "case only", config: strings.ToUpper(lower), state: lower, plan: strings.ToUpper(lower), want: false, wantPlan: lower},
		{name: "mixed case only", config: mixedCase(lower), state: strings.ToUpper(lower), plan: mixedCase(lower), want: false, wantPlan: strings.ToUpper(lower)},
		{name: "other GUID", config: other, state: lower, plan: other, want: true},
		{name: "not configured", config: "", state: lower, plan: other, ifConfigured: true, want: false},
		{name: "unknown", config: other, state: lower, unsure: true, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := str(tt.plan)
			if tt.unsure {
				plan = types.StringUnknown()
			}
			req := planmodifier.StringRequest{
				Path:        path.Root("id"),
				ConfigValue: str(tt.config),
				StateValue:  str(tt.state),
				PlanValue:   plan,
				State:       tfsdk.State{Raw: raw(tt.state)},
				Plan:        tfsdk.Plan{Raw: raw(tt.plan)},
			}
			resp := &planmodifier.StringResponse{PlanValue: req.PlanValue}
			guidRequiresReplace(tt.ifConfigured).PlanModifyString(ctx, req, resp)
			if resp.RequiresReplace != tt.want {
				t.Errorf("RequiresReplace = %v, want %v", resp.RequiresReplace, tt.want)
			}
			if tt.wantPlan != "" && resp.PlanValue.ValueString() != tt.wantPlan {
				t.Errorf("planned value = %s, want the state's spelling %s (a change of case alone plans nothing)", resp.PlanValue, tt.wantPlan)
			}
		})
	}
}

// importVerifyFold is an ImportStateCheck: the imported instance agrees with the applied one on every
// attribute listed, GUIDs compared ignoring case, and holds exactly the spellings in want.
func importVerifyFold(s *terraform.State, addr string, fold []string, want map[string]string) resource.ImportStateCheckFunc {
	return func(imported []*terraform.InstanceState) error {
		if len(imported) != 1 {
			return fmt.Errorf("imported %d instances, want 1", len(imported))
		}
		rs, ok := s.RootModule().Resources[addr]
		if !ok {
			return fmt.Errorf("%s not in the state", addr)
		}
		got := imported[0].Attributes
		for _, k := range fold {
			if !strings.EqualFold(got[k], rs.Primary.Attributes[k]) {
				return fmt.Errorf("imported %s = %q, applied %q", k, got[k], rs.Primary.Attributes[k])
			}
		}
		for k, v := range want {
			if got[k] != v {
				return fmt.Errorf("imported %s = %q, want %q", k, got[k], v)
			}
		}
		return nil
	}
}

// Upper- and mixed-case GUIDs on lkps_agent_client_scope: created as spelled (Graph answers lower case),
// plan empty, imported by an upper-case ID, and a change of case alone plans nothing, in both directions.
func TestAccAgentClientScope_anyGUIDCase(t *testing.T) {
	env := newAccEnv(t, 0)
	upperAgent, upperObject := strings.ToUpper(env.agent), strings.ToUpper(env.agentObjectID)
	scopeID := stableScopeID(env.agent)
	var applied *terraform.State
	keep := func(s *terraform.State) error { applied = s; return nil }
	cfg := func(agentAttr, agent, scope string) string {
		return env.config(fmt.Sprintf(`
resource "lkps_agent_client_scope" "test" {
  %s = %q
  scope_id = %q
}`, agentAttr, agent, scope))
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				// The derived default scope ID is the same whatever the case of agent_client_id.
				Config: strings.Replace(scopeConfig(env, ""), fmt.Sprintf("%q", env.agent), fmt.Sprintf("%q", upperAgent), 1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("id"), knownvalue.StringExact(env.agent)),
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("scope_id"), knownvalue.StringExact(stableScopeID(env.agent))),
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri"), knownvalue.StringExact("api://"+env.agent)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("agent_client_id"), knownvalue.StringExact(upperAgent)),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("agent_object_id"), knownvalue.StringExact(env.agentObjectID)),
				},
				Check: resource.ComposeTestCheckFunc(keep, func(*terraformState) error {
					if _, ok := env.readApp(t, env.agent).Scope(scopeID); !ok {
						return fmt.Errorf("Graph holds no scope %s", scopeID)
					}
					return nil
				}),
				// terraform-plugin-testing then plans again and fails on any difference.
			},
			{
				ResourceName:  scopeAddr,
				ImportState:   true,
				ImportStateId: upperAgent,
				ImportStateCheck: func(is []*terraform.InstanceState) error {
					return importVerifyFold(applied, scopeAddr, []string{"id", "agent_client_id", "agent_object_id", "scope_id", "identifier_uri"},
						map[string]string{"agent_client_id": upperAgent, "id": env.agent})(is)
				},
			},
			{
				ResourceName:  scopeAddr,
				ImportState:   true,
				ImportStateId: mixedCase(env.agentObjectID),
				ImportStateCheck: func(is []*terraform.InstanceState) error {
					return importVerifyFold(applied, scopeAddr, []string{"id", "agent_client_id", "agent_object_id", "scope_id"},
						map[string]string{"agent_object_id": mixedCase(env.agentObjectID)})(is)
				},
			},
			{
				// A change of case alone plans nothing: no update, no replacement, and the state keeps its spelling.
				Config:           cfg("agent_client_id", mixedCase(env.agent), mixedCase(scopeID)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("agent_client_id"), knownvalue.StringExact(upperAgent)),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("scope_id"), knownvalue.StringExact(scopeID)),
				},
			},
			{
				// And back again: still nothing.
				Config:           cfg("agent_client_id", upperAgent, scopeID),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				// Switching to the object ID, in upper case, names the same application: nothing to do either.
				Config:           cfg("agent_object_id", upperObject, strings.ToUpper(scopeID)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("agent_object_id"), knownvalue.StringExact(env.agentObjectID)),
				},
			},
		},
	})
}

// Upper- and mixed-case GUIDs on lkps_preauthorized_client: every GUID attribute, create, plan empty,
// import, and a change of case alone plans nothing, in both directions.
func TestAccPreauthorizedClient_anyGUIDCase(t *testing.T) {
	env := newAccEnv(t, 1)
	const addr = "lkps_preauthorized_client.test"
	client := env.clients[0]
	var applied *terraform.State
	keep := func(s *terraform.State) error { applied = s; return nil }
	cfg := func(agentAttr, agent, clientID, scope string) string {
		return env.config(fmt.Sprintf(`
resource "lkps_agent_client_scope" "test" {
  agent_client_id = %q
}

resource "lkps_preauthorized_client" "test" {
  %s = %q
  client_id  = %q
  scope_id   = %q
  depends_on = [lkps_agent_client_scope.test]
}`, env.agent, agentAttr, agent, clientID, scope))
	}
	scopeID := stableScopeID(env.agent)
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{
				Config: cfg("agent_client_id", strings.ToUpper(env.agent), mixedCase(client), strings.ToUpper(scopeID)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(env.agent+"/"+client)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("agent_client_id"), knownvalue.StringExact(strings.ToUpper(env.agent))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("client_id"), knownvalue.StringExact(mixedCase(client))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("scope_id"), knownvalue.StringExact(strings.ToUpper(scopeID))),
				},
				Check: resource.ComposeTestCheckFunc(keep, func(*terraformState) error {
					e, ok := env.readApp(t, env.agent).PreAuthorization(client)
					if !ok || e.AppID != client || len(e.DelegatedPermissionIDs) != 1 || e.DelegatedPermissionIDs[0] != scopeID {
						return fmt.Errorf("Graph holds entry %+v (found %v), want %s with %s in lower case", e, ok, client, scopeID)
					}
					return nil
				}),
			},
			{
				ResourceName:  addr,
				ImportState:   true,
				ImportStateId: mixedCase(env.agent) + "/" + strings.ToUpper(client),
				ImportStateCheck: func(is []*terraform.InstanceState) error {
					return importVerifyFold(applied, addr, []string{"id", "agent_client_id", "agent_object_id", "client_id", "scope_id"},
						map[string]string{"agent_client_id": mixedCase(env.agent), "client_id": strings.ToUpper(client), "id": env.agent + "/" + client})(is)
				},
			},
			{
				Config:           cfg("agent_client_id", env.agent, strings.ToUpper(client), mixedCase(scopeID)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("agent_client_id"), knownvalue.StringExact(strings.ToUpper(env.agent))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("client_id"), knownvalue.StringExact(mixedCase(client))),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("scope_id"), knownvalue.StringExact(strings.ToUpper(scopeID))),
				},
				Check: func(*terraformState) error { return env.preauthorizedExactly(t, []string{client}, scopeID) },
			},
			{
				Config:           cfg("agent_client_id", strings.ToUpper(env.agent), mixedCase(client), strings.ToUpper(scopeID)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config:           cfg("agent_object_id", mixedCase(env.agentObjectID), strings.ToUpper(client), mixedCase(scopeID)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// lkps_agent_registration takes agent_client_id in any case, keeps it as spelled, and a change of case
// alone plans nothing (no replacement, no registration), in both directions.
func TestAccAgentRegistration_anyGUIDCase(t *testing.T) {
	r := newRegistrationEnv(t, true)
	spelled := func(agent string) string {
		return strings.Replace(r.registrationConfig(""), fmt.Sprintf("%q", r.agent), fmt.Sprintf("%q", agent), 1)
	}
	var before int64
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: spelled(strings.ToUpper(r.agent)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("agent_client_id"), knownvalue.StringExact(strings.ToUpper(r.agent))),
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("id"), knownvalue.StringExact(r.agent)),
				},
				Check: r.expectStoredFlag(t, true),
			},
			{
				PreConfig:        func() { before = r.registerCalls() },
				Config:           spelled(mixedCase(r.agent)),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("agent_client_id"), knownvalue.StringExact(strings.ToUpper(r.agent))),
				},
				Check: func(*terraformState) error {
					if n := r.registerCalls() - before; n != 0 {
						return fmt.Errorf("a change of case alone made %d register calls, want 0", n)
					}
					return nil
				},
			},
			{
				// And to lower case: nothing either.
				Config:           spelled(r.agent),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}

// Created with the object ID and a configured scope ID, both in upper case: kept as spelled, stored by
// Graph in lower case, and the plan after apply is empty.
func TestAccAgentClientScope_anyGUIDCaseCreate(t *testing.T) {
	env := newAccEnv(t, 0)
	scopeID := strings.ToUpper(stableScopeID(env.agent + "/configured"))
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: env.config(fmt.Sprintf(`
resource "lkps_agent_client_scope" "test" {
  agent_object_id = %q
  scope_id        = %q
}`, strings.ToUpper(env.agentObjectID), scopeID)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("agent_object_id"), knownvalue.StringExact(strings.ToUpper(env.agentObjectID))),
				statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("scope_id"), knownvalue.StringExact(scopeID)),
				statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("agent_client_id"), knownvalue.StringExact(env.agent)),
			},
			Check: func(*terraformState) error {
				s, ok := env.readApp(t, env.agent).ScopeByValue("access_as_client")
				if !ok || s.ID != strings.ToLower(scopeID) {
					return fmt.Errorf("Graph holds scope %+v (found %v), want ID %s", s, ok, strings.ToLower(scopeID))
				}
				return nil
			},
		}},
	})
}
