package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

const scopeAddr = "lkps_agent_client_scope.test"

func scopeConfig(env *accEnv, extra string) string {
	return env.config(fmt.Sprintf(`
resource "lkps_agent_client_scope" "test" {
  agent_client_id = %q
%s
}`, env.agent, extra))
}

func TestAccAgentClientScope_basic(t *testing.T) {
	env := newAccEnv(t, 0)
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{
				Config: scopeConfig(env, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionCreate),
					// Known at plan time, so pre-authorizations can refer to it in the same plan.
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("scope_id"), knownvalue.StringExact(stableScopeID(env.agent))),
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri"), knownvalue.StringExact("api://"+env.agent)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("id"), knownvalue.StringExact(env.agent)),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("agent_object_id"), knownvalue.StringExact(env.agentObjectID)),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("value"), knownvalue.StringExact("access_as_client")),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("type"), knownvalue.StringExact("User")),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("admin_consent_display_name"), knownvalue.StringExact(environments.ClientScopeAdminConsentDisplayName)),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("admin_consent_description"), knownvalue.StringExact(environments.ClientScopeAdminConsentDescription)),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("user_consent_display_name"), knownvalue.Null()),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("enabled"), knownvalue.Bool(true)),
					// A live agent may have had the portal's default URI already; then this resource did not add it.
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri_added"), knownvalue.Bool(!env.hadDefaultURI)),
				},
				Check: func(*terraformState) error {
					app := env.readApp(t, env.agent)
					s, ok := app.ScopeByValue("access_as_client")
					if !ok || !s.Enabled || s.Type != "User" || !strings.EqualFold(s.ID, stableScopeID(env.agent)) {
						return fmt.Errorf("graph holds scope %+v (found %v)", s, ok)
					}
					if !containsFold(app.IdentifierURIs, "api://"+env.agent) {
						return fmt.Errorf("identifier URIs %v lack api://%s", app.IdentifierURIs, env.agent)
					}
					return nil
				},
			},
			{
				ResourceName:      scopeAddr,
				ImportState:       true,
				ImportStateId:     env.agent,
				ImportStateVerify: true,
				// An imported resource never claims to have added the URI, so it never removes it.
				ImportStateVerifyIgnore: []string{"identifier_uri_added", "timeouts"},
			},
		},
	})
}

func TestAccAgentClientScope_byObjectID(t *testing.T) {
	env := newAccEnv(t, 0)
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []resource.TestStep{{
			Config: env.config(fmt.Sprintf(`
resource "lkps_agent_client_scope" "test" {
  agent_object_id = %q
}`, env.agentObjectID)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("agent_client_id"), knownvalue.StringExact(env.agent)),
				statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("scope_id"), knownvalue.StringExact(stableScopeID(env.agent))),
				statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri"), knownvalue.StringExact("api://"+env.agent)),
			},
		}},
	})
}

// Texts and enabled change in place; the emulator must never see the scope disabled while texts change.
func TestAccAgentClientScope_update(t *testing.T) {
	env := newAccEnv(t, 0)
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{Config: scopeConfig(env, "")},
			{
				PreConfig: func() { env.startWatchingScope(t) },
				Config: scopeConfig(env, `
  admin_consent_display_name = "Access the demo agent"
  admin_consent_description  = "Lets a client start LiveKit sessions with the demo agent."
  user_consent_display_name  = "Talk to the demo agent"
  user_consent_description   = "Lets the app start sessions with the demo agent for you."`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("admin_consent_display_name"), knownvalue.StringExact("Access the demo agent")),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("user_consent_description"), knownvalue.StringExact("Lets the app start sessions with the demo agent for you.")),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("enabled"), knownvalue.Bool(true)),
				},
				Check: func(*terraformState) error { return env.scopeNeverDisabled(t) },
			},
			{
				// Changing who can consent needs Graph's disable-first dance; the end state is enabled.
				Config: scopeConfig(env, `  type = "Admin"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("type"), knownvalue.StringExact("Admin")),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("enabled"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("user_consent_display_name"), knownvalue.Null()),
				},
			},
			{
				Config: scopeConfig(env, `  enabled = false`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("enabled"), knownvalue.Bool(false)),
				},
			},
			{
				// A new identifier URI is added in place; the old one is removed if this resource added it.
				// (Identifier URIs are unique in a tenant: the agent's ID keeps parallel live runs apart.)
				Config: scopeConfig(env, fmt.Sprintf(`  identifier_uri = "api://%s/agent-%s"`, env.tenantID, env.agent)),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri"), knownvalue.StringExact("api://"+env.tenantID+"/agent-"+env.agent)),
				},
				Check: func(*terraformState) error {
					uris := env.readApp(t, env.agent).IdentifierURIs
					if containsFold(uris, "api://"+env.agent) != env.hadDefaultURI || !containsFold(uris, "api://"+env.tenantID+"/agent-"+env.agent) {
						return fmt.Errorf("identifier URIs after the change: %v (api://%s there before: %v)", uris, env.agent, env.hadDefaultURI)
					}
					return nil
				},
			},
		},
	})
}

// Creating the scope where one already exists fails and shows the import command.
func TestAccAgentClientScope_requiresImport(t *testing.T) {
	env := newAccEnv(t, 0)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			PreConfig: func() {
				env.outOfBand(t).createScope(t, env.agent, model.PermissionScope{
					ID: "0a0a0a0a-0000-4000-8000-000000000001", Value: "access_as_client", Type: "User",
					AdminConsentDisplayName: "made in the portal", AdminConsentDescription: "made in the portal", Enabled: true,
				})
			},
			Config:      scopeConfig(env, ""),
			ExpectError: regexp.MustCompile(`(?s)already exposes access_as_client.*terraform import lkps_agent_client_scope\.<name> ` + env.agent),
		}},
	})
}

// Out-of-band deletion of the scope, then of the whole application: each shows up as a planned repair.
func TestAccAgentClientScope_disappears(t *testing.T) {
	env := newAccEnv(t, 0)
	steps := []resource.TestStep{
		{Config: scopeConfig(env, "")},
		{
			PreConfig: func() { env.outOfBand(t).deleteScope(t, env.agent, stableScopeID(env.agent)) },
			Config:    scopeConfig(env, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionCreate),
			}},
			Check: func(*terraformState) error {
				if _, ok := env.readApp(t, env.agent).ScopeByValue("access_as_client"); !ok {
					return fmt.Errorf("the scope was not re-created")
				}
				return nil
			},
		},
	}
	if env.emu != nil { // only the emulator can delete the application
		steps = append(steps, resource.TestStep{
			PreConfig:          func() { env.emu.deleteApplication(t, env.agent) },
			RefreshState:       true,
			ExpectNonEmptyPlan: true,
			RefreshPlanChecks: resource.RefreshPlanChecks{PostRefresh: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionCreate),
			}},
		})
	}
	accTest(t, resource.TestCase{Steps: steps})
}

// A portal-style edit of the texts and an out-of-band removal of the identifier URI show as drift
// that the next apply repairs.
func TestAccAgentClientScope_drift(t *testing.T) {
	env := newAccEnv(t, 0)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: scopeConfig(env, "")},
			{
				PreConfig: func() {
					oob := env.outOfBand(t)
					s := oob.scope(t, env.agent, stableScopeID(env.agent))
					s.AdminConsentDescription = "edited in the portal"
					s.UserConsentDisplayName = "added in the portal"
					oob.updateScope(t, env.agent, s)
					oob.removeIdentifierURI(t, env.agent, "api://"+env.agent)
				},
				Config: scopeConfig(env, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("admin_consent_description"), knownvalue.StringExact(environments.ClientScopeAdminConsentDescription)),
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("user_consent_display_name"), knownvalue.Null()),
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri"), knownvalue.StringExact("api://"+env.agent)),
				}},
				Check: func(*terraformState) error {
					app := env.readApp(t, env.agent)
					s, _ := app.Scope(stableScopeID(env.agent))
					if s.AdminConsentDescription != environments.ClientScopeAdminConsentDescription || s.UserConsentDisplayName != "" {
						return fmt.Errorf("drift not repaired: %+v", s)
					}
					if !containsFold(app.IdentifierURIs, "api://"+env.agent) {
						return fmt.Errorf("identifier URI not restored: %v", app.IdentifierURIs)
					}
					return nil
				},
			},
		},
	})
}

// Entries the resource does not manage stay exactly as they were through create, update and destroy.
func TestAccAgentClientScope_leavesUnmanagedEntries(t *testing.T) {
	env := newAccEnv(t, 1)
	other := model.PermissionScope{
		ID: "0b0b0b0b-0000-4000-8000-000000000002", Value: "other_scope", Type: "Admin",
		AdminConsentDisplayName: "Other", AdminConsentDescription: "Another scope of the agent.", Enabled: true,
	}
	var before model.Application
	accTest(t, resource.TestCase{
		CheckDestroy: func(*terraformState) error {
			return env.unmanagedUnchanged(t, before, false)
		},
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					oob := env.outOfBand(t)
					oob.createScope(t, env.agent, other)
					oob.addPreAuthorization(t, env.agent, env.clients[0], other.ID)
					oob.ensureIdentifierURI(t, env.agent, "api://"+env.tenantID+"/unmanaged-"+env.agent)
					before = env.readApp(t, env.agent)
				},
				Config: scopeConfig(env, ""),
				Check:  func(*terraformState) error { return env.unmanagedUnchanged(t, before, true) },
			},
			{
				Config: scopeConfig(env, `  admin_consent_description = "changed"`),
				Check:  func(*terraformState) error { return env.unmanagedUnchanged(t, before, true) },
			},
		},
	})
}

func TestAccAgentClientScope_validation(t *testing.T) {
	env := newAccEnv(t, 0)
	cases := []struct {
		body string
		want string
	}{
		{`agent_client_id = "not-a-guid"`, `(?s)agent_client_id must be a GUID`},
		{`agent_client_id = "` + env.agent + `"` + "\n" + `agent_object_id = "` + env.agentObjectID + `"`, `(?s)Invalid Attribute Combination.*agent_client_id.*agent_object_id`},
		{``, `(?s)Exactly one of these attributes must be configured.*agent_client_id,agent_object_id`},
		{`agent_client_id = "` + env.agent + `"` + "\n" + `type = "Everyone"`, `(?s)Attribute type value must be one of`},
		{`agent_client_id = "` + env.agent + `"` + "\n" + `scope_id = "123"`, `(?s)scope_id must be a GUID`},
		{`agent_client_id = "` + env.agent + `"` + "\n" + `admin_consent_description = ""`, `(?s)Attribute admin_consent_description string length must be at least 1`},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      env.config(`resource "lkps_agent_client_scope" "test" {` + "\n" + c.body + "\n}"),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(c.want),
		})
	}
	accTest(t, resource.TestCase{Steps: steps})
}

// A scope renamed in the portal (value), or whose type was changed there, stays the resource's (found
// by its ID): the next plan shows an in-place repair and apply restores it, disabling the scope only
// while Graph requires. Import finds such a scope by the provider's stable ID, or by an explicit
// <agent>/<scope ID>; creating over it explains the import.
func TestAccAgentClientScope_renamedOutOfBand(t *testing.T) {
	env := newAccEnv(t, 0)
	scopeID := stableScopeID(env.agent)
	edit := func(change func(*model.PermissionScope)) func() {
		return func() {
			oob := env.outOfBand(t)
			s := oob.scope(t, env.agent, scopeID)
			change(&s)
			oob.updateScope(t, env.agent, s)
		}
	}
	restored := func(wantType string) resource.TestCheckFunc {
		return func(*terraformState) error {
			s, ok := env.readApp(t, env.agent).Scope(scopeID)
			if !ok || s.Value != "access_as_client" || s.Type != wantType || !s.Enabled {
				return fmt.Errorf("scope after the repair: %+v (found %v), want access_as_client, %s, enabled", s, ok, wantType)
			}
			return nil
		}
	}
	repairPlan := func(attr, want string) resource.ConfigPlanChecks {
		return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionUpdate),
			plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New(attr), knownvalue.StringExact(want)),
		}}
	}
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{Config: scopeConfig(env, "")},
			{
				// Renamed: the refresh keeps the resource and records the new value.
				PreConfig:          edit(func(s *model.PermissionScope) { s.Value = "access_as_client_renamed" }),
				RefreshState:       true,
				ExpectNonEmptyPlan: true,
				RefreshPlanChecks: resource.RefreshPlanChecks{PostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(scopeAddr, "value", "access_as_client_renamed"),
					resource.TestCheckResourceAttr(scopeAddr, "scope_id", scopeID),
				),
			},
			{
				Config:           scopeConfig(env, ""),
				ConfigPlanChecks: repairPlan("value", "access_as_client"),
				Check:            restored("User"),
			},
			{
				// The type changed in the portal ("Admins only"): repaired in place too.
				PreConfig:        edit(func(s *model.PermissionScope) { s.Type = "Admin" }),
				Config:           scopeConfig(env, ""),
				ConfigPlanChecks: repairPlan("type", "User"),
				Check:            restored("User"),
			},
			{
				// Renamed and out of the state: a create says to import; the import finds it by the stable ID.
				PreConfig: edit(func(s *model.PermissionScope) { s.Value = "renamed_again"; s.Type = "Admin" }),
				Config: env.config(`
removed {
  from = lkps_agent_client_scope.test
  lifecycle {
    destroy = false
  }
}`),
			},
			{
				Config:      scopeConfig(env, ""),
				ExpectError: regexp.MustCompile(`(?s)The scope ID is taken.*terraform import lkps_agent_client_scope\.<name>\s+` + env.agent + "/" + scopeID),
			},
			{
				ResourceName:       scopeAddr,
				ImportState:        true,
				ImportStateId:      strings.ToUpper(env.agent),
				ImportStatePersist: true,
				ImportStateCheck: func(is []*terraform.InstanceState) error {
					if len(is) != 1 || is[0].Attributes["value"] != "renamed_again" || is[0].Attributes["type"] != "Admin" ||
						is[0].Attributes["scope_id"] != scopeID {
						return fmt.Errorf("imported %+v", is)
					}
					return nil
				},
			},
			{
				Config: scopeConfig(env, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("value"), knownvalue.StringExact("access_as_client")),
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("type"), knownvalue.StringExact("User")),
				}},
				Check: restored("User"),
			},
			{
				// Import by <agent>/<scope ID> names the scope explicitly. The state keeps the upper-case spelling of
				// the import above (a change of case alone in the configuration plans nothing), so this import
				// spells the agent the same way.
				ResourceName:            scopeAddr,
				ImportState:             true,
				ImportStateId:           strings.ToUpper(env.agent) + "/" + strings.ToUpper(scopeID),
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"identifier_uri_added", "timeouts"},
			},
		},
	})
}

// An agent that already has the portal's Application ID URI (as many real agents do): the resource does
// not claim it; when it goes missing out of band the repair adds it (identifier_uri_added becomes
// known at apply, not a stale false) and from then on owns it.
func TestAccAgentClientScope_preexistingIdentifierURI(t *testing.T) {
	env := newAccEnv(t, 0)
	uri := "api://" + env.agent
	added := func(want bool) statecheck.StateCheck {
		return statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri_added"), knownvalue.Bool(want))
	}
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{
				PreConfig:         func() { env.outOfBand(t).ensureIdentifierURI(t, env.agent, uri) },
				Config:            scopeConfig(env, ""),
				ConfigStateChecks: []statecheck.StateCheck{added(false)},
			},
			{
				PreConfig:         func() { env.outOfBand(t).removeIdentifierURI(t, env.agent, uri) },
				Config:            scopeConfig(env, ""),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionUpdate)}},
				ConfigStateChecks: []statecheck.StateCheck{added(true)},
			},
			{
				// Since the repair the resource owns the old URI, so a new one replaces it.
				Config:            scopeConfig(env, fmt.Sprintf(`  identifier_uri = "api://%s/pre-%s"`, env.tenantID, env.agent)),
				ConfigStateChecks: []statecheck.StateCheck{added(true)},
				Check: func(*terraformState) error {
					uris := env.readApp(t, env.agent).IdentifierURIs
					if !containsFold(uris, "api://"+env.tenantID+"/pre-"+env.agent) || containsFold(uris, uri) {
						return fmt.Errorf("identifier URIs after the change: %v", uris)
					}
					return nil
				},
			},
		},
	})
}
