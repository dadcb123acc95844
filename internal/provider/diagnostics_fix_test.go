package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// Diagnostics that name the fix (issue 9, item 5): each test asserts the summary and the key sentence.

// No ARM_* settings and no Azure CLI: the provider says that no credentials were found and lists the
// ways to provide them, with the documentation link. Not parallel: PATH is process-wide.
func TestAccDiagnostics_noCredentials(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance tests run with TF_ACC=1 (make test)")
	}
	t.Setenv("PATH", t.TempDir()) // no `az`
	for _, v := range []string{"ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID", "ARM_USE_CLI", "ARM_USE_OIDC", "ARM_USE_MSI",
		"ARM_CLIENT_CERTIFICATE_PATH", "ARM_OIDC_TOKEN", "ARM_OIDC_TOKEN_FILE_PATH", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE"} {
		t.Setenv(v, "")
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "lkps" {}
resource "lkps_agent_client_scope" "x" {
  agent_client_id = "11111111-1111-1111-1111-111111111111"
}`,
			ExpectError: regexp.MustCompile(`(?s)No credentials found.*` + wrapTolerant(regexp.QuoteMeta(`no credentials were found. No ARM_* credential settings`)) +
				`.*` + wrapTolerant(`Azure CLI, the fallback, is not installed`) + `.*ARM_CLIENT_SECRET.*ARM_CLIENT_CERTIFICATE_PATH.*ARM_USE_OIDC.*ARM_USE_MSI.*az login.*` +
				regexp.QuoteMeta("https://github.com/bayer/terraform-provider-lkps/blob/main/docs/index.md#authentication")),
		}},
	})
}

// A wrong client secret: "Authentication failed", the AADSTS code and its meaning first, the raw
// response after.
func TestAccDiagnostics_wrongClientSecret(t *testing.T) {
	env := newAccEnv(t, 0)
	env.requireEmulator(t)
	ts := env.emu.ts
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "lkps" {
  tenant_id      = %q
  client_id      = %q
  client_secret  = "not-the-secret"
  use_cli        = false
  authority_host = %q
  graph_base_url = %q
  lkps_base_url  = %q
}
resource "lkps_agent_client_scope" "x" {
  agent_client_id = %q
}`, ts.TenantID(), ts.DeployerClientID, ts.AuthorityHost, ts.GraphBaseURL, ts.LKPSBaseURLs["nonprod/eu"], env.agent),
			ExpectError: regexp.MustCompile(`(?s)Error: Authentication failed.*` +
				wrapTolerant(`AADSTS7000215: the client secret is wrong: use the secret's Value`) + `.*` +
				wrapTolerant(`Microsoft Entra ID refused the provider's credentials`) + `.*Raw response:.*RESPONSE 401.*invalid_client`),
		}},
	})
}

// A scope_id that is not a scope of the agent: an error on scope_id that says what to use.
func TestAccDiagnostics_scopeIDNotOfTheAgent(t *testing.T) {
	env := newAccEnv(t, 1)
	env.requireEmulator(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkNoClientScope(t),
		Steps: []resource.TestStep{{
			Config: env.config(fmt.Sprintf(`
resource "lkps_agent_client_scope" "test" {
  agent_client_id = %q
}
resource "lkps_preauthorized_client" "test" {
  agent_client_id = lkps_agent_client_scope.test.agent_client_id
  client_id       = %q
  scope_id        = "22222222-2222-4222-8222-222222222222"
}`, env.agent, env.clients[0])),
			ExpectError: regexp.MustCompile(`(?s)Error: Scope not found on the agent.*scope_id\s+=\s+"22222222-2222-4222-8222-222222222222".*` +
				wrapTolerant(`The scope 22222222-2222-4222-8222-222222222222 does not exist on agent `+env.agent) + `.*` +
				wrapTolerant(`Use scope_id = lkps_agent_client_scope.<name>.scope_id`) + `.*` + wrapTolerant(`or omit scope_id`)),
		}},
	})
}

// A client_id that no application or service principal of the tenant has: accepted (Graph accepts it),
// with a plan-time warning naming client_id. Not parallel: the provider log path is process-wide.
func TestAccDiagnostics_clientNotInTenant(t *testing.T) {
	env := newAccEnv(t, 1)
	env.requireEmulator(t)
	logFile := filepath.Join(t.TempDir(), "provider.log")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	const foreign = "33333333-3333-4333-8333-333333333333"
	const summary = "Client application not found in the tenant"
	cfg := func(clientID string) string {
		return env.config(fmt.Sprintf(`
resource "lkps_agent_client_scope" "test" {
  agent_client_id = %q
}
resource "lkps_preauthorized_client" "test" {
  agent_client_id = lkps_agent_client_scope.test.agent_client_id
  client_id       = %q
  scope_id        = lkps_agent_client_scope.test.scope_id
}`, env.agent, clientID))
	}
	offset := 0
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{
				Config: cfg(foreign),
				Check: func(*terraformState) error {
					if err := env.preauthorizedExactly(t, []string{foreign}, stableScopeID(env.agent)); err != nil {
						return err
					}
					var log string
					log, offset = logSince(t, logFile, 0)
					if rpcs := strings.Join(warningRPCs(log, summary), " "); !strings.Contains(rpcs, "PlanResourceChange") {
						return fmt.Errorf("no plan-time %q warning (got it in %q)", summary, rpcs)
					}
					if !strings.Contains(log, "No application or service principal with client ID "+foreign+" is visible in the tenant") ||
						!strings.Contains(log, `diagnostic_attribute="AttributeName(\"client_id\")"`) {
						return fmt.Errorf("the warning does not name the client ID and the attribute")
					}
					return nil
				},
			},
			{
				// A client of the tenant: no warning.
				Config: cfg(env.clients[0]),
				Check:  noWarningSince(t, logFile, &offset, summary, "PlanResourceChange", "for a client of the tenant"),
			},
		},
	})
}
