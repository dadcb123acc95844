package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/emutest"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

const scopeID = "5b0c7e0e-3c55-4a4e-9a55-1f0f2c1d0e01"

// reply is an answer of the emulator read whole.
type reply = emutest.Response

// call sends a request to the emulator with a bearer token and a content type (none when empty).
func call(t *testing.T, c *http.Client, method, u, token, contentType string, body io.Reader) reply {
	t.Helper()
	return emutest.Send(t, c, method, u, body, emutest.Bearer(token, contentType))
}

// The JSON accessors of emutest, under short names.
var (
	obj = emutest.Object
	arr = emutest.Array
	str = emutest.String
)

func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReader(string(raw))
}

// clientCredentials gets a token from the emulator's token endpoint over HTTP with a client secret.
func clientCredentials(t *testing.T, ts *emulator.TestServer, appID, secret, scope string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {appID}, "client_secret": {secret}, "scope": {scope}}
	r := call(t, ts.Client, http.MethodPost, environments.TokenEndpoint(ts.AuthorityHost, ts.TenantID()), "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if r.Status != http.StatusOK {
		t.Fatalf("token request = %d %s", r.Status, r.Body)
	}
	tok, _ := r.JSON(t)["access_token"].(string)
	if tok == "" {
		t.Fatalf("no access_token in %s", r.Body)
	}
	return tok
}

func TestEndToEndOverHTTPS(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	env := ts.ProviderEnv()
	if env["ARM_CLIENT_ID"] != emulator.DefaultDeployerAppID || env["LKPS_GRAPH_BASE_URL"] != ts.URL+"/graph" || env["LKPS_BASE_URL"] != ts.URL+"/lkps/nonprod/eu" || env["SSL_CERT_FILE"] != emulator.TestCAFile() || env["ARM_USE_CLI"] != "false" {
		t.Fatalf("ProviderEnv = %v", env)
	}

	graphTok := clientCredentials(t, ts, ts.DeployerClientID, ts.DeployerSecret, environments.GraphScope)
	agentURL := ts.GraphBaseURL + "/v1.0/applications(appId='" + emulator.DefaultAgentAppID + "')"
	r := call(t, ts.Client, http.MethodGet, agentURL+"?$select=api,identifierUris", graphTok, "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("Graph GET = %d %s", r.Status, r.Body)
	}
	if uris := arr(t, r.JSON(t)["identifierUris"]); len(uris) != 1 || uris[0] != "api://"+emulator.DefaultAgentAppID {
		t.Fatalf("identifierUris = %v", uris)
	}
	scope := map[string]any{"id": scopeID, "value": "access_as_client", "type": "User", "isEnabled": true, "adminConsentDisplayName": "Access", "adminConsentDescription": "Access"}
	if r := call(t, ts.Client, http.MethodPatch, agentURL, graphTok, "application/json", jsonBody(t, map[string]any{"api": map[string]any{"oauth2PermissionScopes": []any{scope}}})); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH scope = %d %s", r.Status, r.Body)
	}

	// The agent registers itself through the gateway.
	lkpsScope := environments.MustLookup(environments.NonProd, environments.EU).LKPSScope
	agentTok := clientCredentials(t, ts, emulator.DefaultAgentAppID, emulator.DefaultAgentSecret, lkpsScope)
	lkps := ts.LKPSBaseURLs["nonprod/eu"]
	if r := call(t, ts.Client, http.MethodPost, lkps+"/api/agent/register", agentTok, "application/json", strings.NewReader(`{}`)); r.Status != http.StatusOK {
		t.Fatalf("register = %d %s", r.Status, r.Body)
	}
	// The client is not pre-authorized yet: LKPS refuses the session.
	clientTok := clientCredentials(t, ts, emulator.DefaultClientAppID, emulator.DefaultClientSecret, lkpsScope)
	start := `{"agent_entra_app_id":"` + emulator.DefaultAgentAppID + `"}`
	r = call(t, ts.Client, http.MethodPost, lkps+"/api/session/start", clientTok, "application/json", strings.NewReader(start))
	if r.Status != http.StatusForbidden || r.JSON(t)["failed_check"] != "client_not_preauthorized" {
		t.Fatalf("session start before pre-authorization = %d %s", r.Status, r.Body)
	}
	preauth := map[string]any{"api": map[string]any{"preAuthorizedApplications": []any{map[string]any{"appId": emulator.DefaultClientAppID, "delegatedPermissionIds": []string{scopeID}}}}}
	if r := call(t, ts.Client, http.MethodPatch, agentURL, graphTok, "application/json", jsonBody(t, preauth)); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH preauth = %d %s", r.Status, r.Body)
	}
	r = call(t, ts.Client, http.MethodPost, lkps+"/api/session/start", clientTok, "application/json", strings.NewReader(start))
	if r.Status != http.StatusOK || r.JSON(t)["livekit_url"] == "" {
		t.Fatalf("session start = %d %s", r.Status, r.Body)
	}

	// The LKPS token is not a Graph token.
	expectGraph401 := call(t, ts.Client, http.MethodGet, agentURL, agentTok, "", nil)
	if expectGraph401.Status != http.StatusUnauthorized || !strings.Contains(string(expectGraph401.Body), graphapi.MsgTokenAudience) {
		t.Fatalf("LKPS token on Graph = %d %s", expectGraph401.Status, expectGraph401.Body)
	}

	counters := ts.Admin().Counters()
	if counters[graphapi.RoutePatchApplication] != 2 || counters[graphapi.RouteGetApplication] != 2 || counters[emulator.CounterEntraToken] != 3 ||
		counters[emulator.CounterLKPSRegister] != 1 || counters[emulator.CounterLKPSSession] != 2 {
		t.Fatalf("counters = %v", counters)
	}
}

func TestMetadataDocument(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	r := call(t, ts.Client, http.MethodGet, ts.URL+"/metadata/endpoints?api-version=2022-09-01", "", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("metadata = %d %s", r.Status, r.Body)
	}
	m := r.JSON(t)
	auth := obj(t, m["authentication"])
	if m["name"] == "" || m["resourceManager"] == "" || m["microsoftGraphResourceId"] != ts.GraphBaseURL+"/" || auth["loginEndpoint"] != ts.URL {
		t.Fatalf("metadata = %s", r.Body)
	}
	// A token requested the way azuread does through the metadata document works on Graph.
	tok := clientCredentials(t, ts, ts.DeployerClientID, ts.DeployerSecret, str(t, m, "microsoftGraphResourceId")+".default")
	if r := call(t, ts.Client, http.MethodGet, ts.GraphBaseURL+"/v1.0/applications?$filter=appId eq '"+emulator.DefaultAgentAppID+"'", tok, "", nil); r.Status != http.StatusOK {
		t.Fatalf("Graph with metadata audience = %d %s", r.Status, r.Body)
	}
	// The resource id ends in "/": clients that append "/v1.0/..." send a double slash, which must work
	// for writes too (no redirect).
	body := strings.NewReader(`{"notes":"through a double slash"}`)
	if r := call(t, ts.Client, http.MethodPatch, str(t, m, "microsoftGraphResourceId")+"/v1.0/applications(appId='"+emulator.DefaultAgentAppID+"')", tok, "application/json", body); r.Status != http.StatusNoContent {
		t.Fatalf("PATCH with a double slash = %d %s", r.Status, r.Body)
	}
	if r := call(t, ts.Client, http.MethodGet, ts.URL+"/metadata/endpoints", "", "", nil); r.Status != http.StatusBadRequest {
		t.Fatalf("metadata without api-version = %d", r.Status)
	}
}

func TestStateFileResumeAndCorruption(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	ca, err := emulator.TestCA()
	if err != nil {
		t.Fatal(err)
	}
	first, err := emulator.Start(emulator.Config{CA: ca, StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Admin().PatchApplication(emulator.DefaultAgentAppID, []byte(`{"notes":"survives restarts"}`)); err != nil {
		t.Fatal(err)
	}
	if err := first.Admin().SetAccessList("prod/eu", []string{emulator.DefaultClientAppID}); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	second, err := emulator.Start(emulator.Config{CA: ca, StateFile: path})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := second.Admin().Application(emulator.DefaultAgentAppID)
	if err != nil || rec.Application.Notes == nil || *rec.Application.Notes != "survives restarts" {
		t.Fatalf("resumed application = %+v, %v", rec, err)
	}
	if got := second.Admin().State().AccessLists["prod/eu"]; len(got) != 1 || got[0] != emulator.DefaultClientAppID {
		t.Fatalf("resumed access list = %v", got)
	}
	// A secret from the state file still authenticates.
	if _, err := second.Admin().MintToken(emulator.DefaultDeployerAppID, "https://graph.microsoft.com", 0); err != nil {
		t.Fatal(err)
	}
	if err := second.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	if err := os.WriteFile(path, []byte(`{"version":1,"directory":{"applications":[`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = emulator.Start(emulator.Config{CA: ca, StateFile: path})
	if !errors.Is(err, emulator.ErrCorruptState) || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt state file: %v, want ErrCorruptState naming the file", err)
	}
	raw, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(raw), `{"version":1,"directory"`) {
		t.Fatal("the corrupt file must be left untouched")
	}
}

func TestFaultsConfiguredAtStart(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t, emulator.WithFaults(faults.Config{ThrottleNext: 1, RetryAfterSeconds: 3}))
	tok := ts.GraphToken(emulator.DefaultDeployerAppID)
	r := call(t, ts.Client, http.MethodGet, ts.GraphBaseURL+"/v1.0/applications(appId='"+emulator.DefaultAgentAppID+"')", tok, "", nil)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "3" {
		t.Fatalf("first request = %d %v", r.Status, r.Header)
	}
}

func TestServerRefusesNonLoopbackHost(t *testing.T) {
	t.Parallel()
	if _, err := emulator.Start(emulator.Config{Host: "0.0.0.0"}); err == nil {
		t.Fatal("0.0.0.0 accepted")
	}
}

func TestCertDirIsReused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, err := emulator.Start(emulator.Config{CertDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	b, err := emulator.Start(emulator.Config{CertDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())
	if string(a.CAPEM()) != string(b.CAPEM()) {
		t.Fatal("the CA in the certificate directory was not reused")
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, emulator.CAFileName))
	if err != nil || string(onDisk) != string(a.CAPEM()) {
		t.Fatalf("ca.pem on disk differs: %v", err)
	}
	if r := call(t, b.HTTPClient(), http.MethodGet, b.URL()+"/metadata/endpoints?api-version=2022-09-01", "", "", nil); r.Status != http.StatusOK {
		t.Fatalf("TLS with the loaded CA: %d", r.Status)
	}
}

func TestTokensDoNotCrossServers(t *testing.T) {
	t.Parallel()
	a, b := emulator.NewTestServer(t), emulator.NewTestServer(t)
	tok := a.GraphToken(emulator.DefaultDeployerAppID)
	u := "/v1.0/applications(appId='" + emulator.DefaultAgentAppID + "')"
	if r := call(t, a.Client, http.MethodGet, a.GraphBaseURL+u, tok, "", nil); r.Status != http.StatusOK {
		t.Fatalf("own server = %d", r.Status)
	}
	if r := call(t, b.Client, http.MethodGet, b.GraphBaseURL+u, tok, "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("other server accepted the token: %d", r.Status)
	}
}

// TestUserTokensActAsTheUser checks the delegated path end to end: a user token from the admin API
// (as the Azure CLI would get one) changes an application the user owns, reads others, and changes
// others only as an Application Administrator.
func TestUserTokensActAsTheUser(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	const userOID = "5e1f0000-0000-4000-8000-0000000000aa"
	if err := ts.Admin().AddOwners(emulator.DefaultAgentAppID, userOID); err != nil {
		t.Fatal(err)
	}
	mint := func(body string) string {
		t.Helper()
		r := call(t, ts.Client, http.MethodPost, ts.URL+"/_emulator/user-tokens", "", "application/json", strings.NewReader(body))
		if r.Status != http.StatusOK {
			t.Fatalf("user token = %d %s", r.Status, r.Body)
		}
		return str(t, r.JSON(t), "access_token")
	}
	owner := mint(`{"objectId":"` + userOID + `","audience":"https://graph.microsoft.com"}`)
	other := mint(`{"objectId":"5e1f0000-0000-4000-8000-0000000000bb","audience":"https://graph.microsoft.com"}`)
	admin := mint(`{"objectId":"5e1f0000-0000-4000-8000-0000000000cc","audience":"https://graph.microsoft.com","directoryRoles":["9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"]}`)
	agent := ts.GraphBaseURL + "/v1.0/applications(appId='" + emulator.DefaultAgentAppID + "')"
	patchAs := func(tok string) int {
		return call(t, ts.Client, http.MethodPatch, agent, tok, "application/json", strings.NewReader(`{"notes":"by a user"}`)).Status
	}
	if s := patchAs(owner); s != http.StatusNoContent {
		t.Fatalf("owner PATCH = %d", s)
	}
	if r := call(t, ts.Client, http.MethodGet, agent, other, "", nil); r.Status != http.StatusOK {
		t.Fatalf("member user GET = %d %s", r.Status, r.Body)
	}
	if s := patchAs(other); s != http.StatusForbidden {
		t.Fatalf("non-owner user PATCH = %d, want 403", s)
	}
	if s := patchAs(admin); s != http.StatusNoContent {
		t.Fatalf("Application Administrator PATCH = %d", s)
	}
	if r := call(t, ts.Client, http.MethodPost, ts.URL+"/_emulator/user-tokens", "", "application/json", strings.NewReader(`{"objectId":"nope"}`)); r.Status != http.StatusBadRequest {
		t.Fatalf("invalid user token request = %d", r.Status)
	}
	// Graph roles are revoked over HTTP too.
	if r := call(t, ts.Client, http.MethodDelete, ts.URL+"/_emulator/applications/"+emulator.DefaultDeployerAppID+"/graph-roles", "", "application/json",
		strings.NewReader(`{"roles":["Application.ReadWrite.OwnedBy"]}`)); r.Status != http.StatusOK {
		t.Fatalf("revoke = %d %s", r.Status, r.Body)
	}
	if rec, err := ts.Admin().Application(emulator.DefaultDeployerAppID); err != nil || len(rec.GraphRoles) != 0 {
		t.Fatalf("deployer roles after revoke: %+v, %v", rec, err)
	}
}
