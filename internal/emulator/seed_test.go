package emulator_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/emutest"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

const (
	exampleDeployer = "11111111-aaaa-4aaa-8aaa-000000000001"
	exampleAgent    = "11111111-aaaa-4aaa-8aaa-000000000002"
	exampleClient   = "11111111-aaaa-4aaa-8aaa-000000000003"
)

func TestExampleSeedLoadsAndServes(t *testing.T) {
	t.Parallel()
	seed, err := emulator.LoadSeed("testdata/seed.example.json")
	if err != nil {
		t.Fatal(err)
	}
	ts := emulator.NewTestServer(t, emulator.WithSeed(seed))
	if ts.DeployerClientID != exampleDeployer || ts.ProviderEnv()["ARM_CLIENT_SECRET"] != "deployer-secret-for-the-emulator-only" {
		t.Fatalf("deployer = %s", ts.DeployerClientID)
	}
	// The seed registers the agent and pre-authorizes the client: a session starts right away.
	scope := environments.MustLookup(environments.NonProd, environments.EU).LKPSScope
	tok := clientCredentials(t, ts, exampleClient, "client-secret-for-the-emulator-only", scope)
	r := call(t, ts.Client, http.MethodPost, ts.LKPSBaseURLs["nonprod/eu"]+"/api/session/start", tok, "application/json", strings.NewReader(`{"agent_entra_app_id":"`+exampleAgent+`"}`))
	if r.Status != http.StatusOK {
		t.Fatalf("session start = %d %s", r.Status, r.Body)
	}
	// The client is not on the nonprod/us access list: Ocelot refuses it.
	r = call(t, ts.Client, http.MethodPost, ts.LKPSBaseURLs["nonprod/us"]+"/api/session/start", tok, "application/json", strings.NewReader(`{"agent_entra_app_id":"`+exampleAgent+`"}`))
	if r.Status != http.StatusForbidden || !strings.Contains(string(r.Body), `"source":"ocelot"`) {
		t.Fatalf("session start on nonprod/us = %d %s", r.Status, r.Body)
	}
	agent, err := ts.Admin().Application(exampleAgent)
	if err != nil {
		t.Fatal(err)
	}
	if agent.Application.IdentifierURIs[0] != "api://"+exampleAgent || !agent.IsOwner("11111111-aaaa-4aaa-8aaa-000000000021") {
		t.Fatalf("agent = %+v", agent)
	}
	// The seed's user owns the agent too, and the seed's Azure DevOps issuer has its service connection.
	if u, ok := ts.Directory().User("11111111-aaaa-4aaa-8aaa-000000000031"); !ok || u.UserPrincipalName != "agent.owner@bayer.com" || !agent.IsOwner(u.ID) {
		t.Fatalf("user = %+v %v, owners %v", u, ok, agent.Owners)
	}
	if ado, ok := ts.Entra().OIDCIssuer("azure-devops"); !ok || ado.Organization != "my-org" || len(ado.ServiceConnections) != 1 {
		t.Fatalf("azure-devops issuer = %+v", ado)
	}
	certApp, err := ts.Admin().Application("11111111-aaaa-4aaa-8aaa-000000000004")
	if err != nil || len(certApp.Certificates) != 1 || certApp.Certificates[0].Parsed == nil || len(certApp.Application.KeyCredentials) != 1 {
		t.Fatalf("certificate application = %+v, %v", certApp, err)
	}
	// Reset returns to exactly the seed.
	if err := ts.Admin().DeleteApplication(exampleAgent); err != nil {
		t.Fatal(err)
	}
	if err := ts.Admin().Reset(); err != nil {
		t.Fatal(err)
	}
	again, err := ts.Admin().Application(exampleAgent)
	if err != nil || again.Application.ID != agent.Application.ID {
		t.Fatalf("after reset: %+v, %v", again, err)
	}
}

func TestInvalidSeeds(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"unknown field":      `{"applications":[],"bogus":1}`,
		"bad tenant":         `{"tenantId":"bayer","applications":[]}`,
		"bad appId":          `{"applications":[{"appId":"x","displayName":"a"}]}`,
		"two deployers":      `{"applications":[{"displayName":"a","deployer":true,"secrets":[{"value":"s"}]},{"displayName":"b","deployer":true,"secrets":[{"value":"s"}]}]}`,
		"deployer no secret": `{"applications":[{"displayName":"a","deployer":true}]}`,
		"unknown route":      `{"applications":[],"ocelotAccessLists":{"staging/eu":[]}}`,
		"bad registration":   `{"applications":[],"registrations":{"nonprod/eu":[{"agentAppId":"nope"}]}}`,
		"cert pem and file":  `{"applications":[{"displayName":"a","certificates":[{"pem":"x","file":"y"}]}]}`,
	}
	for name, doc := range cases {
		if _, err := emulator.ParseSeed([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Problems found only when the state is built are reported at start.
	dup, err := emulator.ParseSeed([]byte(`{"applications":[{"displayName":"a","identifierUris":["api://x"]},{"displayName":"b","identifierUris":["api://x"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emulator.Start(emulator.Config{Seed: dup}); err == nil || !strings.Contains(err.Error(), "identifier URI") {
		t.Fatalf("duplicate identifier URIs: %v", err)
	}
	badAPI, err := emulator.ParseSeed([]byte(`{"applications":[{"displayName":"a","api":{"oauth2PermissionScopes":"x"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emulator.Start(emulator.Config{Seed: badAPI}); err == nil {
		t.Fatal("an api of the wrong shape was accepted")
	}
}

// LKPS reads the agent through the same replica semantics as Graph: right after the scope is added, a
// stale replica makes session start fail with scope_missing; after the lag it succeeds.
func TestReplicaLagReachesLKPS(t *testing.T) {
	t.Parallel()
	seed, err := emulator.LoadSeed("testdata/seed.example.json")
	if err != nil {
		t.Fatal(err)
	}
	clk := emutest.NewClock(time.Now())
	ts := emulator.NewTestServer(t, emulator.WithSeed(seed), emulator.WithClock(clk.Now))
	// Remove the scope out of band, then let the removal replicate.
	if _, err := ts.Admin().PatchApplication(exampleAgent, []byte(`{"api":{"oauth2PermissionScopes":[],"preAuthorizedApplications":[]}}`)); err != nil {
		t.Fatal(err)
	}
	if err := ts.Admin().SetFaults(faults.Config{ReplicaLag: 30 * time.Second, StaleReadProbability: 1}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	graphTok := ts.GraphToken(exampleDeployer)
	body := `{"api":{"oauth2PermissionScopes":[{"id":"11111111-aaaa-4aaa-8aaa-0000000000a1","value":"access_as_client","type":"User","isEnabled":true}]}}`
	if r := call(t, ts.Client, http.MethodPatch, ts.GraphBaseURL+"/v1.0/applications(appId='"+exampleAgent+"')", graphTok, "application/json", strings.NewReader(body)); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH = %d %s", r.Status, r.Body)
	}
	clk.Advance(31 * time.Second)
	preauth := `{"api":{"preAuthorizedApplications":[{"appId":"` + exampleClient + `","delegatedPermissionIds":["11111111-aaaa-4aaa-8aaa-0000000000a1"]}]}}`
	if r := call(t, ts.Client, http.MethodPatch, ts.GraphBaseURL+"/v1.0/applications(appId='"+exampleAgent+"')", graphTok, "application/json", strings.NewReader(preauth)); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH preauth = %d %s", r.Status, r.Body)
	}
	clientTok := ts.LKPSToken(exampleClient, environments.NonProd)
	start := `{"agent_entra_app_id":"` + exampleAgent + `"}`
	r := call(t, ts.Client, http.MethodPost, ts.LKPSBaseURLs["nonprod/eu"]+"/api/session/start", clientTok, "application/json", strings.NewReader(start))
	if r.Status != http.StatusForbidden || r.JSON(t)["failed_check"] != "client_not_preauthorized" {
		t.Fatalf("session start on a stale replica = %d %s", r.Status, r.Body)
	}
	clk.Advance(31 * time.Second)
	r = call(t, ts.Client, http.MethodPost, ts.LKPSBaseURLs["nonprod/eu"]+"/api/session/start", clientTok, "application/json", strings.NewReader(start))
	if r.Status != http.StatusOK {
		t.Fatalf("session start after the lag = %d %s", r.Status, r.Body)
	}
}
