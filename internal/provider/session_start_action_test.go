package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

func TestValidateSessionCredentials(t *testing.T) {
	str := func(s string) types.String {
		switch s {
		case "":
			return types.StringNull()
		case "?":
			return types.StringUnknown()
		}
		return types.StringValue(s)
	}
	boolean := func(s string) types.Bool {
		switch s {
		case "":
			return types.BoolNull()
		case "?":
			return types.BoolUnknown()
		}
		return types.BoolValue(s == "true")
	}
	const client = "22222222-2222-2222-2222-222222222222"
	tests := []struct {
		name                             string
		clientID, secret, cert, password string
		oidc, providerIdentity           string
		wantSummary                      string
	}{
		{"secret", client, "LKPS_CLIENT_SECRET", "", "", "", "", ""},
		{"unknown secret", client, "?", "", "", "", "", ""},
		{"certificate with password", client, "", "/secrets/client.pfx", "CERT_PASSWORD", "", "", ""},
		{"a secret where its variable's name belongs", client, "Xq8~s3cr3t.value-that-is-no-name", "", "", "", "", "Not an Environment Variable Name"},
		{"oidc", client, "", "", "", "true", "", ""},
		{"provider identity without client ID", "", "", "", "", "", "true", ""},
		{"provider identity with client ID", client, "", "", "", "", "true", ""},
		{"nothing", client, "", "", "", "", "", "Missing Client Credentials"},
		{"oidc false", client, "", "", "", "false", "", "Missing Client Credentials"},
		{"secret and oidc", client, "S", "", "", "true", "", "Conflicting Client Credentials"},
		{"secret and unknown provider identity", client, "S", "", "", "", "?", "Conflicting Client Credentials"},
		{"secret without client ID", "", "S", "", "", "", "", "Missing Client ID"},
		{"oidc without client ID", "", "", "", "", "true", "", "Missing Client ID"},
		{"password without certificate", client, "S", "", "PW", "", "", "Certificate Password Without Certificate"},
	}
	t.Run("secret from a variable and a file", func(t *testing.T) {
		var diags diag.Diagnostics
		validateSessionCredentials(sessionStartModel{AgentClientID: str(client), ClientID: str(client),
			ClientSecretEnvVar: str("S"), ClientSecretFilePath: str("/f"), ClientCertificatePath: str(""),
			ClientCertificateEnvVar: str(""), ClientCertificatePasswordEnvVar: str(""), UseOIDC: boolean(""), UseProviderIdentity: boolean("")}, &diags)
		if diags.ErrorsCount() != 1 || diags.Errors()[0].Summary() != "Conflicting Client Credentials" {
			t.Fatalf("want Conflicting Client Credentials, got %v", diags)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sessionStartModel{
				AgentClientID: types.StringValue("11111111-1111-1111-1111-111111111111"), ClientID: str(tt.clientID),
				ClientSecretEnvVar: str(tt.secret), ClientCertificatePath: str(tt.cert), ClientCertificatePasswordEnvVar: str(tt.password),
				UseOIDC: boolean(tt.oidc), UseProviderIdentity: boolean(tt.providerIdentity),
			}
			var diags diag.Diagnostics
			validateSessionCredentials(m, &diags)
			if tt.wantSummary == "" {
				if diags.HasError() {
					t.Fatalf("unexpected errors: %v", diags)
				}
				return
			}
			if diags.ErrorsCount() != 1 || diags.Errors()[0].Summary() != tt.wantSummary {
				t.Fatalf("want one error %q, got %v", tt.wantSummary, diags)
			}
		})
	}
}

// actionSkipVersion is the first Terraform with actions.
const actionSkipVersion = "1.14.0"

// sessionWorld is an emulator with an agent and a client application (each with a known secret) and a
// terraform working directory with the documented lkps_session_start examples, driven through the
// terraform CLI: terraform-plugin-testing has no step that invokes an action, and the tests assert the
// output a user sees.
type sessionWorld struct {
	*accEnv
	client, clientSecret, agentSecret string
	route                             environments.Entry
	c                                 *cli
}

// newSessionWorld starts the emulator; the agent is on the route's Client Access List, the client only
// when clientAllowed. clientSecret is the secret the configuration presents ("" means the right one).
func newSessionWorld(t *testing.T, clientAllowed bool, clientSecret string) *sessionWorld {
	t.Helper()
	bin, _ := cliPath(t, actionSkipVersion, "actions arrived in Terraform 1.14")
	env := newAccEnv(t, 1)
	env.requireEmulator(t)
	w := &sessionWorld{accEnv: env, client: env.clients[0], clientSecret: "client-secret-" + directory.NewGUID(),
		agentSecret: "agent-secret-" + directory.NewGUID(), route: environments.MustLookup(environments.NonProd, environments.EU)}
	admin := env.emu.ts.Admin()
	for app, secret := range map[string]string{env.agent: w.agentSecret, w.client: w.clientSecret} {
		if err := admin.AddSecret(app, secret); err != nil {
			t.Fatal(err)
		}
	}
	list := []string{env.emu.ts.DeployerClientID, env.agent}
	if clientAllowed {
		list = append(list, w.client)
	}
	if err := admin.SetAccessList(w.route.Key(), list); err != nil {
		t.Fatal(err)
	}
	if clientSecret == "" {
		clientSecret = w.clientSecret
	}
	w.c = newCLI(t, bin, serveProviders(t, map[string]func() tfprotov6.ProviderServer{"registry.terraform.io/bayer/lkps": lkpsServer}))
	w.c.write("versions.tf", `terraform {
  required_providers {
    lkps = { source = "bayer/lkps" }
  }
}
`)
	w.c.write("provider.tf", env.providerBlock)
	w.c.write("action.tf", exampleFile(t, "actions", "lkps_session_start", "action.tf"))
	w.c.write("terraform.tfvars", fmt.Sprintf("agent_client_id = %q\nclient_id = %q\nagent_secret = %q\n",
		env.agent, w.client, w.agentSecret))
	// The example's client_secret_env_var: the provider runs in this process, so it reads this variable.
	t.Setenv("LKPS_CLIENT_SECRET", clientSecret)
	return w
}

// withTrigger adds the documented action_trigger example (scope, pre-authorization, registration that
// triggers the action).
func (w *sessionWorld) withTrigger(t *testing.T) {
	t.Helper()
	w.c.write("action_trigger.tf", exampleFile(t, "actions", "lkps_session_start", "action_trigger.tf"))
}

// withVariable declares the agent_secret variable of terraform.tfvars when the trigger example, which
// declares it, is not used.
func (w *sessionWorld) withoutTrigger(extra string) {
	w.c.write("setup.tf", `variable "agent_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}
`+extra)
}

// invoke runs terraform apply -invoke for the example's action and returns the output and exit code.
func (w *sessionWorld) invoke(t *testing.T) (string, int) {
	t.Helper()
	out, code := w.c.run([]int{0, 1}, "apply", "-no-color", "-input=false", "-auto-approve", "-invoke=action.lkps_session_start.check")
	t.Logf("$ terraform apply -auto-approve -invoke=action.lkps_session_start.check   # exit %d\n%s", code, out)
	return out, code
}

// refusedInvocation invokes the action, without a trigger, in a new session world (newSessionWorld) and
// returns the world and the output of the refused invocation.
func refusedInvocation(t *testing.T, clientAllowed bool, clientSecret string) (*sessionWorld, string) {
	t.Helper()
	w := newSessionWorld(t, clientAllowed, clientSecret)
	w.withoutTrigger("")
	w.c.run([]int{0}, "init", "-input=false", "-no-color")
	return w, w.invokeRefused(t)
}

// invokeRefused invokes the action and fails the test unless terraform exits with 1 (the action's error).
func (w *sessionWorld) invokeRefused(t *testing.T) string {
	t.Helper()
	out, code := w.invoke(t)
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	return out
}

// sessionStarts counts the session starts LKPS answered with 200 for the client.
func (w *sessionWorld) sessionStarts(status int) int {
	n := 0
	for _, a := range w.emu.ts.Admin().State().Audit {
		if a.Path == "/api/session/start" && a.Status == status && strings.EqualFold(a.ClientID, w.client) {
			n++
		}
	}
	return n
}

// expectOutput checks that the output matches every pattern (spaces match any white space, as
// Terraform wraps diagnostics) and that it never shows a secret or a token.
func (w *sessionWorld) expectOutput(t *testing.T, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(wrapTolerant(p)).MatchString(out) {
			t.Errorf("the output lacks %q", p)
		}
	}
	for _, s := range []string{w.clientSecret, w.agentSecret, w.emu.ts.DeployerSecret} {
		if strings.Contains(out, s) {
			t.Errorf("the output shows a secret")
		}
	}
	if jwtPattern.MatchString(out) {
		t.Errorf("the output shows a token")
	}
}

// The documented trigger example: the registration is created after the scope and the pre-authorization,
// and the action then starts a session (200) in the same apply; invoking it again starts one more
// session, exactly one per invocation.
func TestAccSessionStart_authorized(t *testing.T) {
	w := newSessionWorld(t, true, "")
	w.withTrigger(t)
	w.c.run([]int{0}, "init", "-input=false", "-no-color")
	out, _ := w.c.run([]int{0}, "apply", "-no-color", "-input=false", "-auto-approve")
	t.Logf("$ terraform apply -auto-approve\n%s", out)
	ok := []string{
		`The token belongs to client ID ` + w.client,
		`POST ` + regexp.QuoteMeta(w.emu.ts.LKPSBaseURLs[w.route.Key()]) + `/api/session/start with agent_entra_app_id ` + w.agent,
		`HTTP 200 from LKPS: session started for client ` + w.client + ` with agent ` + w.agent + ` in room agent-`,
	}
	w.expectOutput(t, out, append(ok, `Apply complete! Resources: 3 added, 0 changed, 0 destroyed.`)...)
	if n := w.sessionStarts(200); n != 1 {
		t.Errorf("the apply with the trigger started %d sessions, want 1", n)
	}
	out, code := w.invoke(t)
	if code != 0 {
		t.Fatalf("the invocation failed")
	}
	w.expectOutput(t, out, ok...)
	if n := w.sessionStarts(200); n != 2 {
		t.Errorf("after one more invocation LKPS started %d sessions, want 2", n)
	}
}

// A client that is not on the Client Access List gets Ocelot's 403, with the route to request access on.
func TestAccSessionStart_notOnAccessList(t *testing.T) {
	w, out := refusedInvocation(t, false, "")
	w.expectOutput(t, out,
		`HTTP 403 from Ocelot: Client application '`+w.client+`' is not on the Client Access List`,
		`Error: Error when invoking action`,
		`Caller Not on the Ocelot Route's Client Access List \(403 Forbidden from Ocelot\): Could not start a session`,
		`request access for client ID `+w.client+` on the Ocelot route page `+regexp.QuoteMeta(w.route.OcelotRouteURL))
	if n := w.emu.ts.Admin().Counter(emulator.CounterLKPSSession); n != 1 {
		t.Errorf("%d session start requests reached the gateway, want 1", n)
	}
}

// A registered agent that does not pre-authorize the client: LKPS's 403 with the failed check, explained
// with lkps_client_authorization's rule on what Graph shows.
func TestAccSessionStart_notPreauthorized(t *testing.T) {
	w := newSessionWorld(t, true, "")
	w.withoutTrigger(fmt.Sprintf(`
resource "lkps_agent_client_scope" "agent" {
  agent_client_id = %[1]q
}

resource "lkps_agent_registration" "agent" {
  agent_client_id        = %[1]q
  agent_client_secret_wo = var.agent_secret
  depends_on             = [lkps_agent_client_scope.agent]
}
`, w.agent))
	w.c.run([]int{0}, "init", "-input=false", "-no-color")
	w.c.run([]int{0}, "apply", "-no-color", "-input=false", "-auto-approve")
	out := w.invokeRefused(t)
	w.expectOutput(t, out,
		`HTTP 403 from LKPS: Client '`+w.client+`' is not pre-authorized by agent '`+w.agent+`'.* \(failed_check client_not_preauthorized\)`,
		`Client Not Authorized for the Agent \(403 Forbidden from LKPS\): Could not start a session`,
		`Check 2 failed: client application `+w.client+` is not listed in the agent's preAuthorizedApplications`,
		`lkps_client_authorization's rule, on the agent's app registration as Microsoft Graph shows it now: client_not_preauthorized:`)
	if n := w.sessionStarts(403); n != 1 {
		t.Errorf("LKPS refused %d session starts, want 1", n)
	}
}

// An agent that is not registered in the region: 404 with the registration to make.
func TestAccSessionStart_agentNotRegistered(t *testing.T) {
	w, out := refusedInvocation(t, true, "")
	w.expectOutput(t, out,
		`HTTP 404 from LKPS: Agent '`+w.agent+`' is not registered in the nonprod eu deployment`,
		`Agent Not Registered with LKPS \(404 Not Found\): Could not start a session`,
		`The agent owner must register agent `+w.agent+` with LKPS .*lkps_agent_registration`)
}

// A wrong client secret: Entra ID refuses it (401, AADSTS7000215) before any request reaches Ocelot,
// and the fix is named on the attribute.
func TestAccSessionStart_wrongClientSecret(t *testing.T) {
	w, out := refusedInvocation(t, true, "not-the-secret")
	w.expectOutput(t, out,
		`Microsoft Entra ID refused the token request: HTTP 401, AADSTS7000215`,
		`Error: Error when invoking action`,
		`Authentication failed: AADSTS7000215: the client secret is wrong: use the secret's Value \(shown once when it was created\), not its Secret ID`)
	if n := w.emu.ts.Admin().Counter(emulator.CounterLKPSSession); n != 0 {
		t.Errorf("%d session start requests were sent without a token", n)
	}
}

// A token for another audience (here the provider's lkps_token_scope points at Graph): Ocelot's 401,
// with the documented LKPS audience and scope to request instead.
func TestAccSessionStart_ocelotUnauthorized(t *testing.T) {
	w := newSessionWorld(t, true, "")
	w.withoutTrigger("")
	block := strings.TrimRight(w.providerBlock, "}\n") + fmt.Sprintf("\n  lkps_token_scope = %q\n}\n", w.emu.ts.GraphBaseURL+"/.default")
	w.c.write("provider.tf", block)
	w.c.run([]int{0}, "init", "-input=false", "-no-color")
	out := w.invokeRefused(t)
	w.expectOutput(t, out,
		`HTTP 401 from Ocelot: The token's audience is not `+regexp.QuoteMeta(w.route.LKPSAudience),
		`Ocelot Rejected the Access Token \(401 Unauthorized\): Could not start a session`,
		`but nonprod/eu expects `+regexp.QuoteMeta(w.route.LKPSAudience)+`: the token does not target the LKPS audience`)
}

// The action's page is a static template (tfplugindocs renders action schemas only with a Terraform 1.14
// CLI, and the docs are generated with the installed one): it must name every argument of the schema.
func TestSessionStartDocNamesEveryArgument(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "templates", "actions", "session_start.md.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	var resp action.SchemaResponse
	(&sessionStartAction{}).Schema(context.Background(), action.SchemaRequest{}, &resp)
	for name, a := range resp.Schema.Attributes {
		kind := "Optional"
		if a.IsRequired() {
			kind = "Required"
		}
		if !strings.Contains(string(b), fmt.Sprintf("* `%s` (", name)) || !strings.Contains(string(b), fmt.Sprintf("* `%s` (%s, %s)", name, typeName(a), kind)) {
			t.Errorf("the action's page does not list %s as %s, %s", name, typeName(a), kind)
		}
	}
}

func typeName(a interface{ GetType() attr.Type }) string {
	if a.GetType().Equal(types.BoolType) {
		return "Boolean"
	}
	return "String"
}

// use_oidc: the provider signs in as the deployer with a GitHub Actions token, and the action presents
// the same token as the client application, through the client's federated credential: no secret. The
// agent is registered with enforce_client_authz = false, so the session starts (200).
func TestAccSessionStart_oidc(t *testing.T) {
	w := newSessionWorld(t, true, "")
	ts := w.emu.ts
	if err := ts.Admin().AddFederatedCredential(w.client, *agentFIC(gitHubSubject, entra.FederatedAudience)); err != nil {
		t.Fatal(err)
	}
	w.c.write("provider.tf", emulatorProvider(ts, ts.LKPSBaseURLs[w.route.Key()], gitHubOIDCSignIn(t, ts)))
	w.c.write("action.tf", fmt.Sprintf(`
action "lkps_session_start" "check" {
  config {
    agent_client_id = %[1]q
    client_id       = %[2]q
    use_oidc        = true
  }
}

variable "agent_client_id" { type = string }
variable "client_id" { type = string }
`, w.agent, w.client))
	w.withoutTrigger(fmt.Sprintf(`
resource "lkps_agent_registration" "agent" {
  agent_client_id        = %q
  agent_client_secret_wo = var.agent_secret
  enforce_client_authz   = false
}
`, w.agent))
	w.c.run([]int{0}, "init", "-input=false", "-no-color")
	w.c.run([]int{0}, "apply", "-no-color", "-input=false", "-auto-approve")
	out, code := w.invoke(t)
	if code != 0 {
		t.Fatalf("the invocation failed")
	}
	w.expectOutput(t, out,
		`with the provider's GitHub Actions OIDC token, exchanged for a token of `+w.client,
		`The token belongs to client ID `+w.client,
		`HTTP 200 from LKPS: session started for client `+w.client)
}

// At TF_LOG=TRACE neither Terraform's log nor the provider's holds the client's secret, the provider's,
// the agent's, or a token, through a whole apply that registers the agent and triggers the action.
func TestAccSessionStart_noSecretsInLogs(t *testing.T) {
	w := newSessionWorld(t, true, "")
	logFile := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	t.Setenv("TF_LOG", "TRACE")
	ts := w.emu.ts
	cfg := fmt.Sprintf(`
variable "provider_secret" {
  type      = string
  sensitive = true
}
%s`, emulatorProvider(ts, ts.LKPSBaseURLs[w.route.Key()], providerSecretVariable)) +
		exampleFile(t, "actions", "lkps_session_start", "action.tf") +
		exampleFile(t, "actions", "lkps_session_start", "action_trigger.tf")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{skipBelow(actionSkipVersion, "actions arrived in Terraform 1.14")},
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigVariables: config.Variables{
				"provider_secret": config.StringVariable(ts.DeployerSecret), "agent_secret": config.StringVariable(w.agentSecret),
				"agent_client_id": config.StringVariable(w.agent),
				"client_id":       config.StringVariable(w.client),
			},
			Check: func(*terraformState) error {
				if n := w.sessionStarts(200); n != 1 {
					return fmt.Errorf("the triggered action started %d sessions, want 1", n)
				}
				return nil
			},
		}},
	})
	expectNoSecretsInLog(t, logFile, []string{"lkps_session_start: HTTP 200 from LKPS", "InvokeAction", "client_secret_env_var"},
		[]string{w.clientSecret, w.agentSecret, ts.DeployerSecret})
}
