package provider

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/provider/azureadstandin"
)

// withAzureAD serves this provider and the azuread stand-in (under registry.terraform.io/hashicorp/azuread).
var withAzureAD = map[string]func() (tfprotov6.ProviderServer, error){
	"lkps":    providerserver.NewProtocol6WithError(New("test", "test")()),
	"azuread": providerserver.NewProtocol6WithError(azureadstandin.New()),
}

var moveSkip = []tfversion.TerraformVersionCheck{
	skipBelow("1.8.0", "moved blocks across resource types of different providers arrived in Terraform 1.8"),
}

// azureadScope is the access_as_client scope a team created with azuread (its own ID and texts).
var azureadScope = graph.PermissionScope{
	ID: "4b5c6d7e-8f90-4a1b-9c2d-3e4f5a6b7c8d", Value: "access_as_client", Type: "User",
	AdminConsentDisplayName: "Access the agent", AdminConsentDescription: "Allows client applications to access the agent.",
	Enabled: true,
}

// azureadSetup puts into Graph what the azuread configuration below created: the identifier URI, the
// scope and one pre-authorization per client (permissions: the scope, plus extra for the first client).
func azureadSetup(t *testing.T, env *accEnv, extra string) {
	t.Helper()
	oob := env.outOfBand(t)
	oob.ensureIdentifierURI(t, env.agent, "api://"+env.agent)
	oob.createScope(t, env.agent, azureadScope)
	if extra != "" {
		oob.createScope(t, env.agent, graph.PermissionScope{ID: extra, Value: "reports.read", Type: "User",
			AdminConsentDisplayName: "Read reports", AdminConsentDescription: "Read reports.", Enabled: true})
	}
	for i, c := range env.clients {
		oob.addPreAuthorization(t, env.agent, c, azureadScope.ID)
		if i == 0 && extra != "" {
			oob.addPreAuthorization(t, env.agent, c, extra)
		}
	}
}

// azureadConfig is a standard azuread setup of an agent: URI + scope + one pre-authorization per client.
func azureadConfig(env *accEnv, extra string) string {
	perms := func(i int) string {
		if i == 0 && extra != "" {
			return fmt.Sprintf(`count.index == 0 ? [%q, %q] : [%q]`, azureadScope.ID, extra, azureadScope.ID)
		}
		return fmt.Sprintf("[%q]", azureadScope.ID)
	}
	return fmt.Sprintf(`
provider "azuread" {}

locals {
  clients = [%s]
}

resource "azuread_application_identifier_uri" "agent" {
  application_id = "/applications/%[2]s"
  identifier_uri = "api://%[3]s"
}

resource "azuread_application_permission_scope" "agent" {
  application_id             = "/applications/%[2]s"
  scope_id                   = %[4]q
  value                      = "access_as_client"
  type                       = "User"
  admin_consent_display_name = %[5]q
  admin_consent_description  = %[6]q
}

resource "azuread_application_pre_authorized" "client" {
  count                = length(local.clients)
  application_id       = "/applications/%[2]s"
  authorized_client_id = local.clients[count.index]
  permission_ids       = %[7]s
}
`, quoteList(env.clients), env.agentObjectID, env.agent, azureadScope.ID, azureadScope.AdminConsentDisplayName,
		azureadScope.AdminConsentDescription, perms(0))
}

// migratedConfig is the same setup in lkps resources, with the moved and removed blocks of the guide
// "Migrating from azuread".
func migratedConfig(env *accEnv) string {
	return env.config(fmt.Sprintf(`
provider "azuread" {}

locals {
  clients = [%s]
}

resource "lkps_agent_client_scope" "agent" {
  agent_client_id            = %q
  scope_id                   = %q
  admin_consent_display_name = %q
  admin_consent_description  = %q
}

resource "lkps_preauthorized_client" "client" {
  count           = length(local.clients)
  agent_client_id = lkps_agent_client_scope.agent.agent_client_id
  client_id       = local.clients[count.index]
  scope_id        = lkps_agent_client_scope.agent.scope_id
}

moved {
  from = azuread_application_permission_scope.agent
  to   = lkps_agent_client_scope.agent
}

moved {
  from = azuread_application_pre_authorized.client
  to   = lkps_preauthorized_client.client
}

# The Application ID URI stays in Graph; lkps_agent_client_scope records it (identifier_uri defaults to
# api://<agent client ID>) and, as it did not add it, never removes it.
removed {
  from = azuread_application_identifier_uri.agent
  lifecycle {
    destroy = false
  }
}
`, quoteList(env.clients), env.agent, azureadScope.ID, azureadScope.AdminConsentDisplayName, azureadScope.AdminConsentDescription))
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// Moving a standard azuread setup (URI + scope + 3 pre-authorizations) changes nothing in Graph and
// plans empty; destroying the lkps resources afterwards keeps the URI that azuread had added.
func TestAccMove_fromAzureAD(t *testing.T) {
	env := newAccEnv(t, 3)
	env.requireEmulator(t)
	var before graph.Application
	var patches int64
	noGraphChange := func(*terraformState) error {
		if now := env.readApp(t, env.agent); !reflect.DeepEqual(before, now) {
			return fmt.Errorf("the move changed the application:\nbefore %+v\nnow    %+v", before, now)
		}
		if p := env.emu.ts.Admin().Counter(graphapi.RoutePatchApplication); p != patches {
			return fmt.Errorf("the move sent %d PATCH requests", p-patches)
		}
		return nil
	}
	noOp := []plancheck.PlanCheck{plancheck.ExpectResourceAction("lkps_agent_client_scope.agent", plancheck.ResourceActionNoop)}
	for i := range env.clients {
		noOp = append(noOp, plancheck.ExpectResourceAction(fmt.Sprintf("lkps_preauthorized_client.client[%d]", i), plancheck.ResourceActionNoop))
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   moveSkip,
		ProtoV6ProviderFactories: withAzureAD,
		CheckDestroy: func(*terraformState) error {
			app := env.readApp(t, env.agent)
			if _, ok := app.Scope(azureadScope.ID); ok {
				return fmt.Errorf("the scope survived destroy")
			}
			if !containsFold(app.IdentifierURIs, "api://"+env.agent) {
				return fmt.Errorf("destroy removed the identifier URI that azuread had added (identifier_uri_added is false)")
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					azureadSetup(t, env, "")
					before = env.readApp(t, env.agent)
					patches = env.emu.ts.Admin().Counter(graphapi.RoutePatchApplication)
				},
				Config: azureadConfig(env, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("azuread_application_pre_authorized.client[0]", tfjsonpath.New("id"),
						knownvalue.StringExact(env.agentObjectID+"/preAuthorizedApplication/"+env.clients[0])),
				},
				Check: noGraphChange,
			},
			{
				Config:           migratedConfig(env),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: noOp},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("lkps_agent_client_scope.agent", tfjsonpath.New("agent_client_id"), knownvalue.StringExact(env.agent)),
					statecheck.ExpectKnownValue("lkps_agent_client_scope.agent", tfjsonpath.New("agent_object_id"), knownvalue.StringExact(env.agentObjectID)),
					statecheck.ExpectKnownValue("lkps_agent_client_scope.agent", tfjsonpath.New("identifier_uri"), knownvalue.StringExact("api://"+env.agent)),
					statecheck.ExpectKnownValue("lkps_agent_client_scope.agent", tfjsonpath.New("identifier_uri_added"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue("lkps_preauthorized_client.client[2]", tfjsonpath.New("id"), knownvalue.StringExact(env.agent+"/"+env.clients[2])),
				},
				Check: noGraphChange,
			},
			{
				Config:           migratedConfig(env),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            noGraphChange,
			},
		},
	})
}

// A pre-authorization holding several permission IDs cannot move exactly: the plan fails and says
// what to do instead.
func TestAccMove_fromAzureADSeveralPermissions(t *testing.T) {
	env := newAccEnv(t, 2)
	const extra = "5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   moveSkip,
		ProtoV6ProviderFactories: withAzureAD,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { azureadSetup(t, env, extra) },
				Config:    azureadConfig(env, extra),
			},
			{
				Config:      migratedConfig(env),
				ExpectError: regexp.MustCompile(`(?s)Cannot move a pre-authorization of several permissions.*removed \{.*destroy = false.*import \{`),
			},
			{
				// Nothing was moved: the azuread configuration still plans empty.
				Config:           azureadConfig(env, extra),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}
