package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

const (
	seedAgent  = "0F3C1A2B-4D5E-4F60-8A7B-9C0D1E2F3A01" // upper case on purpose: IDs are stored in lower case
	seedAgent2 = "0f3c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a02"
	seedClient = "0f3c1a2b-4d5e-4f60-8a7b-9c0d1e2f3a03"
)

func TestSeedHoldsTheGivenIdentities(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"seed", "--agent", seedAgent, "--agent", seedAgent2, "--client", seedClient,
		"--federated", "github=repo:my-org/my-agent:environment:prod"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("seed: %v (stderr %q)", err, stderr.String())
	}
	seed, err := emulator.ParseSeed(stdout.Bytes())
	if err != nil {
		t.Fatalf("the printed seed does not parse: %v\n%s", err, stdout.String())
	}
	byID := map[string]emulator.SeedApplication{}
	for _, a := range seed.Applications {
		byID[a.AppID] = a
	}
	dep, ok := byID[emulator.DefaultDeployerAppID]
	if !ok || !dep.Deployer || !slices.Equal(dep.GraphRoles, []string{"Application.ReadWrite.OwnedBy"}) || len(dep.Secrets) != 1 {
		t.Fatalf("deployer = %+v, want the default deployer with Application.ReadWrite.OwnedBy and a secret", dep)
	}
	if len(dep.FederatedCredentials) != 1 || dep.FederatedCredentials[0].Issuer != "/oidc/github" ||
		dep.FederatedCredentials[0].Subject != "repo:my-org/my-agent:environment:prod" {
		t.Errorf("deployer's federated credentials = %+v", dep.FederatedCredentials)
	}
	if len(seed.FederatedIssuers) != 1 || seed.FederatedIssuers[0].Name != "github" {
		t.Errorf("issuers = %+v, want github", seed.FederatedIssuers)
	}
	for _, id := range []string{strings.ToLower(seedAgent), seedAgent2} {
		a, ok := byID[id]
		if !ok || !slices.Equal(a.Owners, []string{emulator.DefaultDeployerAppID}) || len(a.Secrets) != 1 ||
			a.Secrets[0].Value != emulator.DefaultAgentSecret {
			t.Errorf("agent %s = %+v, want owned by the deployer with the agent secret", id, a)
		}
	}
	if c, ok := byID[seedClient]; !ok || len(c.Owners) != 0 || len(c.Secrets) != 1 || c.Secrets[0].Value != emulator.DefaultClientSecret {
		t.Errorf("client = %+v", c)
	}
	for _, e := range environments.All() {
		if got := seed.OcelotAccessLists[e.Key()]; len(got) != 4 {
			t.Errorf("access list of %s = %v, want the deployer, both agents and the client", e.Key(), got)
		}
	}
}

func TestSeedRefusesBadArguments(t *testing.T) {
	cases := map[string][]string{
		"no agent":        {"seed", "--client", seedClient},
		"not a GUID":      {"seed", "--agent", "my-agent"},
		"twice":           {"seed", "--agent", seedAgent2, "--client", seedAgent2},
		"agent=deployer":  {"seed", "--agent", emulator.DefaultDeployerAppID},
		"empty secret":    {"seed", "--agent", seedAgent2, "--agent-secret", ""},
		"federated form":  {"seed", "--agent", seedAgent2, "--federated", "github"},
		"extra arguments": {"seed", "--agent", seedAgent2, "now"},
	}
	for name, args := range cases {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), args, &stdout, &stderr); err == nil {
			t.Errorf("%s: run(%q) succeeded", name, args)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: wrote %q to stdout", name, stdout.String())
		}
	}
}

// The file -o writes is a seed the emulator starts with: the agent gets a token with its secret, and
// registers with LKPS through Ocelot (so it is on the route's Client Access List).
func TestSeedFileStartsTheEmulator(t *testing.T) {
	file := filepath.Join(t.TempDir(), "seed.json")
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"seed", "--agent", seedAgent, "--client", seedClient, "-o", file}, &stdout, &stderr); err != nil {
		t.Fatalf("seed -o: %v", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("seed -o wrote to stdout: %q", stdout.String())
	}
	seed, err := emulator.LoadSeed(file)
	if err != nil {
		t.Fatalf("LoadSeed: %v", err)
	}
	srv, err := emulator.Start(emulator.Config{Host: "127.0.0.1", CertDir: t.TempDir(), Seed: seed})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	vars, err := srv.Env(filepath.Join(t.TempDir(), "none.pem"), environments.DefaultEnvironment, environments.DefaultRegion)
	if err != nil {
		t.Fatal(err)
	}
	client := srv.HTTPClient()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {strings.ToLower(seedAgent)},
		"client_secret": {emulator.DefaultAgentSecret}, "scope": {vars["LKPS_TOKEN_SCOPE"]}}
	tokReq, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		vars["LKPS_AUTHORITY_HOST"]+"/"+vars["ARM_TENANT_ID"]+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	tokReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(tokReq)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token for the seeded agent: %s", resp.Status)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, vars["LKPS_BASE_URL"]+"/api/agent/register", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the seeded agent's registration through Ocelot: %s, want 200 OK", resp.Status)
	}
	if vars["ARM_CLIENT_ID"] != emulator.DefaultDeployerAppID || vars["ARM_CLIENT_SECRET"] != emulator.DefaultDeployerSecret {
		t.Errorf("exports name deployer %q, want the seed's", vars["ARM_CLIENT_ID"])
	}
	_ = os.Remove(file)
}
