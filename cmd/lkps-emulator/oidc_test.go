package main

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
)

// Each test issuer's request URL and token are exported, and they get a token of that issuer with its
// default subject, as a GitHub Actions job's ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN do.
func TestIssuerExportsGetATokenOfTheIssuer(t *testing.T) {
	built, err := buildSeed(emulator.DefaultDeployerAppID, "s", []string{seedAgent2}, "a", nil, "c",
		[]string{"github-production=repo:my-org/my-agent:environment:production"})
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
