package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

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
