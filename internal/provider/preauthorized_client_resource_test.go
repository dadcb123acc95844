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
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// preauthConfig is the scope plus one lkps_preauthorized_client per client. It uses count, not
// for_each: terraform-plugin-testing's state shim for Check functions cannot address for_each keys.
func preauthConfig(env *accEnv, clients []string) string {
	var b strings.Builder
	for _, c := range clients {
		fmt.Fprintf(&b, "    %q,\n", c)
	}
	return env.config(fmt.Sprintf(`
resource "lkps_agent_client_scope" "test" {
  agent_client_id = %q
}

locals {
  clients = [
%s  ]
}

resource "lkps_preauthorized_client" "test" {
  count           = length(local.clients)
  agent_client_id = lkps_agent_client_scope.test.agent_client_id
  client_id       = local.clients[count.index]
  scope_id        = lkps_agent_client_scope.test.scope_id
}`, env.agent, b.String()))
}

func TestAccPreauthorizedClient_basic(t *testing.T) {
	env := newAccEnv(t, 2)
	env.useProviderDefaults() // the one test on the default Graph settings (3 s lag bound)
	addr := `lkps_preauthorized_client.test[0]`
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{
				Config: preauthConfig(env, env.clients),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringExact(env.agent+"/"+env.clients[0])),
					plancheck.ExpectKnownValue(addr, tfjsonpath.New("scope_id"), knownvalue.StringExact(stableScopeID(env.agent))),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("client_id"), knownvalue.StringExact(env.clients[0])),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("agent_object_id"), knownvalue.StringExact(env.agentObjectID)),
				},
				Check: func(*terraformState) error { return env.preauthorizedExactly(t, env.clients, stableScopeID(env.agent)) },
			},
			{
				ResourceName:            addr,
				ImportState:             true,
				ImportStateId:           env.agent + "/" + env.clients[0],
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				// The two IDs swapped: recognised, with the right order.
				ResourceName:  addr,
				ImportState:   true,
				ImportStateId: env.clients[0] + "/" + strings.ToUpper(env.agent),
				ExpectError: regexp.MustCompile(`(?s)Import ID looks swapped.*look swapped.*terraform import\s+lkps_preauthorized_client\.<name>\s+` +
					env.agent + "/" + env.clients[0]),
			},
		},
	})
}

// Without scope_id the agent's access_as_client scope is looked up; without any, the error says what to do.
func TestAccPreauthorizedClient_scopeLookup(t *testing.T) {
	env := newAccEnv(t, 1)
	lone := env.config(fmt.Sprintf(`
resource "lkps_preauthorized_client" "test" {
  agent_client_id = %q
  client_id       = %q
}`, env.agent, env.clients[0]))
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      lone,
				ExpectError: regexp.MustCompile(`(?s)exposes no access_as_client scope.*lkps_agent_client_scope`),
			},
			{
				PreConfig: func() {
					env.outOfBand(t).createScope(t, env.agent, model.PermissionScope{
						ID: "0c0c0c0c-0000-4000-8000-000000000003", Value: "access_as_client", Type: "User",
						AdminConsentDisplayName: "x", AdminConsentDescription: "x", Enabled: true,
					})
				},
				Config: lone,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("lkps_preauthorized_client.test", tfjsonpath.New("scope_id"), knownvalue.StringExact("0c0c0c0c-0000-4000-8000-000000000003")),
				},
			},
		},
	})
}

// A client that already has an entry keeps its other permission IDs, and destroy removes only ours.
func TestAccPreauthorizedClient_keepsOtherPermissionIDs(t *testing.T) {
	env := newAccEnv(t, 2)
	other := model.PermissionScope{
		ID: "0d0d0d0d-0000-4000-8000-000000000004", Value: "other_scope", Type: "User",
		AdminConsentDisplayName: "Other", AdminConsentDescription: "Other.", Enabled: true,
	}
	accTest(t, resource.TestCase{
		CheckDestroy: func(*terraformState) error {
			app := env.readApp(t, env.agent)
			if _, ok := app.ScopeByValue("access_as_client"); ok {
				return fmt.Errorf("access_as_client still exists")
			}
			for _, c := range env.clients {
				e, ok := app.PreAuthorization(c)
				if !ok || len(e.DelegatedPermissionIDs) != 1 || !strings.EqualFold(e.DelegatedPermissionIDs[0], other.ID) {
					return fmt.Errorf("entry of %s after destroy: %+v (found %v), want only %s", c, e, ok, other.ID)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{{
			PreConfig: func() {
				oob := env.outOfBand(t)
				oob.createScope(t, env.agent, other)
				for _, c := range env.clients {
					oob.addPreAuthorization(t, env.agent, c, other.ID)
				}
			},
			Config: preauthConfig(env, env.clients),
			Check: func(*terraformState) error {
				app := env.readApp(t, env.agent)
				for _, c := range env.clients {
					e, _ := app.PreAuthorization(c)
					if !containsFold(e.DelegatedPermissionIDs, other.ID) || !containsFold(e.DelegatedPermissionIDs, stableScopeID(env.agent)) {
						return fmt.Errorf("entry of %s: %v", c, e.DelegatedPermissionIDs)
					}
				}
				return nil
			},
		}},
	})
}

func TestAccPreauthorizedClient_requiresImport(t *testing.T) {
	env := newAccEnv(t, 1)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: scopeConfig(env, "")},
			{
				PreConfig: func() { env.outOfBand(t).addPreAuthorization(t, env.agent, env.clients[0], stableScopeID(env.agent)) },
				Config:    preauthConfig(env, env.clients),
				ExpectError: regexp.MustCompile(`(?s)already pre-authorized.*terraform import lkps_preauthorized_client\.<name> ` +
					env.agent + "/" + env.clients[0]),
			},
		},
	})
}

// One client pre-authorized by two resources of one configuration, once in upper case: the second is
// refused as a duplicate (not sent to import it), the entry is written once, and removing the duplicate
// leaves a clean configuration.
func TestAccPreauthorizedClient_duplicateInConfiguration(t *testing.T) {
	env := newAccEnv(t, 1)
	client := env.clients[0]
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{
				// depends_on orders the two, so that the upper-case one is always the duplicate.
				Config: preauthConfig(env, []string{client}) + fmt.Sprintf(`
resource "lkps_preauthorized_client" "again" {
  agent_client_id = lkps_agent_client_scope.test.agent_client_id
  client_id       = %q
  scope_id        = lkps_agent_client_scope.test.scope_id
  depends_on      = [lkps_preauthorized_client.test]
}`, strings.ToUpper(client)),
				ExpectError: regexp.MustCompile(`(?s)Duplicate pre-authorization in this configuration.*Another\s+lkps_preauthorized_client\s+in\s+this\s+configuration` +
					`.*Remove\s+the\s+duplicate\s+resource`),
			},
			{
				Config: preauthConfig(env, []string{client}),
				Check: func(*terraformState) error {
					return env.preauthorizedExactly(t, []string{client}, stableScopeID(env.agent))
				},
			},
		},
	})
}

// Out-of-band removal of the entry, and a portal edit of its permission IDs, show as a planned re-creation.
func TestAccPreauthorizedClient_disappearsAndDrift(t *testing.T) {
	env := newAccEnv(t, 2)
	scopeID := stableScopeID(env.agent)
	steps := []resource.TestStep{
		{Config: preauthConfig(env, env.clients)},
		{
			PreConfig: func() { env.outOfBand(t).removePreAuthorization(t, env.agent, env.clients[0], scopeID) },
			Config:    preauthConfig(env, env.clients),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(`lkps_preauthorized_client.test[0]`, plancheck.ResourceActionCreate),
				plancheck.ExpectResourceAction(`lkps_preauthorized_client.test[1]`, plancheck.ResourceActionNoop),
			}},
			Check: func(*terraformState) error { return env.preauthorizedExactly(t, env.clients, scopeID) },
		},
		{
			// The portal replaces our permission ID in the entry by another scope's ID.
			PreConfig: func() {
				oob := env.outOfBand(t)
				oob.createScope(t, env.agent, model.PermissionScope{
					ID: "0e0e0e0e-0000-4000-8000-000000000005", Value: "another", Type: "User",
					AdminConsentDisplayName: "A", AdminConsentDescription: "A.", Enabled: true,
				})
				oob.addPreAuthorization(t, env.agent, env.clients[1], "0e0e0e0e-0000-4000-8000-000000000005")
				oob.removePreAuthorization(t, env.agent, env.clients[1], scopeID)
			},
			Config: preauthConfig(env, env.clients),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(`lkps_preauthorized_client.test[1]`, plancheck.ResourceActionCreate),
			}},
		},
	}
	if env.emu != nil { // only the emulator can delete the application
		steps = append(steps, resource.TestStep{
			PreConfig:          func() { env.emu.deleteApplication(t, env.agent) },
			RefreshState:       true,
			ExpectNonEmptyPlan: true,
		})
	}
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps:        steps,
	})
}

func TestAccPreauthorizedClient_validation(t *testing.T) {
	env := newAccEnv(t, 0)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      env.config(`resource "lkps_preauthorized_client" "x" {` + "\n" + `agent_client_id = "` + env.agent + `"` + "\n" + `client_id = "nope"` + "\n}"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`client_id must be a GUID`),
			},
			{
				Config:      env.config(`resource "lkps_preauthorized_client" "x" {` + "\n" + `client_id = "` + env.agent + `"` + "\n}"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Exactly one of these attributes must be configured.*agent_client_id,agent_object_id`),
			},
		},
	})
}

// TestAccPreauthorizedClient_concurrencyUnderFaults applies one scope and 60 pre-authorized clients with
// Terraform's default -parallelism=10 while the emulator injects replication lag, 409 bursts and 429s.
// All 60 must be present after apply, a second plan must be empty, and destroy must remove exactly those
// 60 and nothing else. LKPS_ACC_CONCURRENCY_RUNS repeats it (the issue asks for 5 green runs in a row).
func TestAccPreauthorizedClient_concurrencyUnderFaults(t *testing.T) {
	runs := envInt("LKPS_ACC_CONCURRENCY_RUNS", 1)
	for run := 1; run <= runs; run++ {
		t.Run(fmt.Sprintf("run%d", run), func(t *testing.T) {
			env := newAccEnv(t, 62)
			env.requireEmulator(t)
			env.declareLag(faultProfileHostile.ReplicaLag)
			managed, unmanaged := env.clients[:60], env.clients[60:]
			other := model.PermissionScope{
				ID: "0f0f0f0f-0000-4000-8000-000000000006", Value: "other_scope", Type: "User",
				AdminConsentDisplayName: "Other", AdminConsentDescription: "Other.", Enabled: true,
			}
			var before model.Application
			accTest(t, resource.TestCase{
				CheckDestroy: func(*terraformState) error {
					env.emu.clearFaults(t)
					t.Logf("plan and destroy under faults: provider Graph client: %s", formatStats(builtGraphClients.take(env.graphBaseURL)))
					if err := env.unmanagedUnchanged(t, before, false); err != nil {
						return err
					}
					return env.preauthorizedExactly(t, unmanaged, other.ID)
				},
				Steps: []resource.TestStep{{
					PreConfig: func() {
						oob := env.outOfBand(t)
						oob.createScope(t, env.agent, other)
						for _, c := range unmanaged {
							oob.addPreAuthorization(t, env.agent, c, other.ID)
						}
						before = env.readApp(t, env.agent)
						env.emu.injectFaults(t, faultProfileHostile)
					},
					Config: preauthConfig(env, managed),
					Check: func(*terraformState) error {
						env.emu.clearFaults(t)
						if err := env.preauthorizedExactly(t, env.clients, ""); err != nil {
							return err
						}
						for _, c := range managed {
							e, _ := env.readApp(t, env.agent).PreAuthorization(c)
							if !containsFold(e.DelegatedPermissionIDs, stableScopeID(env.agent)) {
								return fmt.Errorf("client %s lacks the scope: %v", c, e.DelegatedPermissionIDs)
							}
						}
						t.Logf("apply under faults: emulator counters: %s", env.emu.faultSummary(t))
						t.Logf("apply under faults: provider Graph client: %s", formatStats(builtGraphClients.take(env.graphBaseURL)))
						env.emu.injectFaults(t, faultProfileHostile)
						return nil
					},
					// terraform-plugin-testing plans again after apply and fails on a non-empty plan.
				}},
			})
		})
	}
}
