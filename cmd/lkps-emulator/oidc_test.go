package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
)

// Each test issuer's request URL and token are exported, and they get a token of that issuer with its
// default subject, as a GitHub Actions job's ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN do.
func TestIssuerExportsGetATokenOfTheIssuer(t *testing.T) {
	srv := startSeeded(t, []string{"github-production=repo:my-org/my-agent:environment:production"}, "")
	vars, err := srv.Env(filepath.Join(t.TempDir(), "none.pem"), "nonprod", "eu")
	if err != nil {
		t.Fatal(err)
	}
	addIssuerExports(srv, vars)
	url, tok := vars["LKPS_EMULATOR_OIDC_GITHUB_PRODUCTION_REQUEST_URL"], vars["LKPS_EMULATOR_OIDC_GITHUB_PRODUCTION_REQUEST_TOKEN"]
	if url != srv.URL()+"/oidc/github-production/token" || tok == "" {
		t.Fatalf("exports = %q, %q", url, tok)
	}
	get := func(bearer string) (int, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"?audience=api://AzureADTokenExchange", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Value string `json:"value"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Value
	}
	if status, _ := get("wrong"); status != http.StatusUnauthorized {
		t.Errorf("a wrong request token: %d, want 401", status)
	}
	status, jwt := get(tok)
	if status != http.StatusOK || strings.Count(jwt, ".") != 2 {
		t.Fatalf("the exported request token: %d %q, want 200 and a JWT", status, jwt)
	}
}

// The built-in seed's issuers have random request tokens per start: they are not exported, so that the
// exports stay the same across restarts.
func TestIssuerExportsOnlyForSeededRequestTokens(t *testing.T) {
	srv, err := emulator.Start(emulator.Config{Host: "127.0.0.1", CertDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	vars := map[string]string{}
	addIssuerExports(srv, vars)
	if len(vars) != 0 {
		t.Errorf("the built-in seed exports %v, want nothing", vars)
	}
}

// `seed --azure-devops org/project/connection` serves an Azure DevOps issuer whose exports stand in for
// a pipeline job's SYSTEM_OIDCREQUESTURI, SYSTEM_ACCESSTOKEN and service connection ID; the token they
// get is accepted by Entra ID as the deployer's federated client assertion.
func TestAzureDevOpsExportsGetADeployerToken(t *testing.T) {
	srv := startSeeded(t, nil, "my-org/my-project/lkps-deployer")
	vars := map[string]string{}
	addIssuerExports(srv, vars)
	uri, tok, sc := vars["LKPS_EMULATOR_OIDC_AZURE_DEVOPS_REQUEST_URL"], vars["LKPS_EMULATOR_OIDC_AZURE_DEVOPS_REQUEST_TOKEN"], vars["LKPS_EMULATOR_OIDC_AZURE_DEVOPS_SERVICE_CONNECTION_ID"]
	if uri != srv.URL()+"/oidc/azure-devops/oidctoken" || tok == "" || sc == "" {
		t.Fatalf("exports = %v", vars)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, uri+"?api-version=7.1&serviceConnectionId="+sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("X-TFS-FedAuthRedirect", "Suppress")
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		OIDCToken string `json:"oidcToken"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("oidctoken: %d %v", resp.StatusCode, err)
	}
	form := url.Values{
		"grant_type": {"client_credentials"}, "client_id": {emulator.DefaultDeployerAppID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {body.OIDCToken}, "scope": {"https://graph.microsoft.com/.default"},
	}
	req, err = http.NewRequestWithContext(t.Context(), http.MethodPost, srv.Entra().TokenEndpoint(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = srv.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("token exchange with the Azure DevOps token: %d, want 200", resp.StatusCode)
	}
}

// startSeeded starts an emulator with the seed that `lkps-emulator seed` builds for one agent and client
// and the given issuers (the --issuer and --azure-devops flags); it stops with the test.
func startSeeded(t *testing.T, issuers []string, azureDevOps string) *emulator.Server {
	t.Helper()
	built, err := buildSeed(emulator.DefaultDeployerAppID, "s", []string{seedAgent2}, "a", nil, "c", issuers, azureDevOps)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(built)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := emulator.ParseSeed(raw)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := emulator.Start(emulator.Config{Host: "127.0.0.1", CertDir: t.TempDir(), Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	return srv
}
