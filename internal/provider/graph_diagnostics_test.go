package provider

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// Tests of the diagnostics the provider prints, most of them from the one Graph-error mapping
// (graph_diagnostics.go). Diagnostics that name the fix (issue 9, item 5): each test asserts the summary
// and the key sentence.

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

// An owner of the agent's app registration that holds no Microsoft Graph application permission is
// refused by Graph (403), as real Graph refuses app-only tokens without a role; the diagnostic says
// what a service principal must be granted.
func TestAccPermissions_ownerWithoutRoleIsRefused(t *testing.T) {
	env := newAccEnv(t, 0)
	env.requireEmulator(t)
	if err := env.emu.ts.Admin().RevokeGraphRoles(env.emu.ts.DeployerClientID, "Application.ReadWrite.OwnedBy"); err != nil {
		t.Fatal(err)
	}
	if rec, err := env.emu.ts.Admin().Application(env.agent); err != nil || len(rec.Owners) == 0 {
		t.Fatalf("the test agent must be owned by the deployer: %+v, %v", rec, err)
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: scopeConfig(env, ""),
			ExpectError: regexp.MustCompile(`(?s)Insufficient privileges on the agent application.*Authorization_RequestDenied.*` +
				wrapTolerant("Missing: a Microsoft Graph application permission.") + `.*` + wrapTolerant("carries the application permissions: none") +
				`.*` + wrapTolerant("tokens issued after the admin consent")),
		}},
	})
}

// A service principal holding Application.ReadWrite.OwnedBy that does not own the agent: the diagnostic
// names ownership as what is missing (read from the token's roles), says an added owner counts at once,
// and quotes Graph's answer once.
func TestAccPermissions_roleWithoutOwnershipIsRefused(t *testing.T) {
	env := newAccEnv(t, 0)
	env.requireEmulator(t)
	stranger, err := env.emu.ts.Admin().CreateApplication(emulator.SeedApplication{DisplayName: "agent the deployer does not own"})
	if err != nil {
		t.Fatal(err)
	}
	env.agent = strings.ToLower(stranger.Application.AppID)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: scopeConfig(env, ""),
			ExpectError: regexp.MustCompile(`(?s)Insufficient privileges on the agent application.*` +
				wrapTolerant("Microsoft Graph answered 403 Authorization_RequestDenied") + `.*` + wrapTolerant("Missing: ownership.") +
				`.*` + wrapTolerant("carries Application.ReadWrite.OwnedBy") + `.*` + wrapTolerant("An added owner counts at once")),
		}},
	})
}

// Graph's answer is quoted once, not as "microsoft graph answered" twice.
func TestGraphAnswerQuotedOnce(t *testing.T) {
	fb := &model.ForbiddenError{APIError: model.APIError{StatusCode: 403, Code: "Authorization_RequestDenied",
		Message: "Insufficient privileges to complete the operation."}}
	_, detail := describeGraphError("update the access_as_client scope", model.ByAppID("d3e40000-0000-4000-8000-000000000002"), fb, auth.KindClientSecret,
		&graphCallerFacts{appID: "d3e40000-0000-4000-8000-000000000001", roles: []string{"Application.ReadWrite.OwnedBy"}})
	if n := strings.Count(strings.ToLower(detail), "microsoft graph answered"); n != 1 {
		t.Errorf("Graph's answer is quoted %d times, want once:\n%s", n, detail)
	}
	if strings.Contains(detail, "owner takes effect for tokens issued after") {
		t.Errorf("the detail says an added owner needs a new token, while it counts at once:\n%s", detail)
	}
}

// Every way a Graph refusal (403) reaches the user says what the provider's kind of identity needs: a
// signed-in user ownership or a directory role, a service principal an application permission (and
// ownership), never the other kind's rule.
func TestForbiddenSaysWhatToGrant(t *testing.T) {
	fb := &model.ForbiddenError{APIError: model.APIError{StatusCode: 403, Code: "Authorization_RequestDenied",
		Message: "Insufficient privileges to complete the operation.", RequestID: "req-2"}}
	user := []string{"add the user as an owner", "Application Administrator"}
	sp := []string{"Application.ReadWrite.OwnedBy (admin consent) and add it as an owner", "owner without an application permission is not enough"}
	for _, tc := range []struct {
		kind      auth.Kind
		want      []string
		forbidden string
	}{
		{auth.KindAzureCLI, user, "OwnedBy"},
		{auth.KindClientSecret, sp, "Azure CLI"},
		{auth.KindManagedIdentity, sp, "Azure CLI"},
	} {
		d := &providerData{method: auth.Method{Kind: tc.kind}}
		var diags diag.Diagnostics
		d.reportGraphError(context.Background(), &diags, "update the access_as_client scope", model.ByAppID("d3e40000-0000-4000-8000-000000000002"), fmt.Errorf("wrapped: %w", fb))
		d.reportListError(&diags, "list the applications the provider's identity owns", fb, "Name the agents instead.")
		d.reportAgentCheck(context.Background(), &diags, "d3e40000-0000-4000-8000-000000000002", model.ByAppID("d3e40000-0000-4000-8000-000000000002"), fb)
		addGraphNotices([]core.Notice{{Kind: core.NoticeNotConfirmed, ObjectID: "o1", Detail: "x: " + fb.Error(), Forbidden: true}}, tc.kind, &diags)
		if len(diags) != 4 {
			t.Fatalf("%s: %d diagnostics, want 4", tc.kind, len(diags))
		}
		for _, dg := range diags {
			text := dg.Summary() + "\n" + dg.Detail()
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s: %q lacks %q:\n%s", tc.kind, dg.Summary(), w, text)
				}
			}
			if strings.Contains(text, tc.forbidden) {
				t.Errorf("%s: %q gives the other kind's rule (%q):\n%s", tc.kind, dg.Summary(), tc.forbidden, text)
			}
			if !strings.Contains(text, "req-2") && dg.Summary() != "A change of this run is not shown by Microsoft Graph" {
				t.Errorf("%s: %q does not quote Graph's answer:\n%s", tc.kind, dg.Summary(), text)
			}
		}
	}
	var diags diag.Diagnostics
	addGraphNotices([]core.Notice{{Kind: core.NoticeNotConfirmed, ObjectID: "o1", Detail: "x: overwritten"}}, auth.KindClientSecret, &diags)
	if strings.Contains(diags[0].Detail(), "OwnedBy") {
		t.Errorf("a notice without a refusal gives advice on permissions:\n%s", diags[0].Detail())
	}
}

// A person signed in through the Azure CLI acts as themselves: owning the agent's app registration is
// enough, and a user who does not own it is told to become an owner or get an admin role. The Azure
// CLI is stood in for by a script that prints a delegated token minted by the emulator.
func TestAccPermissions_azureCLIUser(t *testing.T) {
	env := newAccEnv(t, 0)
	env.requireEmulator(t)
	ts := env.emu.ts
	const owner, stranger = "5e1f0000-0000-4000-8000-00000000a001", "5e1f0000-0000-4000-8000-00000000a002"
	if err := ts.Admin().AddOwners(env.agent, owner); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fakeAz := func(user string) {
		tok, err := ts.Admin().MintUserToken(emulator.UserToken{ObjectID: user, Audience: ts.GraphBaseURL})
		if err != nil {
			t.Fatal(err)
		}
		script := fmt.Sprintf("#!/bin/sh\ncat <<'JSON'\n{\"accessToken\":%q,\"expiresOn\":\"2099-01-01 00:00:00.000000\",\"expires_on\":4070908800,\"tenant\":%q,\"tokenType\":\"Bearer\"}\nJSON\n", tok, ts.TenantID())
		if err := os.WriteFile(filepath.Join(dir, "az"), []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	cliProvider := fmt.Sprintf(`
provider "lkps" {
  tenant_id      = %q
  use_cli        = true
  authority_host = %q
  graph_base_url = %q
  lkps_base_url  = %q
  graph_replication_lag = "0s"
}`, ts.TenantID(), ts.AuthorityHost, ts.GraphBaseURL, ts.LKPSBaseURLs["nonprod/eu"])
	config := cliProvider + fmt.Sprintf(`
resource "lkps_agent_client_scope" "test" {
  agent_client_id = %q
}`, env.agent)
	fakeAz(stranger)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      config,
			ExpectError: regexp.MustCompile(`(?s)Insufficient privileges on the agent application.*` + wrapTolerant(regexp.QuoteMeta(authorizationRule(auth.KindAzureCLI)))),
		}},
	})
	fakeAz(owner)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkNoClientScope(t),
		Steps:                    []resource.TestStep{{Config: config}},
	})
}

// A tenant whose app management policy restricts identifier URIs refuses api://<name>: the provider says
// which restriction refused it, which forms the tenant allows, and that the default api://<appId> is
// allowed; the default then applies cleanly. In a tenant that never enabled the policy the same URI is
// accepted.
func TestAccAgentClientScope_identifierURIPolicy(t *testing.T) {
	env := newAccEnv(t, 0)
	env.requireEmulator(t)
	custom := fmt.Sprintf(`  identifier_uri = "api://agent-%s"`, env.agent[:8])
	setPolicy := func(state string) func() {
		return func() {
			body := fmt.Sprintf(`{"isEnabled":true,"applicationRestrictions":{"identifierUris":{"uriAdditionWithoutUniqueTenantIdentifier":{"state":%q}}}}`, state)
			if err := env.emu.ts.Admin().PatchAppManagementPolicy([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{
				PreConfig: setPolicy("enabled"),
				Config:    scopeConfig(env, custom),
				ExpectError: regexp.MustCompile(`The tenant's app management policy refused the Application ID URI[\s\S]*` +
					`uriAdditionWithoutUniqueTenantIdentifier[\s\S]*api://<tenant\s+ID>/<name>[\s\S]*` +
					`api://<agent\s+client\s+ID>\s+is\s+always\s+allowed`),
			},
			{
				Config: scopeConfig(env, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri"), knownvalue.StringExact("api://"+env.agent)),
				},
			},
			{
				PreConfig: setPolicy("disabled"),
				Config:    scopeConfig(env, custom),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri"), knownvalue.StringExact("api://agent-"+env.agent[:8])),
				},
			},
		},
	})
}

// The diagnostic of each restriction names it and the forms it allows.
func TestDescribeIdentifierURIPolicyRefusal(t *testing.T) {
	ref := model.ByAppID("11111111-1111-4111-8111-111111111111")
	for _, tc := range []struct {
		code, message, want string
	}{
		{"InvalidUniqueTenantIdentifierAsPerAppPolicy", "Failed to add identifier URI api://x. All newly added URIs must contain a tenant verified domain, tenant ID, or app ID, as per the default tenant policy of your organization. See https://aka.ms/identifier-uri-addition-error for more information on this error.", "uriAdditionWithoutUniqueTenantIdentifier"},
		{"Request_BadRequest", "The newly added URI api://x must comply with the format 'api://{appId}' or 'api://{tenantId}/{appId}' as per the default app management policy of your organization. If the requestedAccessTokenVersion is set to 2, this restriction may not apply. See https://aka.ms/identifier-uri-addition-error for more information on this error.", "only api://<agent client ID> and api://<tenant ID>/<agent client ID>"},
	} {
		e := &model.ValidationError{APIError: model.APIError{StatusCode: 400, Code: tc.code, Message: tc.message}}
		summary, detail := describeGraphError("expose the scope", ref, e, auth.KindClientSecret, nil)
		if summary != "The tenant's app management policy refused the Application ID URI" || !regexp.MustCompile(regexp.QuoteMeta(tc.want)).MatchString(detail) ||
			!regexp.MustCompile(`api://<agent client ID> is always\s+allowed`).MatchString(detail) {
			t.Errorf("%s: %q\n%s", tc.code, summary, detail)
		}
	}
	other := &model.ValidationError{APIError: model.APIError{StatusCode: 400, Code: "HostNameNotOnVerifiedDomain", Message: "Values of identifierUris property must use a verified domain"}}
	if summary, _ := describeGraphError("expose the scope", ref, other, auth.KindClientSecret, nil); summary != "Microsoft Graph rejected the change" {
		t.Errorf("verified-domain refusal worded as a policy refusal: %q", summary)
	}
}

// untrustedTLSServer is an HTTPS server whose certificate no CA of this process signed: what the
// provider meets when the emulator's exports (SSL_CERT_FILE) are not loaded.
func untrustedTLSServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "unreachable", 500) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

// tlsNotTrusted matches the one wording of an untrusted certificate: SSL_CERT_FILE and the emulator's
// exports, never "check the credentials".
var tlsNotTrusted = regexp.MustCompile(`(?s)TLS certificate not trusted.*` + wrapTolerant(`signed by an authority this machine does not trust`) +
	`.*` + wrapTolerant("load the emulator's exports") + `.*` + regexp.QuoteMeta(". bin/emulator/env") + `.*SSL_CERT_FILE`)

// An untrusted certificate at the token endpoint, met on the Graph path (describeGraphError words every
// failure of a Graph operation, its token's included). A Graph endpoint itself cannot be made untrusted
// here: the emulator's Entra ID refuses tokens for a resource it does not know.
func TestAccTransport_untrustedCertificateToken(t *testing.T) {
	env := newAccEnv(t, 1)
	env.requireEmulator(t)
	untrusted := untrustedTLSServer(t)
	ts := env.emu.ts
	dataSource := fmt.Sprintf(`
data "lkps_client_authorization" "test" {
  agent_client_id = %q
  client_id       = %q
}`, env.agent, env.clients[0])
	withToken := strings.Replace(env.providerBlock, fmt.Sprintf("%q", ts.AuthorityHost), fmt.Sprintf("%q", untrusted), 1)
	if withToken == env.providerBlock {
		t.Fatal("the provider block was not rewritten")
	}
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: withToken + dataSource, ExpectError: tlsNotTrusted},
		},
	})
}

// An untrusted certificate at LKPS, when the agent is registered.
func TestAccTransport_untrustedCertificateLKPS(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	untrusted := untrustedTLSServer(t)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: r.providerWith(fmt.Sprintf("  lkps_base_url = %q", untrusted)) + fmt.Sprintf(`
resource "lkps_agent_registration" "test" {
  agent_client_id        = %q
  agent_client_secret_wo = %q
}`, r.agent, r.secret),
			ExpectError: tlsNotTrusted,
		}},
	})
}

// TestTroubleshootingDocNamesTheDiagnostics keeps the Troubleshooting section of the provider page
// (templates/index.md.tmpl, rendered to docs/index.md) in step with what the provider prints: every
// diagnostic title it quotes must be the one the code uses, and every row of the LKPS guide's tables must
// be there.
func TestTroubleshootingDocNamesTheDiagnostics(t *testing.T) {
	raw, err := os.ReadFile("../../docs/index.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	start := strings.Index(doc, "## Troubleshooting")
	if start < 0 {
		t.Fatal("docs/index.md has no Troubleshooting section")
	}
	section := doc[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	entry := environments.MustLookup(environments.NonProd, environments.EU)
	for _, want := range []string{
		// The guide's tables and rows ("Ocelot Access Setup" → Troubleshooting).
		"### 401 Unauthorized", "Expired or invalid Entra JWT", "Token does not target the LKPS audience",
		"### 403 Forbidden (from Ocelot)", "Client ID not in the Ocelot route's Client Access List", "Wrong environment",
		"### 403 Forbidden (from LKPS)", "Client not authorized for the target agent",
		"### Unable to access the Ocelot UI", "No access to the Ocelot UI",
		// The diagnostics, as the code names them.
		lkpsErrorSummary(lkps.KindOcelotUnauthorized), lkpsErrorSummary(lkps.KindOcelotForbidden),
		lkpsErrorSummary(lkps.KindClientNotAuthorized), "LKPS Would Refuse Every Session Start",
		"Check block assertion failed", lkps.CheckScopeMissing, lkps.CheckClientNotPreauthorized, lkps.CheckScopeNotGranted,
		// The credential, Graph and proxy diagnostics (diagnostics.go, preauthorized_client_checks.go).
		"No credentials found", "Authentication failed", "AADSTS7000215: the client secret is wrong",
		"Insufficient privileges on the agent application", "Scope not found on the agent", "Client application not found in the tenant",
		"something between the provider and LKPS answered", "Application.ReadWrite.OwnedBy",
		"Missing: ownership.", "Missing: a Microsoft Graph application permission.",
		// Issue 19's cases: TLS trust, a duplicate in one configuration, swapped import IDs, a change of case, the
		// open registration on destroy.
		auth.SummaryTLSUntrusted, ". bin/emulator/env", "SSL_CERT_FILE",
		"Duplicate pre-authorization in this configuration", "Remove the duplicate resource", "The client is already pre-authorized",
		"Import ID looks swapped", "the plan is empty in both directions",
		"The Agent Stays Registered with LKPS", "every client application on the Client Access List",
		// The places the fixes send the user to.
		entry.OcelotRouteURL, entry.OcelotAccessURL, entry.LKPSAudience,
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the Troubleshooting section does not mention %q", want)
		}
	}
}
