package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
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
var azureadScope = model.PermissionScope{
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
		oob.createScope(t, env.agent, model.PermissionScope{ID: extra, Value: "reports.read", Type: "User",
			AdminConsentDisplayName: "Read reports", AdminConsentDescription: "Read reports.", Enabled: true})
	}
	for i, c := range env.clients {
		oob.addPreAuthorization(t, env.agent, c, azureadScope.ID)
		if i == 0 && extra != "" {
			oob.addPreAuthorization(t, env.agent, c, extra)
		}
	}
}

// migrationExample reads a file of examples/guides/migrate-from-azuread, the guide's example.
func migrationExample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "guides", "migrate-from-azuread", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// azureadConfig is the guide's "before": a standard azuread setup of an agent (URI + scope + one
// pre-authorization per client); with extra, the first client's pre-authorization holds it too.
func azureadConfig(t *testing.T, extra string) string {
	before := migrationExample(t, "before-azuread.tf.example")
	if extra != "" {
		before = strings.Replace(before, "permission_ids       = [var.scope_id]",
			fmt.Sprintf("permission_ids       = count.index == 0 ? [var.scope_id, %q] : [var.scope_id]", extra), 1)
	}
	return "provider \"azuread\" {}\n" + migrationExample(t, "variables.tf") + before
}

// migratedConfig is the guide's "after": the same setup in lkps resources, with its moved and removed blocks.
func migratedConfig(t *testing.T, env *accEnv) string {
	return env.config("provider \"azuread\" {}\n" + migrationExample(t, "variables.tf") + migrationExample(t, "after-lkps.tf.example"))
}

// migrationVariables are the example's variables for the test's agent.
func migrationVariables(env *accEnv) config.Variables {
	clients := make([]config.Variable, len(env.clients))
	for i, c := range env.clients {
		clients[i] = config.StringVariable(c)
	}
	return config.Variables{
		"agent_client_id": config.StringVariable(env.agent),
		"agent_object_id": config.StringVariable(env.agentObjectID),
		"scope_id":        config.StringVariable(azureadScope.ID),
		"client_ids":      config.ListVariable(clients...),
	}
}

// Moving a standard azuread setup (URI + scope + 3 pre-authorizations) changes nothing in Graph and
// plans empty; destroying the lkps resources afterwards keeps the URI that azuread had added.
func TestAccMove_fromAzureAD(t *testing.T) {
	env := newAccEnv(t, 3)
	env.requireEmulator(t)
	var before model.Application
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
	accTest(t, resource.TestCase{
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
				Config:          azureadConfig(t, ""),
				ConfigVariables: migrationVariables(env),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("azuread_application_pre_authorized.client[0]", tfjsonpath.New("id"),
						knownvalue.StringExact(env.agentObjectID+"/preAuthorizedApplication/"+env.clients[0])),
				},
				Check: noGraphChange,
			},
			{
				Config:           migratedConfig(t, env),
				ConfigVariables:  migrationVariables(env),
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
				Config:           migratedConfig(t, env),
				ConfigVariables:  migrationVariables(env),
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
	accTest(t, resource.TestCase{
		TerraformVersionChecks:   moveSkip,
		ProtoV6ProviderFactories: withAzureAD,
		Steps: []resource.TestStep{
			{
				PreConfig:       func() { azureadSetup(t, env, extra) },
				Config:          azureadConfig(t, extra),
				ConfigVariables: migrationVariables(env),
			},
			{
				Config:          migratedConfig(t, env),
				ConfigVariables: migrationVariables(env),
				ExpectError:     regexp.MustCompile(`(?s)Cannot move a pre-authorization of several permissions.*removed \{.*destroy = false.*import \{`),
			},
			{
				// Nothing was moved: the azuread configuration still plans empty.
				Config:           azureadConfig(t, extra),
				ConfigVariables:  migrationVariables(env),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
		},
	})
}
