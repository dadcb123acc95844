package provider

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// identitySkip is the version check of the tests that need resource identity.
var identitySkip = []tfversion.TerraformVersionCheck{
	skipBelow("1.12.0", "resource identity in state and import blocks with identity arrived in Terraform 1.12"),
}

func TestAccIdentity_scopeAndClientImportByIdentity(t *testing.T) {
	env := newAccEnv(t, 1)
	scopeAddr, clientAddr := "lkps_agent_client_scope.test", "lkps_preauthorized_client.one"
	cfg := env.config(fmt.Sprintf(`
resource "lkps_agent_client_scope" "test" {
  agent_client_id = %q
}

resource "lkps_preauthorized_client" "one" {
  agent_client_id = lkps_agent_client_scope.test.agent_client_id
  client_id       = %q
  scope_id        = lkps_agent_client_scope.test.scope_id
}`, env.agent, env.clients[0]))
	accTest(t, tfresource.TestCase{
		TerraformVersionChecks: identitySkip,
		CheckDestroy:           env.checkNoClientScope(t),
		Steps: []tfresource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(scopeAddr, map[string]knownvalue.Check{"agent_client_id": knownvalue.StringExact(env.agent)}),
					statecheck.ExpectIdentity(clientAddr, map[string]knownvalue.Check{
						"agent_client_id": knownvalue.StringExact(env.agent), "client_id": knownvalue.StringExact(env.clients[0]),
					}),
				},
			},
			{
				ResourceName:    scopeAddr,
				ImportState:     true,
				ImportStateKind: tfresource.ImportBlockWithResourceIdentity,
			},
			{
				ResourceName:    clientAddr,
				ImportState:     true,
				ImportStateKind: tfresource.ImportBlockWithResourceIdentity,
			},
			// azuread's import ID forms, in import blocks.
			{
				ResourceName:    scopeAddr,
				ImportState:     true,
				ImportStateKind: tfresource.ImportBlockWithID,
				ImportStateId:   fmt.Sprintf("/applications/%s/permissionScopes/%s", env.agentObjectID, stableScopeID(env.agent)),
			},
			{
				ResourceName:    clientAddr,
				ImportState:     true,
				ImportStateKind: tfresource.ImportBlockWithID,
				ImportStateId:   fmt.Sprintf("/applications/%s/preAuthorizedApplication/%s", env.agentObjectID, env.clients[0]),
			},
		},
	})
}

// terraform import with azuread's ID forms works on any Terraform version.
func TestAccImport_azureadIDForms(t *testing.T) {
	env := newAccEnv(t, 1)
	accTest(t, tfresource.TestCase{
		Steps: []tfresource.TestStep{
			{Config: preauthConfig(env, env.clients)},
			{
				ResourceName:            "lkps_agent_client_scope.test",
				ImportState:             true,
				ImportStateId:           fmt.Sprintf("/applications/%s/permissionScopes/%s", env.agentObjectID, stableScopeID(env.agent)),
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts", "identifier_uri_added"},
			},
			{
				ResourceName:            "lkps_preauthorized_client.test[0]",
				ImportState:             true,
				ImportStateId:           fmt.Sprintf("%s/preAuthorizedApplication/%s", env.agentObjectID, env.clients[0]),
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				ResourceName:  "lkps_agent_client_scope.test",
				ImportState:   true,
				ImportStateId: fmt.Sprintf("/applications/%s/permissionScopes/%s", env.agentObjectID, "0e0e0e0e-0000-4000-8000-000000000000"),
				ExpectError:   regexp.MustCompile(`(?s)Nothing to import.*no scope with the ID\s+0e0e0e0e-0000-4000-8000-000000000000`),
			},
		},
	})
}

// azuread's import ID of a scope names it by ID, and the import takes that scope, also when it was
// renamed out of band (azuread makes scopes with random IDs, so the provider's stable ID does not find
// them): the next plan repairs the value. A scope ID of another scope, while the agent has an
// access_as_client scope, is refused with the ID to import instead; another team's scope is never touched.
func TestAccImport_azureadScopeIDRenamedScope(t *testing.T) {
	env := newAccEnv(t, 0)
	azureadScope := model.PermissionScope{
		ID: "6b1f2d3e-4c5a-4b7d-8e9f-0a1b2c3d4e5f", Value: "access_as_client", Type: "User",
		AdminConsentDisplayName: "Access the agent as a client", AdminConsentDescription: "Made with azuread.", Enabled: true,
	}
	other := model.PermissionScope{
		ID: "8d2b4c6e-1a3f-4e5d-b7c9-0e1f2a3b4c5d", Value: "reports.read", Type: "Admin",
		AdminConsentDisplayName: "Read reports", AdminConsentDescription: "Another team's permission.", Enabled: true,
	}
	azureadImportID := func(scopeID string) string {
		return fmt.Sprintf("/applications/%s/permissionScopes/%s", env.agentObjectID, scopeID)
	}
	cfg := scopeConfig(env, fmt.Sprintf("  scope_id = %q", azureadScope.ID))
	var otherBefore model.PermissionScope
	otherUntouched := func(*terraformState) error {
		if now, ok := env.readApp(t, env.agent).Scope(other.ID); !ok || !reflect.DeepEqual(now, otherBefore) {
			return fmt.Errorf("the other team's scope changed: %+v (found %v), was %+v", now, ok, otherBefore)
		}
		return nil
	}
	accTest(t, tfresource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []tfresource.TestStep{
			{
				// azuread's scope, renamed in the portal since, next to another team's scope.
				PreConfig: func() {
					oob := env.outOfBand(t)
					oob.ensureIdentifierURI(t, env.agent, "api://"+env.agent)
					oob.createScope(t, env.agent, azureadScope)
					oob.createScope(t, env.agent, other)
					renamed := azureadScope
					renamed.Value = "access_as_client_v2"
					oob.updateScope(t, env.agent, renamed)
					otherBefore, _ = env.readApp(t, env.agent).Scope(other.ID)
				},
				Config: env.config(`data "lkps_environment" "current" {}`),
			},
			{
				Config:             cfg,
				ResourceName:       scopeAddr,
				ImportState:        true,
				ImportStateId:      azureadImportID(strings.ToUpper(azureadScope.ID)),
				ImportStatePersist: true,
				ImportStateCheck: func(is []*terraform.InstanceState) error {
					if len(is) != 1 || is[0].Attributes["value"] != "access_as_client_v2" || is[0].Attributes["scope_id"] != azureadScope.ID ||
						is[0].Attributes["agent_client_id"] != env.agent || is[0].Attributes["identifier_uri_added"] != "false" {
						return fmt.Errorf("imported %+v", is)
					}
					return nil
				},
			},
			{
				// The repair renames it back; the other team's scope stays as it was.
				Config: cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(scopeAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("value"), knownvalue.StringExact("access_as_client")),
				}},
				Check: tfresource.ComposeTestCheckFunc(otherUntouched, func(*terraformState) error {
					s, ok := env.readApp(t, env.agent).ScopeByValue("access_as_client")
					if !ok || s.ID != azureadScope.ID || !s.Enabled {
						return fmt.Errorf("access_as_client after the repair: %+v (found %v), want the azuread scope %s", s, ok, azureadScope.ID)
					}
					return nil
				}),
			},
			{
				Config:           cfg,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				ResourceName:  scopeAddr,
				ImportState:   true,
				ImportStateId: azureadImportID(other.ID),
				ExpectError: regexp.MustCompile(`(?s)Not the access_as_client scope.*` + other.ID + `.*terraform import\s+lkps_agent_client_scope\.<name>\s+` +
					env.agent + "/" + azureadScope.ID),
			},
			{
				ResourceName:            scopeAddr,
				ImportState:             true,
				ImportStateId:           azureadImportID(azureadScope.ID),
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts", "identifier_uri_added"},
				Check:                   otherUntouched,
			},
		},
	})
}

// State written by the provider before identities (the resources without them) gets its identity at
// the next refresh, with an empty plan.
func TestAccIdentity_upgradeFromStateWithoutIdentity(t *testing.T) {
	env := newAccEnv(t, 1)
	accTest(t, tfresource.TestCase{
		TerraformVersionChecks: identitySkip,
		CheckDestroy:           env.checkNoClientScope(t),
		Steps: []tfresource.TestStep{
			{
				ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
					"lkps": providerserver.NewProtocol6WithError(&providerWithoutIdentity{inner: &lkpsProvider{version: "test", commit: "test", getenv: os.Getenv}}),
				},
				Config: preauthConfig(env, env.clients),
			},
			{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Config:                   preauthConfig(env, env.clients),
				ConfigPlanChecks:         tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity("lkps_agent_client_scope.test", map[string]knownvalue.Check{"agent_client_id": knownvalue.StringExact(env.agent)}),
					statecheck.ExpectIdentity("lkps_preauthorized_client.test[0]", map[string]knownvalue.Check{
						"agent_client_id": knownvalue.StringExact(env.agent), "client_id": knownvalue.StringExact(env.clients[0]),
					}),
				},
			},
		},
	})
}

func TestAccIdentity_registration(t *testing.T) {
	r := newRegistrationEnv(t, true)
	accTest(t, tfresource.TestCase{
		TerraformVersionChecks: identitySkip,
		Steps: []tfresource.TestStep{
			{
				Config: r.registrationConfig("  agent_client_secret_wo_version = 1"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(registrationAddr, map[string]knownvalue.Check{
						"agent_client_id": knownvalue.StringExact(r.agent),
						"environment":     knownvalue.StringExact("nonprod"),
						"region":          knownvalue.StringExact("eu"),
					}),
				},
			},
			{
				// The import plan registers again (LKPS cannot be read), so only the import itself is checked here.
				ResourceName:            registrationAddr,
				ImportState:             true,
				ImportStateKind:         tfresource.ImportCommandWithID,
				ImportStateId:           r.agent,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"enforce_client_authz", "use_provider_identity", "livekit_url", "registered_at", "agent_client_secret_wo_version", "timeouts"},
			},
		},
	})
}

// providerWithoutIdentity is the provider as it was before resource identities: the same resources,
// without the identity wrappers and without list resources.
type providerWithoutIdentity struct{ inner *lkpsProvider }

func (p *providerWithoutIdentity) Metadata(ctx context.Context, req provider.MetadataRequest, resp *provider.MetadataResponse) {
	p.inner.Metadata(ctx, req, resp)
}

func (p *providerWithoutIdentity) Schema(ctx context.Context, req provider.SchemaRequest, resp *provider.SchemaResponse) {
	p.inner.Schema(ctx, req, resp)
}

func (p *providerWithoutIdentity) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	p.inner.Configure(ctx, req, resp)
}

func (p *providerWithoutIdentity) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewAgentClientScopeResource, NewPreauthorizedClientResource, NewAgentRegistrationResource}
}

func (p *providerWithoutIdentity) DataSources(ctx context.Context) []func() datasource.DataSource {
	return p.inner.DataSources(ctx)
}

// A registration's identity of another LKPS environment or region than the provider's is refused: in
// an import block (identity = {...}), and at refresh when the provider is reconfigured for another
// region than the state's identity was written in (LKPS keeps registrations per region, so the resource
// would silently stand for another registration). Neither reaches LKPS.
func TestAccIdentity_registrationOtherEnvironmentOrRegionRefused(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	euProvider := r.providerWith(fmt.Sprintf("  lkps_base_url = %q", r.emu.ts.LKPSBaseURLs["nonprod/eu"]))
	usProvider := r.providerWith(fmt.Sprintf("  region        = \"us\"\n  lkps_base_url = %q", r.emu.ts.LKPSBaseURLs["nonprod/us"]))
	resourceBlock := fmt.Sprintf(`
resource "lkps_agent_registration" "test" {
  agent_client_id        = %q
  agent_client_secret_wo = %q
  agent_client_secret_wo_version = 1
}`, r.agent, r.secret)
	importBlock := func(env, region string) string {
		return fmt.Sprintf(`
import {
  to       = lkps_agent_registration.test
  identity = {
    agent_client_id = %q
    environment     = %q
    region          = %q
  }
}`, r.agent, env, region)
	}
	var calls int64
	noLKPSCall := func(*terraformState) error {
		if now := r.registerCalls(); now != calls {
			return fmt.Errorf("LKPS was called %d times", now-calls)
		}
		return nil
	}
	refused := func(env, region, action, providerRegion string) *regexp.Regexp {
		return regexp.MustCompile(`(?s)Registration in another LKPS environment or region.*Cannot\s+` + action + `.*` + r.agent +
			`\s+is\s+in\s+` + env + `/` + region + `.*configured\s+for\s+nonprod/` + providerRegion)
	}
	accTest(t, tfresource.TestCase{
		TerraformVersionChecks: identitySkip,
		Steps: []tfresource.TestStep{
			{
				PreConfig:   func() { calls = r.registerCalls() },
				Config:      euProvider + resourceBlock + importBlock("prod", "eu"),
				PlanOnly:    true,
				ExpectError: refused("prod", "eu", "import", "eu"),
			},
			{
				Config:      euProvider + resourceBlock + importBlock("nonprod", "us"),
				PlanOnly:    true,
				ExpectError: refused("nonprod", "us", "import", "eu"),
			},
			{
				PreConfig: func() {
					if err := noLKPSCall(nil); err != nil {
						t.Errorf("the refused imports: %v", err)
					}
				},
				Config: euProvider + resourceBlock,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(registrationAddr, map[string]knownvalue.Check{
						"agent_client_id": knownvalue.StringExact(r.agent),
						"environment":     knownvalue.StringExact("nonprod"),
						"region":          knownvalue.StringExact("eu"),
					}),
				},
			},
			{
				// The provider now points at the US deployment: the EU registration is not refreshed against it.
				PreConfig:   func() { calls = r.registerCalls() },
				Config:      usProvider + resourceBlock,
				PlanOnly:    true,
				ExpectError: refused("nonprod", "eu", "refresh", "us"),
			},
			{
				// Back on the EU provider (the destroy at the end needs it), nothing to do.
				Config:           euProvider + resourceBlock,
				ConfigPlanChecks: tfresource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            noLKPSCall,
			},
		},
	})
}
