package lkpsapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/emutest"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/lkpsapi"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

const (
	tenant   = "11111111-2222-3333-4444-555555555555"
	baseURL  = "https://127.0.0.1:4443"
	agentID  = "426758d8-100a-4420-9ae2-5f17e44f7df4"
	clientID = "c11e0000-0000-4000-8000-000000000001"
	other    = "0e4e0000-0000-4000-8000-000000000002"
	scopeID  = "5c09e000-0000-4000-8000-0000000000aa"
	npAud    = "api://livekit-platform-service-np.int.bayer.com"
	prodAud  = "api://livekit-platform-service.int.bayer.com"
)

// apps is a fake entra.Directory of the three applications the tests use.
type apps struct{}

func (apps) Client(id string) (entra.Client, bool) {
	switch strings.ToLower(id) {
	case agentID, clientID, other:
		return entra.Client{AppID: id, ServicePrincipalID: "5e000000-0000-4000-8000-" + id[24:]}, true
	}
	return entra.Client{}, false
}

// agents is a fake lkpsapi.AgentDirectory.
type agents struct {
	apis emutest.Objects[lkpsapi.AgentAPI]
}

func (a *agents) AgentAPI(id string) (lkpsapi.AgentAPI, bool) { return a.apis.Get(id) }

func (a *agents) set(id string, api lkpsapi.AgentAPI) { a.apis.Put(id, api) }

type fixture struct {
	tokens *entra.Service
	svc    *lkpsapi.Service
	agents *agents
	clk    *emutest.Clock
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{agents: &agents{}, clk: emutest.NewClock(time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC))}
	tokens, err := entra.New(entra.Config{
		TenantID: tenant, BaseURL: func() string { return baseURL }, Directory: apps{}, SigningKey: emutest.RSAKey(t, 0), Now: f.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.tokens = tokens
	f.svc = lkpsapi.New(lkpsapi.Config{Verifier: tokens, Directory: f.agents, Now: f.clock, SessionTokenLifetime: 15 * time.Minute})
	for _, e := range environments.All() {
		if err := f.svc.SetAccessList(e.Key(), []string{agentID, strings.ToUpper(clientID)}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) clock() time.Time { return f.clk.Now() }

func (f *fixture) token(t testing.TB, app, aud string) string {
	t.Helper()
	tok, err := f.tokens.Mint(app, aud, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type response struct {
	status int
	header http.Header
	body   map[string]any
}

// do sends a request through the gateway. A non-empty token becomes the bearer; extra headers follow.
func (f *fixture) do(t *testing.T, method, path, token, body string, extra ...string) response {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Add(extra[i], extra[i+1]) // canonicalized, as net/http's server stores received headers
	}
	rec := httptest.NewRecorder()
	f.svc.Handler().ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, rec.Body.String())
		}
	}
	return response{status: rec.Code, header: rec.Header(), body: out}
}

func (f *fixture) register(t *testing.T, route, app, body string) response {
	t.Helper()
	aud := npAud
	if strings.HasPrefix(route, "prod/") {
		aud = prodAud
	}
	return f.do(t, http.MethodPost, "/lkps/"+route+"/api/agent/register", f.token(t, app, aud), body)
}

func (f *fixture) start(t *testing.T, route string) response {
	t.Helper()
	aud := npAud
	if strings.HasPrefix(route, "prod/") {
		aud = prodAud
	}
	return f.do(t, http.MethodPost, "/lkps/"+route+"/api/session/start", f.token(t, clientID, aud), `{"agent_entra_app_id":"`+agentID+`"}`)
}

// str returns a string field of a JSON body, or "" when it is absent or not a string.
func str(body map[string]any, key string) string {
	v, _ := body[key].(string)
	return v
}

// printable returns body without its "token" field, so failure messages never print a token.
func printable(body map[string]any) map[string]any {
	out := make(map[string]any, len(body))
	for k, v := range body {
		if k == "token" {
			v = "<redacted>"
		}
		out[k] = v
	}
	return out
}

func checkOcelot(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status || r.body["source"] != "ocelot" || r.body["error"] != code {
		t.Fatalf("got %d %v, want %d from ocelot with error %s", r.status, printable(r.body), status, code)
	}
	if _, ok := r.body["detail"]; ok {
		t.Errorf("an Ocelot error carries detail: %v", printable(r.body))
	}
	if msg := str(r.body, "message"); msg == "" {
		t.Error("Ocelot error without message")
	}
	if status == http.StatusUnauthorized {
		if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer error="invalid_token", error_description="`) || !strings.HasSuffix(got, `"`) {
			t.Errorf("WWW-Authenticate = %q", got)
		}
	}
}

func checkLKPS(t *testing.T, r response, status int, failedCheck string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %v", r.status, status, printable(r.body))
	}
	if _, ok := r.body["source"]; ok {
		t.Errorf("an LKPS error carries source: %v", printable(r.body))
	}
	if d := str(r.body, "detail"); d == "" {
		t.Errorf("LKPS error without detail: %v", printable(r.body))
	}
	if got := str(r.body, "failed_check"); got != failedCheck {
		t.Errorf("failed_check = %q, want %q", got, failedCheck)
	}
}

func TestGatewayRejectsBadTokens(t *testing.T) {
	f := newFixture(t)
	foreign, err := entra.New(entra.Config{TenantID: tenant, BaseURL: func() string { return baseURL }, Directory: apps{}, SigningKey: emutest.RSAKey(t, 1), Now: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	foreignTok, _ := foreign.Mint(agentID, npAud, 0)
	expired, _ := f.tokens.Mint(agentID, npAud, -time.Second)
	wrongIssuer, _ := f.tokens.MintClaims(entra.Claims{Audience: npAud, AppID: agentID, Issuer: "https://sts.windows.net/" + tenant + "/"})
	good := f.token(t, agentID, npAud)
	garbled := good[:len(good)-6] + "AAAAAA"

	cases := map[string][]string{
		"missing":        nil,
		"basic scheme":   {"Authorization", "Basic YWdlbnQ6c2VjcmV0"},
		"empty bearer":   {"Authorization", "Bearer "},
		"garbage":        {"Authorization", "Bearer garbage"},
		"garbled":        {"Authorization", "Bearer " + garbled},
		"expired":        {"Authorization", "Bearer " + expired},
		"prod audience":  {"Authorization", "Bearer " + f.token(t, agentID, prodAud)},
		"graph audience": {"Authorization", "Bearer " + f.token(t, agentID, "https://graph.microsoft.com")},
		"wrong issuer":   {"Authorization", "Bearer " + wrongIssuer},
		"foreign key":    {"Authorization", "Bearer " + foreignTok},
	}
	for name, header := range cases {
		t.Run(name, func(t *testing.T) {
			r := f.do(t, http.MethodPost, "/lkps/nonprod/eu/api/agent/register", "", "{}", header...)
			checkOcelot(t, r, http.StatusUnauthorized, "invalid_token")
			if strings.Contains(r.header.Get("WWW-Authenticate"), good[:20]) {
				t.Error("the challenge echoes the token")
			}
		})
	}
	if r := f.do(t, http.MethodPost, "/lkps/nonprod/eu/api/agent/register", "", "{}", "Authorization", "Bearer "+f.token(t, agentID, prodAud)); !strings.Contains(str(r.body, "message"), npAud+"/.default") {
		t.Errorf("wrong-audience message does not name the right scope: %v", r.body["message"])
	}
	if st := f.svc.State(); len(st.Audit) != 0 || len(st.Registrations["nonprod/eu"]) != 0 {
		t.Errorf("a refused request reached LKPS: %+v", st)
	}
	// The prod token that nonprod refuses is accepted on the prod route.
	checkOK(t, f.register(t, "prod/eu", agentID, "{}"))
}

func checkOK(t *testing.T, r response) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200; body %v", r.status, printable(r.body))
	}
}

func TestGatewayClientAccessList(t *testing.T) {
	f := newFixture(t)
	r := f.register(t, "nonprod/eu", other, "{}")
	checkOcelot(t, r, http.StatusForbidden, "client_not_allowed")
	if msg := str(r.body, "message"); !strings.Contains(msg, other) || !strings.Contains(msg, "https://devtools-np.bayer.com/ocelot?route=eu-livekit-platform-service-np.int.bayer.com") {
		t.Errorf("message %q should name the client and the route page", msg)
	}
	// Access is per route: allowing the US route does not open the EU one.
	if err := f.svc.SetAccessList("nonprod/us", []string{other}); err != nil {
		t.Fatal(err)
	}
	checkOcelot(t, f.register(t, "nonprod/eu", other, "{}"), http.StatusForbidden, "client_not_allowed")
	checkOK(t, f.register(t, "nonprod/us", other, "{}"))
	// The list was replaced, so the previously allowed agent is now refused on the US route.
	checkOcelot(t, f.register(t, "nonprod/us", agentID, "{}"), http.StatusForbidden, "client_not_allowed")

	// A token without appid matches no entry.
	noAppID, _ := f.tokens.MintClaims(entra.Claims{Audience: npAud, ObjectID: "u"})
	checkOcelot(t, f.do(t, http.MethodGet, "/lkps/nonprod/eu/api/health", noAppID, ""), http.StatusForbidden, "client_not_allowed")
}

func TestGatewayUnknownRoutes(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, agentID, npAud)
	for _, p := range []string{"/lkps/staging/eu/api/health", "/lkps/nonprod/apac/api/health", "/lkps/NonProd/eu/api/health", "/lkps/nonprod", "/lkps/", "/elsewhere"} {
		checkOcelot(t, f.do(t, http.MethodGet, p, tok, ""), http.StatusNotFound, "route_not_found")
	}
}

func TestHealthMethodsAndUnknownPaths(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, agentID, npAud)
	r := f.do(t, http.MethodGet, "/lkps/nonprod/eu/api/health", tok, "")
	if r.status != http.StatusOK || r.body["status"] != "ok" {
		t.Errorf("health = %d %v", r.status, printable(r.body))
	}
	if r := f.do(t, http.MethodHead, "/lkps/nonprod/eu/api/health", tok, ""); r.status != http.StatusOK {
		t.Errorf("HEAD health = %d", r.status)
	}
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodPost, "/api/health", "GET"},
		{http.MethodGet, "/api/agent/register", "POST"},
		{http.MethodPut, "/api/agent/register", "POST"},
		{http.MethodGet, "/api/session/start", "POST"},
		{http.MethodDelete, "/api/session/start", "POST"},
	} {
		r := f.do(t, c.method, "/lkps/nonprod/eu"+c.path, tok, "")
		if r.status != http.StatusMethodNotAllowed || r.body["detail"] != "Method Not Allowed" || r.header.Get("Allow") != c.allow {
			t.Errorf("%s %s = %d %v Allow %q", c.method, c.path, r.status, printable(r.body), r.header.Get("Allow"))
		}
	}
	for _, p := range []string{"/api/nope", "/api/health/", "/api/../api/health", "/", ""} {
		if r := f.do(t, http.MethodGet, "/lkps/nonprod/eu"+p, tok, ""); r.status != http.StatusNotFound || r.body["detail"] != "Not Found" {
			t.Errorf("GET %q = %d %v", p, r.status, printable(r.body))
		}
	}
	// Unknown paths are still behind the gateway.
	checkOcelot(t, f.do(t, http.MethodGet, "/lkps/nonprod/eu/api/nope", "", ""), http.StatusUnauthorized, "invalid_token")
}

func TestRegisterUpsertAndAudit(t *testing.T) {
	f := newFixture(t)
	start := f.clock()
	r := f.register(t, "nonprod/eu", agentID, "{}")
	checkOK(t, r)
	want := map[string]any{
		"agent_entra_app_id": agentID, "enforce_client_authz": true, "livekit_url": "https://eu.livekit-np.int.bayer.com",
		"registered_at": start.Format(time.RFC3339), "expires_at": start.Add(15 * time.Minute).Format(time.RFC3339),
	}
	for k, v := range want {
		if r.body[k] != v {
			t.Errorf("%s = %v, want %v", k, r.body[k], v)
		}
	}
	if tok := str(r.body, "token"); strings.Count(tok, ".") != 2 {
		t.Errorf("agent token is not a JWT")
	}
	if len(r.body) != 6 {
		t.Errorf("register response has fields %v", printable(r.body))
	}

	f.clk.Advance(time.Minute)
	r = f.register(t, "nonprod/eu", strings.ToUpper(agentID), `{"service_config":{"enforce_client_authz":false}}`)
	checkOK(t, r)
	if r.body["enforce_client_authz"] != false || r.body["registered_at"] != start.Format(time.RFC3339) {
		t.Errorf("update = %v", printable(r.body))
	}
	f.clk.Advance(time.Minute)
	checkOK(t, f.register(t, "nonprod/eu", agentID, `{"service_config":{}}`))
	checkOK(t, f.register(t, "nonprod/eu", agentID, `{"service_config":null}`))

	st := f.svc.State()
	rows := st.Registrations["nonprod/eu"]
	if len(rows) != 1 || rows[0].AgentAppID != agentID || !rows[0].EnforceClientAuthz || !rows[0].RegisteredAt.Equal(start) || !rows[0].UpdatedAt.Equal(start.Add(2*time.Minute)) {
		t.Errorf("registrations = %+v", rows)
	}
	if len(st.Audit) != 4 {
		t.Fatalf("audit has %d records, want 4: %+v", len(st.Audit), st.Audit)
	}
	a := st.Audit[1]
	if a.Route != "nonprod/eu" || a.Method != http.MethodPost || a.Path != "/api/agent/register" || !strings.EqualFold(a.ClientID, agentID) ||
		a.Status != http.StatusOK || !strings.Contains(a.Detail, "updated") || !strings.Contains(a.Detail, "enforce_client_authz=false") || !a.Time.Equal(start.Add(time.Minute)) {
		t.Errorf("audit record = %+v", a)
	}
	if !strings.Contains(st.Audit[0].Detail, "registered") {
		t.Errorf("first audit record = %+v", st.Audit[0])
	}
}

func TestMalformedBodies(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, agentID, npAud)
	bodies := map[string][]string{
		"/api/agent/register": {
			``, `not json`, `{`, `[]`, `null`, `"x"`, `{} {}`,
			`{"service_config":{"enforce_client_authz":"yes"}}`,
			`{"service_config":{"enforce_client_authz":1}}`,
			`{"service_config":"x"}`,
			`{"service_config":{"enforce_client_authz":true,"extra":1}}`,
			`{"enforce_client_authz":false}`,
		},
		"/api/session/start": {
			`{}`, `{"agent_entra_app_id":null}`, `{"agent_entra_app_id":42}`, `{"agent_entra_app_id":"agent"}`,
			`{"agent_entra_app_id":"` + agentID + `","extra":true}`, `{"agent_entra_app_id":"` + agentID + `x"}`, `[1]`,
		},
	}
	for path, list := range bodies {
		for _, body := range list {
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/lkps/nonprod/eu"+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			f.svc.Handler().ServeHTTP(rec, req)
			var out map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &out)
			if d, _ := out["detail"].(string); rec.Code != http.StatusBadRequest || d == "" || len(out) != 1 {
				t.Errorf("POST %s %q = %d %s", path, body, rec.Code, rec.Body.String())
			}
		}
	}
	// The wrong type is named in the message.
	r := f.do(t, http.MethodPost, "/lkps/nonprod/eu/api/agent/register", tok, `{"service_config":{"enforce_client_authz":"yes"}}`)
	if d := str(r.body, "detail"); !strings.Contains(d, "service_config.enforce_client_authz") || !strings.Contains(d, "boolean") {
		t.Errorf("detail = %q", d)
	}
	// A form post (curl -d without a JSON content type) is refused.
	r = f.do(t, http.MethodPost, "/lkps/nonprod/eu/api/agent/register", tok, "", "Content-Type", "application/x-www-form-urlencoded")
	checkLKPS(t, r, http.StatusBadRequest, "")
	if len(f.svc.State().Registrations["nonprod/eu"]) != 0 {
		t.Error("a malformed register created a registration")
	}
}

func TestSessionStartDecision(t *testing.T) {
	scope := lkpsapi.Scope{ID: scopeID, Value: environments.ClientScopeValue, Enabled: true}
	granted := lkpsapi.PreAuthorized{AppID: clientID, PermissionIDs: []string{scopeID}}
	cases := []struct {
		name     string
		register string // register body; "" = not registered
		api      *lkpsapi.AgentAPI
		status   int
		check    string
	}{
		{"not registered", "", &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{scope}, PreAuthorized: []lkpsapi.PreAuthorized{granted}}, 404, ""},
		{"enforcement off, nothing configured", `{"service_config":{"enforce_client_authz":false}}`, nil, 200, ""},
		{"enforcement off, other client listed only", `{"service_config":{"enforce_client_authz":false}}`, &lkpsapi.AgentAPI{PreAuthorized: []lkpsapi.PreAuthorized{{AppID: other}}}, 200, ""},
		{"agent app deleted", `{}`, nil, 403, "scope_missing"},
		{"no scopes", `{}`, &lkpsapi.AgentAPI{PreAuthorized: []lkpsapi.PreAuthorized{granted}}, 403, "scope_missing"},
		{"scope value differs in case", `{}`, &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{{ID: scopeID, Value: "Access_As_Client", Enabled: true}}, PreAuthorized: []lkpsapi.PreAuthorized{granted}}, 403, "scope_missing"},
		{"other scope only", `{}`, &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{{ID: scopeID, Value: "user_impersonation", Enabled: true}}, PreAuthorized: []lkpsapi.PreAuthorized{granted}}, 403, "scope_missing"},
		{"client not pre-authorized", `{}`, &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{scope}}, 403, "client_not_preauthorized"},
		{"only another client pre-authorized", `{}`, &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{scope}, PreAuthorized: []lkpsapi.PreAuthorized{{AppID: other, PermissionIDs: []string{scopeID}}}}, 403, "client_not_preauthorized"},
		{"pre-authorized without permissions", `{}`, &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{scope}, PreAuthorized: []lkpsapi.PreAuthorized{{AppID: clientID}}}, 403, "scope_not_granted"},
		{"pre-authorized for another scope", `{}`, &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{scope, {ID: "0ther000-0000-4000-8000-000000000000", Value: "other"}}, PreAuthorized: []lkpsapi.PreAuthorized{{AppID: clientID, PermissionIDs: []string{"0ther000-0000-4000-8000-000000000000"}}}}, 403, "scope_not_granted"},
		{"authorized", `{}`, &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{scope}, PreAuthorized: []lkpsapi.PreAuthorized{granted}}, 200, ""},
		{"authorized, default enforcement", `{"service_config":{}}`, &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{scope}, PreAuthorized: []lkpsapi.PreAuthorized{granted}}, 200, ""},
		{"authorized, IDs in other case", `{"service_config":{"enforce_client_authz":true}}`, &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{scope}, PreAuthorized: []lkpsapi.PreAuthorized{{AppID: strings.ToUpper(clientID), PermissionIDs: []string{strings.ToUpper(scopeID)}}}}, 200, ""},
		{"authorized with a disabled scope", `{}`, &lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{{ID: scopeID, Value: environments.ClientScopeValue, Enabled: false}}, PreAuthorized: []lkpsapi.PreAuthorized{granted}}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.register != "" {
				checkOK(t, f.register(t, "nonprod/eu", agentID, tc.register))
			}
			if tc.api != nil {
				f.agents.set(agentID, *tc.api)
			}
			r := f.start(t, "nonprod/eu")
			if tc.status != http.StatusOK {
				checkLKPS(t, r, tc.status, tc.check)
				return
			}
			checkOK(t, r)
			room := str(r.body, "room_name")
			if r.body["livekit_url"] != "https://eu.livekit-np.int.bayer.com" || !strings.HasPrefix(room, "agent-426758d8-") ||
				r.body["expires_at"] != f.clock().Add(15*time.Minute).Format(time.RFC3339) || strings.Count(str(r.body, "token"), ".") != 2 || len(r.body) != 4 {
				t.Errorf("session = %v", printable(r.body))
			}
		})
	}
}

func TestSessionStartRefusalsExplain(t *testing.T) {
	f := newFixture(t)
	checkOK(t, f.register(t, "nonprod/eu", agentID, "{}"))
	r := f.start(t, "nonprod/eu")
	checkLKPS(t, r, http.StatusForbidden, "scope_missing")
	if d := str(r.body, "detail"); !strings.Contains(d, agentID) || !strings.Contains(d, "access_as_client") {
		t.Errorf("detail %q", d)
	}
	f.agents.set(agentID, lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{{ID: scopeID, Value: "access_as_client"}}})
	r = f.start(t, "nonprod/eu")
	checkLKPS(t, r, http.StatusForbidden, "client_not_preauthorized")
	if d := str(r.body, "detail"); !strings.Contains(d, clientID) || !strings.Contains(d, "Authorized client applications") {
		t.Errorf("detail %q", d)
	}
	st := f.svc.State()
	last := st.Audit[len(st.Audit)-1]
	if last.Path != "/api/session/start" || last.Status != http.StatusForbidden || !strings.Contains(last.Detail, "client_not_preauthorized") || !strings.EqualFold(last.ClientID, clientID) {
		t.Errorf("audit = %+v", last)
	}
}

func TestRegionAndEnvironmentIsolation(t *testing.T) {
	f := newFixture(t)
	checkOK(t, f.register(t, "nonprod/eu", agentID, `{"service_config":{"enforce_client_authz":false}}`))
	checkOK(t, f.start(t, "nonprod/eu"))
	for _, route := range []string{"nonprod/us", "prod/eu", "prod/us"} {
		r := f.start(t, route)
		checkLKPS(t, r, http.StatusNotFound, "")
		if d := str(r.body, "detail"); !strings.Contains(d, "register") {
			t.Errorf("%s: 404 detail %q", route, d)
		}
	}
	r := f.register(t, "prod/us", agentID, "{}")
	checkOK(t, r)
	if r.body["livekit_url"] != "https://us.livekit.int.bayer.com" {
		t.Errorf("prod/us livekit_url = %v", r.body["livekit_url"])
	}
	st := f.svc.State()
	if len(st.Registrations["nonprod/eu"]) != 1 || st.Registrations["nonprod/eu"][0].EnforceClientAuthz ||
		len(st.Registrations["prod/us"]) != 1 || !st.Registrations["prod/us"][0].EnforceClientAuthz || len(st.Registrations["nonprod/us"]) != 0 {
		t.Errorf("registrations = %+v", st.Registrations)
	}
}

func TestSpoofedIdentityHeadersAreIgnored(t *testing.T) {
	f := newFixture(t)
	// The caller is the client but claims to be the agent in every header spelling it can think of.
	tok := f.token(t, clientID, npAud)
	r := f.do(t, http.MethodPost, "/lkps/nonprod/eu/api/agent/register", tok, "{}",
		"client-id", agentID, "Client-Id", agentID, "CLIENT-ID", agentID, "Client_Id", agentID, "client_id", agentID,
		"User-Id", agentID, "X-Bayer-User", "ceo@bayer.com", "User-Profile", `{"user_id":"x"}`)
	checkOK(t, r)
	if !strings.EqualFold(str(r.body, "agent_entra_app_id"), clientID) {
		t.Errorf("registration keyed by %v, want the token's appid %s", r.body["agent_entra_app_id"], clientID)
	}
	st := f.svc.State()
	if rows := st.Registrations["nonprod/eu"]; len(rows) != 1 || !strings.EqualFold(rows[0].AgentAppID, clientID) {
		t.Errorf("registrations = %+v", rows)
	}
}

func TestStateRestoreAndAccessLists(t *testing.T) {
	f := newFixture(t)
	checkOK(t, f.register(t, "nonprod/eu", agentID, "{}"))
	st := f.svc.State()
	if got := st.AccessLists["nonprod/eu"]; len(got) != 2 || got[0] != agentID || got[1] != clientID {
		t.Errorf("access list = %v, want sorted lower-case IDs", got)
	}
	// State is a copy.
	st.AccessLists["nonprod/eu"][0] = other
	st.Registrations["nonprod/eu"][0].EnforceClientAuthz = false
	st.Audit[0].Detail = "changed"
	again := f.svc.State()
	if again.AccessLists["nonprod/eu"][0] != agentID || !again.Registrations["nonprod/eu"][0].EnforceClientAuthz || again.Audit[0].Detail == "changed" {
		t.Error("State shares memory with the service")
	}

	st.AccessLists["lab/eu"] = []string{agentID}
	restored := lkpsapi.New(lkpsapi.Config{Verifier: f.tokens, Directory: f.agents, Now: f.clock, Initial: st})
	got := restored.State()
	if got.AccessLists["nonprod/eu"][0] != other || got.Registrations["nonprod/eu"][0].EnforceClientAuthz || len(got.Audit) != 1 || got.AccessLists["lab/eu"] == nil {
		t.Errorf("restored state = %+v", got)
	}
	f.svc.Restore(lkpsapi.State{})
	if st := f.svc.State(); len(st.Registrations) != 0 || len(st.Audit) != 0 {
		t.Errorf("Restore(empty) left %+v", st)
	}
	checkOcelot(t, f.register(t, "nonprod/eu", agentID, "{}"), http.StatusForbidden, "client_not_allowed")

	for _, bad := range []struct {
		route string
		ids   []string
	}{{"nonprod/apac", nil}, {"nonprod", nil}, {"staging/eu", nil}, {"nonprod/eu", []string{"not-a-guid"}}} {
		if err := f.svc.SetAccessList(bad.route, bad.ids); err == nil {
			t.Errorf("SetAccessList(%q, %v) succeeded", bad.route, bad.ids)
		}
	}
	if err := f.svc.SetAccessList("prod/us", []string{agentID, strings.ToUpper(agentID)}); err != nil || len(f.svc.State().AccessLists["prod/us"]) != 1 {
		t.Errorf("duplicates not merged: %v %v", err, f.svc.State().AccessLists["prod/us"])
	}
}

func TestConcurrentRegistrations(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, agentID, npAud)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := `{"service_config":{"enforce_client_authz":` + map[bool]string{true: "true", false: "false"}[i%2 == 0] + `}}`
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/lkps/nonprod/eu/api/agent/register", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			f.svc.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Errorf("status %d", rec.Code)
			}
		}()
	}
	wg.Wait()
	if st := f.svc.State(); len(st.Registrations["nonprod/eu"]) != 1 || len(st.Audit) != 20 {
		t.Errorf("%d registrations, %d audit records", len(st.Registrations["nonprod/eu"]), len(st.Audit))
	}
}

// BenchmarkSessionStart measures one authorized session start through the gateway: token check, access
// list, header rewrite, the three authorization checks and the LiveKit token.
func BenchmarkSessionStart(b *testing.B) {
	f := newFixture(b)
	scope := lkpsapi.Scope{ID: scopeID, Value: environments.ClientScopeValue, Enabled: true}
	f.agents.set(agentID, lkpsapi.AgentAPI{Scopes: []lkpsapi.Scope{scope}, PreAuthorized: []lkpsapi.PreAuthorized{{AppID: clientID, PermissionIDs: []string{scopeID}}}})
	reg := httptest.NewRequestWithContext(b.Context(), http.MethodPost, "/lkps/nonprod/eu/api/agent/register", strings.NewReader("{}"))
	reg.Header.Set("Authorization", "Bearer "+f.token(b, agentID, npAud))
	f.svc.Handler().ServeHTTP(httptest.NewRecorder(), reg)
	tok := f.token(b, clientID, npAud)
	body := `{"agent_entra_app_id":"` + agentID + `"}`
	emutest.ServeLoop(b, f.svc.Handler(), http.MethodPost, "/lkps/nonprod/eu/api/session/start", body, emutest.Bearer(tok, ""))
}

// TestAuditLogIsBounded shows the audit log keeps the newest records when it outgrows its bound.
func TestAuditLogIsBounded(t *testing.T) {
	f := newFixture(t)
	const bound = 10000
	var st lkpsapi.State
	for i := range bound + 5 {
		st.Audit = append(st.Audit, lkpsapi.AuditRecord{Detail: "old " + strconv.Itoa(i)})
	}
	st.AccessLists = f.svc.State().AccessLists
	f.svc.Restore(st)
	got := f.svc.State().Audit
	if len(got) != bound || got[0].Detail != "old 5" {
		t.Fatalf("restored audit: %d records starting with %q", len(got), got[0].Detail)
	}
	checkOK(t, f.register(t, "nonprod/eu", agentID, "{}"))
	got = f.svc.State().Audit
	if len(got) != bound*9/10 || got[len(got)-1].Path != "/api/agent/register" || got[len(got)-2].Detail != "old "+strconv.Itoa(bound+4) {
		t.Errorf("after trimming: %d records, last %+v", len(got), got[len(got)-1])
	}
}
