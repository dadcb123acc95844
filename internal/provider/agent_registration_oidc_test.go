package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
)

// gitHubSubject is the subject of the emulator's GitHub-like issuer's tokens, and of the deployer's
// federated credential in the default seed.
const gitHubSubject = "repo:bayer/terraform-provider-lkps:ref:refs/heads/main"

// oidcRegistrationEnv is a registration environment whose provider signs in as the deployer the way a
// GitHub Actions job does: use_oidc with the issuer's token request URL and request token, no secret.
// fic, when not nil, is the federated credential given to the agent.
func oidcRegistrationEnv(t *testing.T, fic *directory.FederatedCredential) (*registrationEnv, string) {
	t.Helper()
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	ts := r.emu.ts
	if fic != nil {
		if err := ts.Admin().AddFederatedCredential(r.agent, *fic); err != nil {
			t.Fatal(err)
		}
	}
	return r, emulatorProvider(ts, ts.LKPSBaseURLs[r.route.Key()], gitHubOIDCSignIn(t, ts))
}

// agentFIC is a federated credential of the agent for the GitHub-like issuer.
func agentFIC(subject, audience string) *directory.FederatedCredential {
	return &directory.FederatedCredential{Name: "github-deploy", Issuer: "/oidc/github", Subject: subject, Audiences: []string{audience}}
}

// The documented example: one OIDC token, two identities. The provider reads and writes Graph as the
// deployer, and the registration is made as the agent (LKPS records it under the agent's client ID),
// with no secret of either application in the configuration.
func TestAccAgentRegistration_oidcNoSecret(t *testing.T) {
	r, provider := oidcRegistrationEnv(t, agentFIC(gitHubSubject, entra.FederatedAudience))
	before := r.registerCalls()
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:          provider + exampleFile(t, "resources", "lkps_agent_registration", "resource-oidc.tf"),
			ConfigVariables: config.Variables{"agent_client_id": config.StringVariable(r.agent)},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("lkps_agent_registration.agent", tfjsonpath.New("agent_use_oidc"), knownvalue.Bool(true)),
				statecheck.ExpectKnownValue("lkps_agent_registration.agent", tfjsonpath.New("livekit_url"), knownvalue.StringExact(r.route.LiveKitURL)),
			},
			Check: func(*terraformState) error {
				if n := r.registerCalls() - before; n != 1 {
					return fmt.Errorf("%d register calls, want 1", n)
				}
				if _, ok := r.storedRegistration(t); !ok {
					return fmt.Errorf("LKPS holds no registration under the agent's client ID %s", r.agent)
				}
				for _, a := range r.emu.ts.Admin().State().Audit {
					if a.Path == "/api/agent/register" && !strings.EqualFold(a.ClientID, r.agent) {
						return fmt.Errorf("a registration was made as %s, not as the agent", a.ClientID)
					}
				}
				return nil
			},
		}},
	})
}

// Each way the token exchange can fail has its own diagnostic, on agent_use_oidc, and nothing reaches LKPS.
func TestAccAgentRegistration_oidcFailures(t *testing.T) {
	cases := []struct {
		name    string
		fic     *directory.FederatedCredential
		pattern string
	}{
		{"no federated credential", nil,
			`AADSTS70021: no federated credential of the app registration matches the OIDC token's issuer, subject and audience`},
		{"subject does not match", agentFIC("repo:bayer/other-repo:ref:refs/heads/main", entra.FederatedAudience),
			`AADSTS700213: no federated credential of the app registration matches the OIDC token's subject`},
		{"audience does not match", agentFIC(gitHubSubject, "api://other-audience"),
			`AADSTS700212: the app registration's federated credential matching the OIDC token's issuer and subject does not list the token's audience`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, provider := oidcRegistrationEnv(t, tc.fic)
			accTest(t, resource.TestCase{
				Steps: []resource.TestStep{{
					Config:          provider + exampleFile(t, "resources", "lkps_agent_registration", "resource-oidc.tf"),
					ConfigVariables: config.Variables{"agent_client_id": config.StringVariable(r.agent)},
					ExpectError: regexp.MustCompile(`(?s)Authentication failed.*with lkps_agent_registration.agent,.*agent_use_oidc.*` +
						wrapTolerant(tc.pattern)),
				}},
			})
			if n := r.registerCalls(); n != 0 {
				t.Errorf("%d register calls after a failed token exchange", n)
			}
		})
	}
}

// agent_use_oidc with a provider that signs in with a client secret: there is no OIDC token to exchange.
func TestAccAgentRegistration_oidcNotConfigured(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:          r.config(exampleFile(t, "resources", "lkps_agent_registration", "resource-oidc.tf")),
			ConfigVariables: config.Variables{"agent_client_id": config.StringVariable(r.agent)},
			ExpectError: regexp.MustCompile(`(?s)OIDC Not Configured on the Provider.*` +
				wrapTolerant(`the provider has no OIDC token to exchange: it signs in with client secret`) + `.*use_oidc = true`),
		}},
	})
}

// agent_use_oidc beside a secret is a conflict, found at validation.
func TestAccAgentRegistration_oidcConflict(t *testing.T) {
	r := newRegistrationEnv(t, true)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config:      r.registrationConfig("  agent_use_oidc = true"),
			ExpectError: regexp.MustCompile(`(?s)Conflicting Agent Credentials.*agent_use_oidc = true`),
		}},
	})
}

// Issue 19: Enter at the prompt for the secret's variable gives an empty string. The attribute is set,
// so the error says the value is empty, not that credentials are missing.
func TestAccAgentRegistration_emptySecret(t *testing.T) {
	r := newRegistrationEnv(t, true)
	accTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: r.config(fmt.Sprintf(`
variable "agent_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}

resource "lkps_agent_registration" "test" {
  agent_client_id        = %q
  agent_client_secret_wo = var.agent_secret
}`, r.agent)),
			ConfigVariables: config.Variables{"agent_secret": config.StringVariable("")},
			ExpectError: regexp.MustCompile(`(?s)Empty agent_client_secret_wo.*` +
				wrapTolerant(`agent_client_secret_wo is set, but its value is empty`)),
		}},
	})
	if n := r.registerCalls(); n != 0 {
		t.Errorf("%d register calls with an empty secret", n)
	}
}
