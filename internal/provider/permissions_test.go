package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

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
	fb := &graph.ForbiddenError{APIError: graph.APIError{StatusCode: 403, Code: "Authorization_RequestDenied",
		Message: "Insufficient privileges to complete the operation."}, Caller: graph.CallerServicePrincipal}
	_, detail := describeGraphError("update the access_as_client scope", graph.ByAppID("d3e40000-0000-4000-8000-000000000002"), fb,
		&graphCallerFacts{appID: "d3e40000-0000-4000-8000-000000000001", roles: []string{"Application.ReadWrite.OwnedBy"}})
	if n := strings.Count(strings.ToLower(detail), "microsoft graph answered"); n != 1 {
		t.Errorf("Graph's answer is quoted %d times, want once:\n%s", n, detail)
	}
	if strings.Contains(detail, "owner takes effect for tokens issued after") {
		t.Errorf("the detail says an added owner needs a new token, while it counts at once:\n%s", detail)
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
			ExpectError: regexp.MustCompile(`(?s)Insufficient privileges on the agent application.*` + wrapTolerant(regexp.QuoteMeta(graph.UserRule))),
		}},
	})
	fakeAz(owner)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy:             env.checkNoClientScope(t),
		Steps:                    []resource.TestStep{{Config: config}},
	})
}
