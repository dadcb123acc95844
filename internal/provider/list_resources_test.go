package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

var querySkip = []tfversion.TerraformVersionCheck{
	skipBelow("1.14.0", "list resources and terraform query arrived in Terraform 1.14"),
}

// portalQuery sets up the portal-made agent (portalSetup, six clients) for a query test, and returns its
// access_as_client scope and the identity of the pre-authorization of a client.
func portalQuery(t *testing.T) (env *accEnv, scope model.PermissionScope, clientIdentity func(string) map[string]knownvalue.Check) {
	env = newAccEnv(t, 6)
	env.requireEmulator(t)
	return env, portalSetup(t, env), func(c string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"agent_client_id": knownvalue.StringExact(env.agent), "client_id": knownvalue.StringExact(c)}
	}
}

// The list resources on the portal-made agent: 5 clients for access_as_client (one entry also holding
// another team's permission), a sixth only for the other team's scope, which is not listed.
func TestAccQuery_portalAgent(t *testing.T) {
	env, scope, clientIdentity := portalQuery(t)
	checks := []querycheck.QueryResultCheck{
		querycheck.ExpectLength("lkps_preauthorized_client.clients", 5),
		querycheck.ExpectLength("lkps_agent_client_scope.agent", 1),
		querycheck.ExpectLength("lkps_agent_client_scope.owned", 1),
		querycheck.ExpectIdentity("lkps_agent_client_scope.agent", map[string]knownvalue.Check{"agent_client_id": knownvalue.StringExact(env.agent)}),
		querycheck.ExpectIdentity("lkps_agent_client_scope.owned", map[string]knownvalue.Check{"agent_client_id": knownvalue.StringExact(env.agent)}),
		querycheck.ExpectNoIdentity("lkps_preauthorized_client.clients", clientIdentity(env.clients[5])),
		querycheck.ExpectResourceDisplayName("lkps_preauthorized_client.clients", queryfilter.ByResourceIdentity(clientIdentity(env.clients[0])),
			knownvalue.StringExact("acceptance test client 0 ("+env.clients[0]+")")),
		querycheck.ExpectResourceDisplayName("lkps_agent_client_scope.agent", queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"agent_client_id": knownvalue.StringExact(env.agent)}),
			knownvalue.StringExact("acceptance test agent ("+env.agent+")")),
		querycheck.ExpectResourceKnownValues("lkps_agent_client_scope.agent", queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"agent_client_id": knownvalue.StringExact(env.agent)}),
			[]querycheck.KnownValueCheck{
				{Path: tfjsonpath.New("scope_id"), KnownValue: knownvalue.StringExact(scope.ID)},
				{Path: tfjsonpath.New("identifier_uri"), KnownValue: knownvalue.StringExact("api://" + env.agent)},
				{Path: tfjsonpath.New("identifier_uri_added"), KnownValue: knownvalue.Bool(false)},
				{Path: tfjsonpath.New("admin_consent_display_name"), KnownValue: knownvalue.StringExact(scope.AdminConsentDisplayName)},
			}),
	}
	for _, c := range env.clients[:5] {
		checks = append(checks,
			querycheck.ExpectIdentity("lkps_preauthorized_client.clients", clientIdentity(c)),
			querycheck.ExpectResourceKnownValues("lkps_preauthorized_client.clients", queryfilter.ByResourceIdentity(clientIdentity(c)),
				[]querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("scope_id"), KnownValue: knownvalue.StringExact(scope.ID)},
					{Path: tfjsonpath.New("client_id"), KnownValue: knownvalue.StringExact(c)},
				}))
	}
	accTest(t, resource.TestCase{
		TerraformVersionChecks: querySkip,
		Steps: []resource.TestStep{
			{Config: env.config(`data "lkps_environment" "current" {}`)},
			{
				Query: true,
				Config: fmt.Sprintf(`
list "lkps_agent_client_scope" "agent" {
  provider         = lkps
  include_resource = true
  config {
    agent_client_ids = [%[1]q]
  }
}

list "lkps_agent_client_scope" "owned" {
  provider = lkps
}

list "lkps_preauthorized_client" "clients" {
  provider         = lkps
  include_resource = true
  config {
    agent_client_id = %[1]q
  }
}`, env.agent),
				QueryResultChecks: checks,
			},
		},
	})
}

// The pre-authorized clients listed by the agent's object ID (in upper case, as the portal may show it):
// the same five results, named by the agent's client ID, with resource objects that name the agent by
// client ID only (the generated configuration may set only one of the two). Naming the agent both ways,
// or not at all, is refused.
func TestAccQuery_preauthorizedClientsByAgentObjectID(t *testing.T) {
	env, scope, clientIdentity := portalQuery(t)
	checks := []querycheck.QueryResultCheck{
		querycheck.ExpectLength("lkps_preauthorized_client.by_object_id", 5),
		querycheck.ExpectNoIdentity("lkps_preauthorized_client.by_object_id", clientIdentity(env.clients[5])),
	}
	for i, c := range env.clients[:5] {
		checks = append(checks,
			querycheck.ExpectIdentity("lkps_preauthorized_client.by_object_id", clientIdentity(c)),
			querycheck.ExpectResourceDisplayName("lkps_preauthorized_client.by_object_id", queryfilter.ByResourceIdentity(clientIdentity(c)),
				knownvalue.StringExact(fmt.Sprintf("acceptance test client %d (%s)", i, c))),
			querycheck.ExpectResourceKnownValues("lkps_preauthorized_client.by_object_id", queryfilter.ByResourceIdentity(clientIdentity(c)),
				[]querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("agent_client_id"), KnownValue: knownvalue.StringExact(env.agent)},
					{Path: tfjsonpath.New("agent_object_id"), KnownValue: knownvalue.Null()},
					{Path: tfjsonpath.New("client_id"), KnownValue: knownvalue.StringExact(c)},
					{Path: tfjsonpath.New("scope_id"), KnownValue: knownvalue.StringExact(scope.ID)},
				}))
	}
	listBlock := func(config string) string {
		return fmt.Sprintf(`
list "lkps_preauthorized_client" "by_object_id" {
  provider         = lkps
  include_resource = true
  config {
%s
  }
}`, config)
	}
	accTest(t, resource.TestCase{
		TerraformVersionChecks: querySkip,
		Steps: []resource.TestStep{
			{Config: env.config(`data "lkps_environment" "current" {}`)},
			{
				Query:             true,
				Config:            listBlock(fmt.Sprintf("    agent_object_id = %q", strings.ToUpper(env.agentObjectID))),
				QueryResultChecks: checks,
			},
			{
				Query:       true,
				Config:      listBlock(fmt.Sprintf("    agent_object_id = %q\n    agent_client_id = %q", env.agentObjectID, env.agent)),
				ExpectError: regexp.MustCompile(`(?s)Name the agent.*exactly one of agent_client_id and agent_object_id`),
			},
		},
	})
}
