package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/lkpsapi"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// credentialConfig builds a configuration model with the given credential attributes; "" and nil mean null.
func credentialConfig(secret, cert, password string, useProvider *bool, secretVersion, certVersion *int64) agentRegistrationResourceModel {
	str := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		if s == "?" {
			return types.StringUnknown()
		}
		return types.StringValue(s)
	}
	m := agentRegistrationResourceModel{
		AgentClientID:                    types.StringValue("11111111-1111-1111-1111-111111111111"),
		AgentClientSecretWO:              str(secret),
		AgentClientCertificateWO:         str(cert),
		AgentClientCertificatePasswordWO: str(password),
		UseProviderIdentity:              types.BoolNull(),
		AgentClientSecretWOVersion:       types.Int64Null(),
		AgentClientCertificateWOVersion:  types.Int64Null(),
	}
	if useProvider != nil {
		m.UseProviderIdentity = types.BoolValue(*useProvider)
	}
	if secretVersion != nil {
		m.AgentClientSecretWOVersion = types.Int64Value(*secretVersion)
	}
	if certVersion != nil {
		m.AgentClientCertificateWOVersion = types.Int64Value(*certVersion)
	}
	return m
}

func TestValidateAgentCredentials(t *testing.T) {
	yes, no := true, false
	one := int64(1)
	tests := []struct {
		name     string
		config   agentRegistrationResourceModel
		wantPath string // "" means no error
		wantText string
	}{
		{"secret", credentialConfig("s3cret", "", "", nil, nil, nil), "", ""},
		{"secret with version", credentialConfig("s3cret", "", "", &no, &one, nil), "", ""},
		{"unknown secret counts as set", credentialConfig("?", "", "", nil, nil, nil), "", ""},
		{"certificate with password and version", credentialConfig("", "PEM", "pw", nil, nil, &one), "", ""},
		{"provider identity", credentialConfig("", "", "", &yes, nil, nil), "", ""},
		{"nothing", credentialConfig("", "", "", nil, nil, nil), "agent_client_id", "Missing Agent Credentials"},
		{"provider identity false", credentialConfig("", "", "", &no, nil, nil), "agent_client_id", "Missing Agent Credentials"},
		{"secret and certificate", credentialConfig("s", "PEM", "", nil, nil, nil), "agent_client_certificate_wo", "Conflicting Agent Credentials"},
		{"secret and provider identity", credentialConfig("s", "", "", &yes, nil, nil), "use_provider_identity", "Conflicting Agent Credentials"},
		{"password without certificate", credentialConfig("s", "", "pw", nil, nil, nil), "agent_client_certificate_password_wo", "Certificate Password Without Certificate"},
		{"secret version without secret", credentialConfig("", "PEM", "", nil, &one, nil), "agent_client_secret_wo_version", "Secret Version Without Secret"},
		{"certificate version without certificate", credentialConfig("s", "", "", nil, nil, &one), "agent_client_certificate_wo_version", "Certificate Version Without Certificate"},
	}
	// A module offering both choices: use_provider_identity comes from an input, unknown at validate.
	moduleChoice := credentialConfig("s", "", "", nil, nil, nil)
	moduleChoice.UseProviderIdentity = types.BoolUnknown()
	tests = append(tests, struct {
		name     string
		config   agentRegistrationResourceModel
		wantPath string
		wantText string
	}{"secret and an unknown provider identity", moduleChoice, "", ""})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var diags diag.Diagnostics
			validateAgentCredentials(tt.config, &diags)
			if tt.wantPath == "" {
				if diags.HasError() {
					t.Fatalf("unexpected errors: %v", diags)
				}
				return
			}
			if diags.ErrorsCount() != 1 {
				t.Fatalf("want exactly one error, got %v", diags)
			}
			d := diags.Errors()[0]
			withPath, ok := d.(diag.DiagnosticWithPath)
			if !ok || !withPath.Path().Equal(path.Root(tt.wantPath)) {
				t.Errorf("error %q is not on attribute %s", d.Summary(), tt.wantPath)
			}
			if d.Summary() != tt.wantText {
				t.Errorf("summary = %q, want %q", d.Summary(), tt.wantText)
			}
		})
	}
}

func TestNeedsRegistration(t *testing.T) {
	base := agentRegistrationResourceModel{
		EnforceClientAuthz:              types.BoolValue(true),
		UseProviderIdentity:             types.BoolValue(false),
		AgentClientSecretWOVersion:      types.Int64Value(1),
		AgentClientCertificateWOVersion: types.Int64Null(),
		LiveKitURL:                      types.StringValue("https://eu.livekit-np.int.bayer.com"),
	}
	tests := []struct {
		name   string
		change func(plan, state *agentRegistrationResourceModel)
		want   bool
	}{
		{"nothing changed", func(_, _ *agentRegistrationResourceModel) {}, false},
		{"timeouts only", func(p, _ *agentRegistrationResourceModel) { p.RegisteredAt = types.StringValue("x") }, false},
		{"flag", func(p, _ *agentRegistrationResourceModel) { p.EnforceClientAuthz = types.BoolValue(false) }, true},
		{"secret rotated", func(p, _ *agentRegistrationResourceModel) { p.AgentClientSecretWOVersion = types.Int64Value(2) }, true},
		{"certificate version added", func(p, _ *agentRegistrationResourceModel) {
			p.AgentClientCertificateWOVersion = types.Int64Value(1)
		}, true},
		{"credential switched to provider identity", func(p, _ *agentRegistrationResourceModel) {
			p.UseProviderIdentity = types.BoolValue(true)
		}, true},
		{"imported state", func(_, s *agentRegistrationResourceModel) {
			s.EnforceClientAuthz = types.BoolNull()
			s.LiveKitURL = types.StringNull()
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, state := base, base
			tt.change(&plan, &state)
			if got := needsRegistration(plan, state); got != tt.want {
				t.Errorf("needsRegistration = %t, want %t", got, tt.want)
			}
		})
	}
}

// Every kind of LKPS failure gets its own summary, and the detail carries the lkps package's advice.
func TestLKPSErrorDiagnostics(t *testing.T) {
	seen := map[string]lkps.Kind{}
	for k := lkps.KindToken; k <= lkps.KindWrongIdentity; k++ {
		s := lkpsErrorSummary(k)
		if s == lkpsErrorSummary(lkps.Kind(0)) {
			t.Errorf("kind %s has no summary of its own", k)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("kinds %s and %s share the summary %q", k, other, s)
		}
		seen[s] = k
	}

	attr := path.Root("agent_client_secret_wo")
	tests := []struct {
		err       error
		wantPath  bool
		wantParts []string
	}{
		{&lkps.Error{Kind: lkps.KindWrongIdentity, Op: "verify caller", CallerAppID: "22222222-2222-2222-2222-222222222222",
			AgentAppID: "11111111-1111-1111-1111-111111111111"}, true,
			[]string{"Could not register the agent: the LKPS access token belongs to application 22222222-2222-2222-2222-222222222222",
				"would record the registration under application 22222222-2222-2222-2222-222222222222"}},
		{&lkps.Error{Kind: lkps.KindToken, Op: "register agent", Err: errors.New("AADSTS7000215: invalid secret")}, true,
			// Entra ID refused the agent's secret: the code's meaning first, the raw answer after.
			[]string{"AADSTS7000215: the client secret is wrong", "Could not register the agent: Microsoft Entra ID refused the credentials",
				"Raw response:\nAADSTS7000215: invalid secret"}},
		{&lkps.Error{Kind: lkps.KindOcelotForbidden, Op: "register agent", StatusCode: 403, Source: lkps.SourceOcelot,
			CallerAppID: "11111111-1111-1111-1111-111111111111"}, false,
			[]string{"Ocelot refused application 11111111-1111-1111-1111-111111111111", "HTTP 403 from Ocelot", "Client Access List"}},
		{&lkps.Error{Kind: lkps.KindInvalidRequest, Op: "register agent", StatusCode: 400, Source: lkps.SourceLKPS,
			Detail: "service_config.enforce_client_authz must be a boolean"}, false,
			[]string{"rejected with 400", "must be a boolean"}},
		{errors.New("plain failure"), false, []string{"Could not register the agent: plain failure."}},
	}
	for _, tt := range tests {
		var diags diag.Diagnostics
		addLKPSError(&diags, "register the agent", attr, tt.err)
		if diags.ErrorsCount() != 1 {
			t.Fatalf("%v: want one error, got %v", tt.err, diags)
		}
		d := diags.Errors()[0]
		_, hasPath := d.(diag.DiagnosticWithPath)
		if hasPath != tt.wantPath {
			t.Errorf("%v: attribute path = %t, want %t", tt.err, hasPath, tt.wantPath)
		}
		for _, part := range tt.wantParts {
			if !strings.Contains(d.Detail(), part) {
				t.Errorf("%v: detail %q lacks %q", tt.err, d.Detail(), part)
			}
		}
	}
}

const registrationAddr = "lkps_agent_registration.test"

// registrationEnv is an acceptance environment whose agent has a known secret and is (unless told
// otherwise) on the Client Access List of the nonprod/eu route.
type registrationEnv struct {
	*accEnv
	secret string
	route  environments.Entry
}

// newRegistrationEnv starts an emulator with an agent. onAccessList puts the agent on the route's Client
// Access List. In the live mode it is the first agent, with the secret LKPS_ACC_AGENT_CLIENT_SECRET,
// which must be on the Client Access List of the route LKPS_ENVIRONMENT/LKPS_REGION (default nonprod/eu).
func newRegistrationEnv(t *testing.T, onAccessList bool) *registrationEnv {
	t.Helper()
	env := newAccEnvFor(t, 0, true)
	if env.emu == nil {
		if !onAccessList {
			t.Skip("needs an agent that is not on the route's Client Access List, which only the emulator can arrange")
		}
		route, err := environments.Lookup(environments.Environment(envOr("LKPS_ENVIRONMENT", string(environments.DefaultEnvironment))),
			environments.Region(envOr("LKPS_REGION", string(environments.DefaultRegion))))
		if err != nil {
			t.Fatal(err)
		}
		return &registrationEnv{accEnv: env, secret: os.Getenv(envAccAgentSecret), route: route}
	}
	r := &registrationEnv{accEnv: env, secret: "agent-registration-secret-" + directory.NewGUID(),
		route: environments.MustLookup(environments.NonProd, environments.EU)}
	admin := env.emu.ts.Admin()
	if err := admin.AddSecret(env.agent, r.secret); err != nil {
		t.Fatal(err)
	}
	if onAccessList {
		list := append([]string{env.emu.ts.DeployerClientID, env.agent}, env.clients...)
		if err := admin.SetAccessList(r.route.Key(), list); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// registrationConfig is the resource with the agent's secret and extra attributes.
func (r *registrationEnv) registrationConfig(extra string) string {
	return r.config(fmt.Sprintf(`
resource "lkps_agent_registration" "test" {
  agent_client_id        = %q
  agent_client_secret_wo = %q
%s
}`, r.agent, r.secret, extra))
}

// providerBlock builds a provider block for the test's emulator with extra settings.
func (r *registrationEnv) providerWith(extra string) string {
	return emulatorProvider(r.emu.ts, "", "", "\n  graph_replication_lag = \"0s\"\n"+extra)
}

// storedRegistration returns LKPS's registration row of the agent in the emulator, if any.
func (r *registrationEnv) storedRegistration(t *testing.T) (emulator.Registration, bool) {
	t.Helper()
	for _, reg := range r.emu.ts.Admin().State().Registrations[r.route.Key()] {
		if strings.EqualFold(reg.AgentAppID, r.agent) {
			return reg, true
		}
	}
	return emulator.Registration{}, false
}

// registerCalls counts the register calls the emulator's LKPS answered (0 in the live mode, where
// LKPS cannot be asked).
func (r *registrationEnv) registerCalls() int64 {
	if r.emu == nil {
		return 0
	}
	return r.emu.ts.Admin().Counter(emulator.CounterLKPSRegister)
}

// expectStoredFlag checks LKPS's stored enforce_client_authz for the agent. LKPS cannot be read, so in
// the live mode only the state (checked separately) tells.
func (r *registrationEnv) expectStoredFlag(t *testing.T, want bool) resource.TestCheckFunc {
	return func(*terraformState) error {
		if r.emu == nil {
			return nil
		}
		reg, ok := r.storedRegistration(t)
		if !ok {
			return fmt.Errorf("LKPS has no registration of %s", r.agent)
		}
		if reg.EnforceClientAuthz != want {
			return fmt.Errorf("LKPS stored enforce_client_authz = %t, want %t", reg.EnforceClientAuthz, want)
		}
		return nil
	}
}

// wrapTolerant makes every space of a pattern match any run of white space, because Terraform wraps
// diagnostic texts at its terminal width.
func wrapTolerant(pattern string) string { return strings.ReplaceAll(pattern, " ", `\s+`) }

// jwtPattern matches a JSON Web Token (access tokens and LiveKit tokens alike).
var jwtPattern = auth.TokenPattern

// noSecretsInState fails when the state holds any of the secrets or anything that looks like a token.
type noSecretsInState struct{ secrets []string }

func (c noSecretsInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	raw, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	if !strings.Contains(string(raw), registrationAddr) && !strings.Contains(string(raw), "lkps_agent_registration") {
		resp.Error = fmt.Errorf("the state holds no agent registration to inspect")
		return
	}
	for _, s := range c.secrets {
		if strings.Contains(string(raw), s) {
			resp.Error = fmt.Errorf("the state contains a secret")
			return
		}
	}
	if jwtPattern.Match(raw) {
		resp.Error = fmt.Errorf("the state contains a token")
	}
}

func TestAccAgentRegistration_basic(t *testing.T) {
	r := newRegistrationEnv(t, true)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: r.registrationConfig("  agent_client_secret_wo_version = 1"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(registrationAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("id"), knownvalue.StringExact(r.agent)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("id"), knownvalue.StringExact(r.agent)),
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("enforce_client_authz"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("use_provider_identity"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("livekit_url"), knownvalue.StringExact(r.route.LiveKitURL)),
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("registered_at"),
						knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("agent_client_secret_wo"), knownvalue.Null()),
					noSecretsInState{secrets: []string{r.secret}},
				},
				Check: r.expectStoredFlag(t, true),
			},
			{
				ResourceName:      registrationAddr,
				ImportState:       true,
				ImportStateId:     strings.ToUpper(r.agent),
				ImportStateVerify: true,
				// LKPS cannot be read: what only the registration call returns is absent after an import.
				ImportStateVerifyIgnore: []string{"enforce_client_authz", "use_provider_identity", "livekit_url", "registered_at",
					"agent_client_secret_wo_version", "timeouts"},
			},
		},
	})
}

// Changing the flag registers again in place, and LKPS's stored flag follows; a new secret version
// registers again too.
func TestAccAgentRegistration_update(t *testing.T) {
	r := newRegistrationEnv(t, true)
	var before int64
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: r.registrationConfig("  agent_client_secret_wo_version = 1"),
				Check:  r.expectStoredFlag(t, true),
			},
			r.registeredAgainOpen(t, resource.TestStep{
				Config: r.registrationConfig("  enforce_client_authz = false\n  agent_client_secret_wo_version = 1"),
			}),
			{
				// A rotated secret: only the version tells Terraform.
				PreConfig: func() { before = r.registerCalls() },
				Config:    r.registrationConfig("  enforce_client_authz = false\n  agent_client_secret_wo_version = 2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(registrationAddr, plancheck.ResourceActionUpdate),
				}},
				Check: func(s *terraformState) error {
					if n := r.registerCalls() - before; r.emu != nil && n != 1 {
						return fmt.Errorf("the version change made %d register calls, want 1", n)
					}
					return r.expectStoredFlag(t, false)(s)
				},
			},
			{
				// Back on; nothing else in LKPS changed.
				Config: r.registrationConfig("  agent_client_secret_wo_version = 2"),
				Check:  r.expectStoredFlag(t, true),
			},
		},
	})
}

// An agent registered outside Terraform is imported by its client ID; the next apply registers it
// again with the configured flag, so the plan shows an update.
func TestAccAgentRegistration_import(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{r.registeredAgainOpen(t, resource.TestStep{
			PreConfig: func() {
				gw := &gateway{t: t, ts: r.emu.ts, base: r.emu.ts.LKPSBaseURLs[r.route.Key()]}
				gw.register(r.agent, true)
			},
			Config: r.registrationConfig("  enforce_client_authz = false") + fmt.Sprintf(`
import {
  to = lkps_agent_registration.test
  id = %q
}`, r.agent),
		})},
	})
}

// registeredAgainOpen adds to step the checks of a step that registers the agent again with
// enforce_client_authz = false: the plan updates the registration with the LiveKit URL unknown until the
// apply, and the state and LKPS then hold the flag off and the region's LiveKit URL.
func (r *registrationEnv) registeredAgainOpen(t *testing.T, step resource.TestStep) resource.TestStep {
	step.ConfigPlanChecks = resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(registrationAddr, plancheck.ResourceActionUpdate),
		plancheck.ExpectUnknownValue(registrationAddr, tfjsonpath.New("livekit_url")),
	}}
	step.ConfigStateChecks = []statecheck.StateCheck{
		statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("enforce_client_authz"), knownvalue.Bool(false)),
		statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("livekit_url"), knownvalue.StringExact(r.route.LiveKitURL)),
	}
	step.Check = r.expectStoredFlag(t, false)
	return step
}

// Every failure of the registration call gets its documented diagnostic, and nothing is registered.
func TestAccAgentRegistration_failures(t *testing.T) {
	tests := []struct {
		name         string
		onAccessList bool
		provider     func(r *registrationEnv) string // "" means the default provider block
		resource     func(r *registrationEnv) string
		want         string
	}{
		{
			name: "wrong identity", onAccessList: true,
			resource: func(r *registrationEnv) string {
				return fmt.Sprintf(`
resource "lkps_agent_registration" "test" {
  agent_client_id       = %q
  use_provider_identity = true
}`, r.agent)
			},
			// The provider's identity is the deployer, not the agent.
			want: `(?s)Agent Credentials Belong to Another Application.*belongs to application %[2]s, not to agent %[1]s.*` +
				`would record the registration under application %[2]s instead of agent %[1]s`,
		},
		{
			name: "bad secret", onAccessList: true,
			resource: func(r *registrationEnv) string {
				return fmt.Sprintf(`
resource "lkps_agent_registration" "test" {
  agent_client_id        = %q
  agent_client_secret_wo = "not-the-agent-secret"
}`, r.agent)
			},
			want: `(?s)Authentication failed.*AADSTS7000215: the client secret is wrong.*Microsoft Entra ID refused the credentials.*` +
				`Raw response:.*AADSTS7000215: Invalid client secret provided`,
		},
		{
			name: "Ocelot 401, token for another audience", onAccessList: true,
			provider: func(r *registrationEnv) string {
				return r.providerWith(fmt.Sprintf("  lkps_base_url    = %q\n  lkps_token_scope = \"https://graph.microsoft.com/.default\"",
					r.emu.ts.LKPSBaseURLs[r.route.Key()]))
			},
			want: `(?s)Ocelot Rejected the Access Token \(401 Unauthorized\).*HTTP 401 from Ocelot.*` +
				`targets the correct audience: api://livekit-platform-service-np\.int\.bayer\.com for nonprod/eu.*` +
				`it is https://graph\.microsoft\.com/\.default here, but the documented scope for nonprod/eu is ` +
				`api://livekit-platform-service-np\.int\.bayer\.com/\.default.*` +
				`Ocelot route: https://devtools-np\.bayer\.com/ocelot\?route=eu-livekit-platform-service-np\.int\.bayer\.com`,
		},
		{
			name: "Ocelot 403, agent not on the access list", onAccessList: false,
			want: `(?s)Caller Not on the Ocelot Route's Client Access List \(403 Forbidden from Ocelot\).*Ocelot refused application %[1]s.*` +
				`request access for client ID %[1]s on the Ocelot route page https://devtools-np\.bayer\.com/ocelot\?route=eu-livekit-platform-service-np\.int\.bayer\.com`,
		},
		{
			name: "LKPS 404, wrong base URL path", onAccessList: true,
			provider: func(r *registrationEnv) string {
				return r.providerWith(fmt.Sprintf("  lkps_base_url = %q", r.emu.ts.LKPSBaseURLs[r.route.Key()]+"/v0"))
			},
			want: `(?s)LKPS Rejected the Request.*rejected with 404.*HTTP 404 from LKPS.*The path was not found.*check the LKPS base URL ` +
				`\(for nonprod/eu the documented URL is https://eu-livekit-platform-service-np\.int\.bayer\.com\)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRegistrationEnv(t, tt.onAccessList)
			r.requireEmulator(t)
			provider := r.providerWith(fmt.Sprintf("  lkps_base_url = %q", r.emu.ts.LKPSBaseURLs[r.route.Key()]))
			if tt.provider != nil {
				provider = tt.provider(r)
			}
			body := r.registrationConfig("")[len(r.providerBlock):]
			if tt.resource != nil {
				body = tt.resource(r)
			}
			want := wrapTolerant(strings.NewReplacer("%[1]s", regexp.QuoteMeta(r.agent),
				"%[2]s", regexp.QuoteMeta(r.emu.ts.DeployerClientID)).Replace(tt.want))
			accTest(t, resource.TestCase{
				Steps: []resource.TestStep{{
					Config:      provider + "\n" + body,
					ExpectError: regexp.MustCompile(want),
				}},
				CheckDestroy: func(*terraformState) error {
					if _, ok := r.storedRegistration(t); ok {
						return fmt.Errorf("a failed registration left a registration of %s in LKPS", r.agent)
					}
					return nil
				},
			})
		})
	}
}

// When the agent's app registration is deleted out of band, refresh removes the registration from
// the state and the plan shows it being created again.
func TestAccAgentRegistration_agentDeleted(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: r.registrationConfig("")},
			{
				PreConfig:          func() { r.emu.deleteApplication(t, r.agent) },
				Config:             r.registrationConfig(""),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(registrationAddr, plancheck.ResourceActionCreate),
				}},
			},
		},
	})
}

// Neither the state nor a TRACE log of the provider and Terraform holds the agent's secret, the
// provider's secret or any token. The secrets reach Terraform through variables, as in real use, so
// that the test framework's own log of the configuration does not contain them. Not parallel: the log
// settings are process-wide.
func TestAccAgentRegistration_noSecretsInLogs(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	logFile := filepath.Join(t.TempDir(), "trace.log")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	t.Setenv("TF_LOG", "TRACE")
	ts := r.emu.ts
	cfg := func(extra string) string {
		return fmt.Sprintf(`
variable "provider_secret" {
  type      = string
  sensitive = true
}

variable "agent_secret" {
  type      = string
  sensitive = true
}
%s
resource "lkps_agent_registration" "test" {
  agent_client_id        = %q
  agent_client_secret_wo = var.agent_secret
%s
}`, emulatorProvider(ts, ts.LKPSBaseURLs[r.route.Key()], providerSecretVariable), r.agent, extra)
	}
	secrets := []string{r.secret, ts.DeployerSecret}
	vars := config.Variables{"provider_secret": config.StringVariable(ts.DeployerSecret), "agent_secret": config.StringVariable(r.secret)}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            cfg("  agent_client_secret_wo_version = 1"),
				ConfigVariables:   vars,
				ConfigStateChecks: []statecheck.StateCheck{noSecretsInState{secrets: secrets}},
				Check:             r.expectStoredFlag(t, true),
			},
			{
				Config:            cfg("  enforce_client_authz = false\n  agent_client_secret_wo_version = 2"),
				ConfigVariables:   vars,
				ConfigStateChecks: []statecheck.StateCheck{noSecretsInState{secrets: secrets}},
				Check:             r.expectStoredFlag(t, false),
			},
		},
	})
	expectNoSecretsInLog(t, logFile, []string{"Registering the agent with LKPS", "PlanResourceChange", "ApplyResourceChange"}, secrets)
}

// expectNoSecretsInLog checks that the TRACE log file holds none of secrets and no token. It must hold
// every one of records (what the run logs when it does its work), or the search proves nothing.
func expectNoSecretsInLog(t *testing.T, logFile string, records, secrets []string) {
	t.Helper()
	raw, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	log := string(raw)
	for _, want := range records {
		if !strings.Contains(log, want) {
			t.Fatalf("the TRACE log (%d bytes) lacks %q; it does not record the provider's work", len(raw), want)
		}
	}
	for i, s := range secrets {
		if strings.Contains(log, s) {
			t.Errorf("the TRACE log contains secret %d", i)
		}
	}
	if m := jwtPattern.FindString(log); m != "" {
		t.Errorf("the TRACE log contains a token (%d characters)", len(m))
	}
	t.Logf("searched %d bytes of TRACE log", len(raw))
}

// logSince returns the part of a log file written after offset, and the file's new size.
func logSince(t *testing.T, file string, offset int) (string, int) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw[min(offset, len(raw)):]), len(raw)
}

// logEntryStart matches the first line of an hclog entry; an entry's fields may continue on further lines.
var logEntryStart = regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\dT`)

// noWarningSince checks that the provider log written after *offset (read when the check runs) holds no
// warning with summary, and that it records the protocol call rpc, so that the absence proves something;
// why says when the provider must not warn.
func noWarningSince(t *testing.T, logFile string, offset *int, summary, rpc, why string) func(*terraformState) error {
	return func(*terraformState) error {
		log, _ := logSince(t, logFile, *offset)
		if rpcs := warningRPCs(log, summary); len(rpcs) > 0 {
			return fmt.Errorf("warned %s: %v", why, rpcs)
		}
		if !strings.Contains(log, rpc) {
			return fmt.Errorf("the log records no %s; the check proves nothing", rpc)
		}
		return nil
	}
}

// warningRPCs lists the protocol calls (tf_rpc) whose responses carried a warning with summary.
func warningRPCs(log, summary string) []string {
	var rpcs []string
	rpc := regexp.MustCompile(`tf_rpc=(\w+)`)
	starts := logEntryStart.FindAllStringIndex(log, -1)
	for i, st := range starts {
		end := len(log)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		entry := log[st[0]:end]
		if strings.Contains(entry, "Response contains warning diagnostic") && strings.Contains(entry, summary) {
			if m := rpc.FindStringSubmatch(entry); m != nil {
				rpcs = append(rpcs, m[1])
			}
		}
	}
	return rpcs
}

// With enforcement on and no access_as_client scope, the provider warns at apply when it registers and
// at plan for the existing registration; once a client is pre-authorized for the scope it is silent.
// The warnings are read from the provider's log, where terraform-plugin-go records every diagnostic.
// Not parallel: the log settings are process-wide.
func TestAccAgentRegistration_sessionWarnings(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	client, err := r.emu.ts.Admin().CreateApplication(emulator.SeedApplication{DisplayName: "warning test client"})
	if err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(t.TempDir(), "provider.log")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	const summary = "LKPS Would Refuse Every Session Start"
	offset := 0
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: r.registrationConfig("")},
			{
				PreConfig: func() {
					var log string
					log, offset = logSince(t, logFile, 0)
					rpcs := strings.Join(warningRPCs(log, summary), " ")
					if !strings.Contains(rpcs, "ApplyResourceChange") || !strings.Contains(rpcs, "PlanResourceChange") {
						t.Errorf("want the warning at apply (registration) and at plan (existing registration), got it in: %q", rpcs)
					}
					if !strings.Contains(log, "does not expose a scope with value exactly") {
						t.Error("the warning does not say that the scope is missing")
					}
					scopeID := directory.NewGUID()
					body := fmt.Sprintf(`{"api":{"oauth2PermissionScopes":[{"id":%q,"value":"access_as_client","type":"User","isEnabled":true}],`+
						`"preAuthorizedApplications":[{"appId":%q,"delegatedPermissionIds":[%q]}]}}`, scopeID, client.Application.AppID, scopeID)
					if _, err := r.emu.ts.Admin().PatchApplication(r.agent, []byte(body)); err != nil {
						t.Fatal(err)
					}
				},
				Config: r.registrationConfig("  agent_client_secret_wo_version = 2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(registrationAddr, plancheck.ResourceActionUpdate),
				}},
				Check: noWarningSince(t, logFile, &offset, summary, "ApplyResourceChange", "although a client is pre-authorized for the scope"),
			},
		},
	})
}

// The LKPS client's advice compares overrides with the documented values, not with themselves.
func TestDocumentedLKPSEntry(t *testing.T) {
	documented := environments.MustLookup(environments.Prod, environments.US)
	configured := documented
	configured.LKPSBaseURL, configured.LKPSHost = "https://127.0.0.1:8443/lkps/prod/us", "127.0.0.1:8443"
	configured.LKPSScope, configured.LKPSAudience = "api://proxy/.default", "api://proxy"
	configured.AuthorityHost, configured.TenantID = "https://127.0.0.1:8443", "11111111-1111-1111-1111-111111111111"

	got := documentedLKPSEntry(configured)
	if got.LKPSBaseURL != documented.LKPSBaseURL || got.LKPSHost != documented.LKPSHost ||
		got.LKPSScope != documented.LKPSScope || got.LKPSAudience != documented.LKPSAudience {
		t.Errorf("LKPS values not the documented ones: %+v", got)
	}
	if got.AuthorityHost != configured.AuthorityHost || got.TenantID != configured.TenantID || got.OcelotRouteURL != documented.OcelotRouteURL {
		t.Errorf("other values changed: %+v", got)
	}
	if e := documentedLKPSEntry(environments.Entry{}); e != (environments.Entry{}) {
		t.Errorf("an unknown environment must be left alone, got %+v", e)
	}
}

// LKPS documents only livekit_url of its register answer. Answers with other timestamp forms, extra or
// missing fields and echoes that differ must not fail an apply after LKPS has stored the registration;
// a proxy's HTML page must be reported as such. The emulator's admin knobs vary the answer.
// Not parallel: the provider log path is process-wide.
func TestAccAgentRegistration_unforeseenAnswers(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	admin := r.emu.ts.Admin()
	logFile := filepath.Join(t.TempDir(), "provider.log")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	offset := 0
	setAnswer := func(a lkpsapi.RegisterAnswer) {
		if err := admin.SetRegisterAnswer(a); err != nil {
			t.Fatal(err)
		}
	}
	const echoWarning = "LKPS Echoed Another enforce_client_authz"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Unix seconds and fields nobody asked for: read, and the extras ignored.
				PreConfig: func() {
					setAnswer(lkpsapi.RegisterAnswer{TimestampFormat: lkpsapi.TimestampUnix,
						Extra: map[string]any{"region": "eu", "quota": map[string]any{"sessions": 10}, "tags": []string{"a"}}})
				},
				Config: r.registrationConfig("  enforce_client_authz = false\n  agent_client_secret_wo_version = 1"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("registered_at"),
						knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("livekit_url"), knownvalue.StringExact(r.route.LiveKitURL)),
				},
				Check: r.expectStoredFlag(t, false),
			},
			{
				// A timestamp in an unknown form, a missing echo of the agent, and an echoed flag that differs
				// from the one sent: the apply succeeds, registered_at is null, the flag stays as configured,
				// and a warning names enforce_client_authz.
				PreConfig: func() {
					_, offset = logSince(t, logFile, 0)
					setAnswer(lkpsapi.RegisterAnswer{TimestampFormat: lkpsapi.TimestampText, Omit: []string{"agent_entra_app_id"},
						Override: map[string]any{"enforce_client_authz": true}})
				},
				Config: r.registrationConfig("  enforce_client_authz = false\n  agent_client_secret_wo_version = 2"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("registered_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("enforce_client_authz"), knownvalue.Bool(false)),
				},
				Check: func(s *terraformState) error {
					if err := r.expectStoredFlag(t, false)(s); err != nil {
						return err
					}
					log, _ := logSince(t, logFile, offset)
					if rpcs := strings.Join(warningRPCs(log, echoWarning), " "); !strings.Contains(rpcs, "ApplyResourceChange") {
						return fmt.Errorf("no %q warning at apply (got it in %q)", echoWarning, rpcs)
					}
					if !strings.Contains(log, "says enforce_client_authz = true where the registration was made with false") {
						return fmt.Errorf("the warning does not name the field and both values")
					}
					return nil
				},
			},
			{
				// A proxy in front of Ocelot answers with its own HTML page.
				PreConfig: func() {
					setAnswer(lkpsapi.RegisterAnswer{})
					if err := admin.SetProxyPage(&lkpsapi.ProxyPage{Status: 502,
						Body: "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>proxy.corp</p></body></html>"}); err != nil {
						t.Fatal(err)
					}
				},
				Config: r.registrationConfig("  enforce_client_authz = false\n  agent_client_secret_wo_version = 3"),
				ExpectError: regexp.MustCompile(`(?s)` + wrapTolerant(`LKPS Server Error.*something between the provider and LKPS answered HTTP 502 with a body of type text/html \("502 Bad Gateway"\)`) +
					`(?s).*` + wrapTolerant(`Ocelot and LKPS answer in JSON, so this page came from a proxy`) + `.*HTTPS_PROXY`),
			},
			{
				PreConfig: func() {
					if err := admin.SetProxyPage(nil); err != nil {
						t.Fatal(err)
					}
				},
				Config: r.registrationConfig("  enforce_client_authz = false\n  agent_client_secret_wo_version = 3"),
			},
		},
	})
}

// Destroying a registration warns that LKPS keeps it. With enforce_client_authz = false the warning says
// plainly that every client on the Ocelot Client Access List can still start sessions, and its first
// remedy is to register with enforcement on; with enforcement on, its first remedy is the
// pre-authorizations. Read from the provider's log; not parallel: the log settings are process-wide.
func TestAccAgentRegistration_destroyWarningMatchesFlag(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	const summary = "The Agent Stays Registered with LKPS"
	for _, tt := range []struct {
		flag       string
		want, not  string
		firstFixOf string
	}{
		{flag: "false", want: "every client application on the Client Access List of", firstFixOf: "register the agent again with enforce_client_authz = true",
			not: "remove the clients from the agent's pre-authorized applications"},
		{flag: "true", want: "Only the clients pre-authorized for the agent's access_as_client scope can still start sessions",
			firstFixOf: "remove the clients from the agent's pre-authorized applications", not: "every client application on the Client Access List"},
	} {
		t.Run("enforce_client_authz="+tt.flag, func(t *testing.T) {
			logFile := filepath.Join(t.TempDir(), "provider.log")
			t.Setenv("TF_ACC_LOG_PATH", logFile)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: r.registrationConfig("  enforce_client_authz = " + tt.flag)}},
			})
			log, _ := logSince(t, logFile, 0)
			if rpcs := warningRPCs(log, summary); !strings.Contains(strings.Join(rpcs, " "), "ApplyResourceChange") {
				t.Fatalf("no %q warning at destroy (warnings in %v)", summary, rpcs)
			}
			entry := warningEntry(log, summary)
			first := strings.Index(entry, "- ")
			if !strings.Contains(entry, tt.want) || first < 0 || !strings.HasPrefix(entry[first+2:], tt.firstFixOf) || strings.Contains(entry[:min(len(entry), 2000)], tt.not) {
				t.Errorf("the destroy warning for enforce_client_authz = %s does not say %q with the first remedy %q (and not %q):\n%s",
					tt.flag, tt.want, tt.firstFixOf, tt.not, entry[:min(len(entry), 2000)])
			}
		})
	}
}

// warningEntry returns the log entry that records the warning with summary, detail included ("" if none).
func warningEntry(log, summary string) string {
	starts := logEntryStart.FindAllStringIndex(log, -1)
	for i, st := range starts {
		end := len(log)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		if entry := log[st[0]:end]; strings.Contains(entry, "Response contains warning diagnostic") && strings.Contains(entry, summary) {
			return entry
		}
	}
	return ""
}

func TestWarnRegistrationMismatches(t *testing.T) {
	const agent, other = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	echoedTrue := true
	var diags diag.Diagnostics
	warnRegistrationMismatches(&diags, agent, lkps.Registration{AgentAppID: other, EnforceClientAuthz: false, EchoedEnforceClientAuthz: &echoedTrue})
	if diags.HasError() || diags.WarningsCount() != 2 {
		t.Fatalf("diagnostics %v", diags)
	}
	want := map[string]path.Path{"LKPS Echoed Another agent_entra_app_id": pathAgentClientID, "LKPS Echoed Another enforce_client_authz": pathEnforceClientAuthz}
	for _, d := range diags {
		at, ok := want[d.Summary()]
		wd, isAttr := d.(diag.DiagnosticWithPath)
		if !ok || !isAttr || !wd.Path().Equal(at) {
			t.Errorf("unexpected warning %q", d.Summary())
		}
		if !strings.Contains(d.Detail(), "keeps the value it sent") {
			t.Errorf("warning %q does not say what the provider does: %s", d.Summary(), d.Detail())
		}
	}
	diags = nil
	warnRegistrationMismatches(&diags, agent, lkps.Registration{AgentAppID: strings.ToUpper(agent), EnforceClientAuthz: true, EchoedEnforceClientAuthz: &echoedTrue})
	warnRegistrationMismatches(&diags, agent, lkps.Registration{EnforceClientAuthz: true})
	if len(diags) != 0 {
		t.Fatalf("matching or absent echoes warned: %v", diags)
	}
}

func TestSetFromRegistration(t *testing.T) {
	m := agentRegistrationResourceModel{AgentClientID: types.StringValue("ABC")}
	m.setFromRegistration(lkps.Registration{EnforceClientAuthz: true, LiveKitURL: "wss://lk"})
	if m.ID.ValueString() != "abc" || !m.RegisteredAt.IsNull() || m.LiveKitURL.ValueString() != "wss://lk" || !m.EnforceClientAuthz.ValueBool() {
		t.Fatalf("without a readable time: %+v", m)
	}
	m.setFromRegistration(lkps.Registration{LiveKitURL: "wss://lk", RegisteredAt: time.Date(2026, 11, 22, 11, 0, 0, 0, time.FixedZone("CET", 3600))})
	if m.RegisteredAt.ValueString() != "2026-11-22T10:00:00Z" || m.EnforceClientAuthz.ValueBool() {
		t.Fatalf("with a time: %+v", m)
	}
}

func TestAgentSettingAttribute(t *testing.T) {
	for name, want := range map[string]path.Path{
		"client_id": pathAgentClientID, "client_secret": pathAgentSecret, "client_certificate": pathAgentCertificate,
		"client_certificate_password": pathAgentCertPassword,
	} {
		if got, ok := agentSettingAttribute(name); !ok || !got.Equal(want) {
			t.Errorf("agentSettingAttribute(%q) = %v, %v", name, got, ok)
		}
	}
	if _, ok := agentSettingAttribute("tenant_id"); ok {
		t.Error("tenant_id is not an attribute of the resource")
	}
}
