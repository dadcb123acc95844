package lkps_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

func boolPtr(b bool) *bool { return &b }

func TestClient_Register_body(t *testing.T) {
	cases := []struct {
		name    string
		enforce *bool
		body    string
		// echo is the enforce_client_authz LKPS answers with; "" omits it.
		echo string
		want bool
	}{
		{name: "default", enforce: nil, body: `{}`, echo: "true", want: true},
		{name: "enforce true", enforce: boolPtr(true), body: `{"service_config":{"enforce_client_authz":true}}`, echo: "true", want: true},
		{name: "enforce false", enforce: boolPtr(false), body: `{"service_config":{"enforce_client_authz":false}}`, echo: "false", want: false},
		{name: "default without echo", enforce: nil, body: `{}`, echo: "", want: true},
		{name: "false without echo", enforce: boolPtr(false), body: `{"service_config":{"enforce_client_authz":false}}`, echo: "", want: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := `{"agent_entra_app_id":"` + agentAppID + `",`
			if tc.echo != "" {
				resp += `"enforce_client_authz":` + tc.echo + `,`
			}
			resp += `"livekit_url":"https://eu.livekit-np.int.bayer.com","registered_at":"2026-11-22T10:00:00Z","token":"x"}`
			h := newHarness(t, respond(http.StatusOK, resp))
			reg, err := h.client.Register(context.Background(), tc.enforce)
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			reqs := h.Requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.method != http.MethodPost || r.path != "/lkps/nonprod/eu/api/agent/register" {
				t.Errorf("request %s %s, want POST /lkps/nonprod/eu/api/agent/register", r.method, r.path)
			}
			if r.body != tc.body {
				t.Errorf("body %s, want %s", r.body, tc.body)
			}
			if got := r.header.Get("Authorization"); got != "Bearer "+h.cred.token {
				t.Errorf("Authorization header does not carry the credential's token")
			}
			if got := r.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type %q", got)
			}
			if got := r.header.Get("User-Agent"); got != "lkps-test/1.0" {
				t.Errorf("User-Agent %q", got)
			}
			if reg.EnforceClientAuthz != tc.want {
				t.Errorf("EnforceClientAuthz = %v, want %v", reg.EnforceClientAuthz, tc.want)
			}
			if reg.AgentAppID != agentAppID || reg.LiveKitURL != "https://eu.livekit-np.int.bayer.com" {
				t.Errorf("registration %+v", reg)
			}
			if want := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC); !reg.RegisteredAt.Equal(want) {
				t.Errorf("RegisteredAt %v, want %v", reg.RegisteredAt, want)
			}
		})
	}
}

func TestClient_Register_requestsTheConfiguredScope(t *testing.T) {
	h := newHarness(t, respond(http.StatusOK, registerOK))
	if _, err := h.client.Register(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if len(h.cred.scopes) != 1 || h.cred.scopes[0] != h.entry.LKPSScope {
		t.Errorf("token scopes %v, want [%s]", h.cred.scopes, h.entry.LKPSScope)
	}
}

func TestClient_StartSession(t *testing.T) {
	h := newHarness(t, respond(http.StatusOK, sessionOK))
	s, err := h.client.StartSession(context.Background(), agentAppID)
	if err != nil {
		t.Fatalf("StartSession: %v", err)
	}
	r := h.Requests()[0]
	if r.method != http.MethodPost || r.path != "/lkps/nonprod/eu/api/session/start" {
		t.Errorf("request %s %s", r.method, r.path)
	}
	if want := `{"agent_entra_app_id":"` + agentAppID + `"}`; r.body != want {
		t.Errorf("body %s, want %s", r.body, want)
	}
	if s.LiveKitURL != "https://eu.livekit-np.int.bayer.com" || s.RoomName != "room-1" || s.ExpiresAt.IsZero() {
		t.Errorf("session %+v", s)
	}
	if _, err := h.client.StartSession(context.Background(), "  "); err == nil {
		t.Error("StartSession with an empty agent ID succeeded")
	}
}

func TestClient_Health(t *testing.T) {
	h := newHarness(t, respond(http.StatusOK, `{"status":"ok"}`))
	if err := h.client.Health(context.Background()); err != nil {
		t.Fatalf("Health: %v", err)
	}
	r := h.Requests()[0]
	if r.method != http.MethodGet || r.path != "/lkps/nonprod/eu/api/health" || r.body != "" {
		t.Errorf("request %s %s %q", r.method, r.path, r.body)
	}
	if r.header.Get("Content-Type") != "" {
		t.Errorf("GET carries Content-Type %q", r.header.Get("Content-Type"))
	}

	bad := newHarness(t, respond(http.StatusOK, `{"status":"degraded"}`))
	err := bad.client.Health(context.Background())
	if !errors.Is(err, lkps.ErrUnexpectedResponse) || !strings.Contains(err.Error(), "degraded") {
		t.Errorf("Health with status degraded: %v", err)
	}
}

// errorCase is one documented (or assumed) failure answer and what the client must make of it.
type errorCase struct {
	name    string
	call    string // "register", "session" or "health"
	handler http.HandlerFunc
	// token, when set, replaces the credential's token.
	token       func(t *testing.T, e environments.Entry) string
	kind        lkps.Kind
	sentinel    error
	source      lkps.Source
	status      int
	failedCheck string
	code        string
	attempts    int
	contains    []string
	excludes    []string
}

func TestClient_errors(t *testing.T) {
	e := environments.MustLookup(environments.NonProd, environments.EU)
	cases := []errorCase{
		{
			name: "ocelot 401 expired token", call: "register",
			handler: respond(http.StatusUnauthorized, `{"source":"ocelot","error":"invalid_token","message":"The token is expired"}`,
				"WWW-Authenticate", `Bearer error="invalid_token", error_description="The token is expired"`),
			kind: lkps.KindOcelotUnauthorized, sentinel: lkps.ErrOcelotUnauthorized, source: lkps.SourceOcelot, status: 401,
			code: "invalid_token", attempts: 1,
			contains: []string{"Ocelot rejected the access token", "The token is expired", "fresh", e.LKPSAudience,
				e.LKPSScope, e.OcelotRouteURL, "scope parameter"},
			excludes: []string{"was issued for audience"},
		},
		{
			name: "ocelot 401 header only", call: "session",
			handler: respond(http.StatusUnauthorized, ``,
				"WWW-Authenticate", `Bearer realm="ocelot", error="invalid_token", error_description="Signature \"bad\""`),
			kind: lkps.KindOcelotUnauthorized, sentinel: lkps.ErrOcelotUnauthorized, source: lkps.SourceOcelot, status: 401,
			code: "invalid_token", attempts: 1,
			contains: []string{`Signature "bad"`, e.LKPSAudience},
		},
		{
			name: "ocelot 401 wrong audience", call: "register",
			handler: respond(http.StatusUnauthorized, `{"source":"ocelot","error":"invalid_token","message":"The audience is invalid"}`,
				"WWW-Authenticate", `Bearer error="invalid_token"`),
			token: func(t *testing.T, e environments.Entry) string {
				return makeJWT(t, map[string]any{"aud": "api://livekit-platform-service.int.bayer.com", "appid": agentAppID})
			},
			kind: lkps.KindOcelotUnauthorized, sentinel: lkps.ErrOcelotUnauthorized, source: lkps.SourceOcelot, status: 401,
			code: "invalid_token", attempts: 1,
			contains: []string{"was issued for audience api://livekit-platform-service.int.bayer.com", "expects " + e.LKPSAudience},
		},
		{
			name: "ocelot 403 client not allowed", call: "register",
			handler: respond(http.StatusForbidden, `{"source":"ocelot","error":"client_not_allowed","message":"Client is not allowed on this route"}`),
			kind:    lkps.KindOcelotForbidden, sentinel: lkps.ErrOcelotForbidden, source: lkps.SourceOcelot, status: 403,
			code: "client_not_allowed", attempts: 1,
			contains: []string{"Ocelot refused application " + agentAppID, "Client Access List", "REQUEST ACCESS",
				e.OcelotRouteURL, e.OcelotAccessURL, "Ocelot Users group", "non-prod vs. prod", "nonprod/eu"},
		},
		{
			name: "403 with empty body is Ocelot's", call: "session",
			handler: respond(http.StatusForbidden, ``),
			kind:    lkps.KindOcelotForbidden, sentinel: lkps.ErrOcelotForbidden, source: lkps.SourceOcelot, status: 403, attempts: 1,
			contains: []string{e.OcelotRouteURL},
		},
		{
			name: "lkps 403 scope missing", call: "session",
			handler: respond(http.StatusForbidden, `{"detail":"Agent does not expose access_as_client","failed_check":"scope_missing"}`),
			kind:    lkps.KindClientNotAuthorized, sentinel: lkps.ErrClientNotAuthorized, source: lkps.SourceLKPS, status: 403,
			failedCheck: "scope_missing", attempts: 1,
			contains: []string{"not authorized for agent " + agentAppID, "failed_check scope_missing", "Check 1 failed",
				"(1)", "(2)", "(3)", "Add a scope", "enforce_client_authz = false", "Agent does not expose access_as_client"},
			excludes: []string{e.OcelotRouteURL},
		},
		{
			name: "lkps 403 client not preauthorized", call: "session",
			handler: respond(http.StatusForbidden, `{"detail":"Client not pre-authorized","failed_check":"client_not_preauthorized"}`),
			token: func(t *testing.T, e environments.Entry) string {
				return v1Token(t, e, clientAppID)
			},
			kind: lkps.KindClientNotAuthorized, sentinel: lkps.ErrClientNotAuthorized, source: lkps.SourceLKPS, status: 403,
			failedCheck: "client_not_preauthorized", attempts: 1,
			contains: []string{"client application " + clientAppID, "Check 2 failed", "preAuthorizedApplications",
				"Authorized client applications"},
		},
		{
			name: "lkps 403 scope not granted", call: "session",
			handler: respond(http.StatusForbidden, `{"detail":"Scope not granted","failed_check":"scope_not_granted"}`),
			kind:    lkps.KindClientNotAuthorized, sentinel: lkps.ErrClientNotAuthorized, source: lkps.SourceLKPS, status: 403,
			failedCheck: "scope_not_granted", attempts: 1,
			contains: []string{"Check 3 failed", "scope ID"},
		},
		{
			name: "lkps 403 without failed_check", call: "session",
			handler: respond(http.StatusForbidden, `{"detail":"Forbidden"}`),
			kind:    lkps.KindClientNotAuthorized, sentinel: lkps.ErrClientNotAuthorized, source: lkps.SourceLKPS, status: 403,
			attempts: 1,
			contains: []string{"did not say which check failed", "(1)", "(3)"},
		},
		{
			name: "lkps 404 agent not registered", call: "session",
			handler: respond(http.StatusNotFound, `{"detail":"Agent not found"}`),
			kind:    lkps.KindNotFound, sentinel: lkps.ErrNotFound, source: lkps.SourceLKPS, status: 404, attempts: 1,
			contains: []string{"does not know agent " + agentAppID, "nonprod/eu", "Agent not found", "lkps_agent_registration",
				"EU and US are isolated"},
		},
		{
			name: "404 on register is a wrong URL", call: "register",
			handler: respond(http.StatusNotFound, `<html>Not Found</html>`),
			kind:    lkps.KindInvalidRequest, sentinel: lkps.ErrInvalidRequest, source: lkps.SourceUnknown, status: 404, attempts: 1,
			contains: []string{"path was not found", e.LKPSBaseURL},
		},
		{
			name: "400 with detail", call: "register",
			handler: respond(http.StatusBadRequest, `{"detail":"service_config.enforce_client_authz must be a boolean"}`),
			kind:    lkps.KindInvalidRequest, sentinel: lkps.ErrInvalidRequest, source: lkps.SourceLKPS, status: 400, attempts: 1,
			contains: []string{"rejected with 400", "service_config.enforce_client_authz must be a boolean", "bug in the provider"},
		},
		{
			name: "422 FastAPI validation list", call: "session",
			handler: respond(http.StatusUnprocessableEntity, `{"detail":[{"loc":["body","agent_entra_app_id"],"msg":"field required","type":"missing"}]}`),
			kind:    lkps.KindInvalidRequest, sentinel: lkps.ErrInvalidRequest, source: lkps.SourceLKPS, status: 422, attempts: 1,
			contains: []string{"body.agent_entra_app_id: field required"},
		},
		{
			name: "500 not retried at session start", call: "session",
			handler: respond(http.StatusInternalServerError, `{"detail":"Internal Server Error"}`, "X-Request-Id", "req-500"),
			kind:    lkps.KindServer, sentinel: lkps.ErrServer, source: lkps.SourceLKPS, status: 500, attempts: 1,
			contains: []string{"failed with 500", "request id req-500", "Retry later"},
		},
		{
			name: "500 not retried at register", call: "register",
			handler: respond(http.StatusInternalServerError, `{"detail":"boom"}`),
			kind:    lkps.KindServer, sentinel: lkps.ErrServer, source: lkps.SourceLKPS, status: 500, attempts: 1,
		},
		{
			name: "502 from Ocelot retried at register", call: "register",
			handler: respond(http.StatusBadGateway, `{"source":"ocelot","error":"bad_gateway","message":"upstream unavailable"}`),
			kind:    lkps.KindServer, sentinel: lkps.ErrServer, source: lkps.SourceOcelot, status: 502, attempts: 4,
			code:     "bad_gateway",
			contains: []string{"after 4 attempts", "Ocelot could not get an answer from LKPS", e.OcelotRouteURL},
		},
		{
			name: "503 with Retry-After exhausts attempts at register", call: "register",
			handler: respond(http.StatusServiceUnavailable, `{"detail":"maintenance"}`, "Retry-After", "2"),
			kind:    lkps.KindServer, sentinel: lkps.ErrServer, source: lkps.SourceLKPS, status: 503, attempts: 4,
		},
		{
			name: "429 exhausts attempts at session start", call: "session",
			handler: respond(http.StatusTooManyRequests, `{"detail":"slow down"}`, "Retry-After", "3"),
			kind:    lkps.KindThrottled, sentinel: lkps.ErrThrottled, source: lkps.SourceLKPS, status: 429, attempts: 4,
			contains: []string{"429", "-parallelism", "wait 3s"},
		},
		{
			name: "malformed JSON success body", call: "register",
			handler: respond(http.StatusOK, `{"livekit_url": "https://x", `),
			kind:    lkps.KindUnexpectedResponse, sentinel: lkps.ErrUnexpectedResponse, status: 200, attempts: 1,
			contains: []string{"cannot use", "decoding response body", "wire contract"},
		},
		{
			name: "success body without livekit_url", call: "session",
			handler: respond(http.StatusOK, `{"room_name":"r"}`),
			kind:    lkps.KindUnexpectedResponse, sentinel: lkps.ErrUnexpectedResponse, attempts: 1,
			contains: []string{"cannot use", "no livekit_url"},
		},
		{
			name: "redirect not followed", call: "register",
			handler: respond(http.StatusTemporaryRedirect, ``, "Location", "https://elsewhere.example.test/api/agent/register"),
			kind:    lkps.KindUnexpectedResponse, sentinel: lkps.ErrUnexpectedResponse, status: 307, attempts: 1,
			contains: []string{"unexpected status 307", "redirect to https://elsewhere.example.test/api/agent/register",
				"does not follow redirects", e.LKPSBaseURL},
		},
		{
			name: "health 401", call: "health",
			handler: respond(http.StatusUnauthorized, `{"source":"ocelot","error":"invalid_token","message":"expired"}`),
			kind:    lkps.KindOcelotUnauthorized, sentinel: lkps.ErrOcelotUnauthorized, source: lkps.SourceOcelot, status: 401,
			code: "invalid_token", attempts: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.handler)
			if tc.token != nil {
				h.cred.token = tc.token(t, h.entry)
			}
			err := h.call(t, tc.call)
			checkError(t, h, err, tc)
		})
	}
}

func checkError(t *testing.T, h *harness, err error, tc errorCase) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	var le *lkps.Error
	if !errors.As(err, &le) {
		t.Fatalf("error %T is not an *lkps.Error: %v", err, err)
	}
	if le.Kind != tc.kind {
		t.Errorf("Kind = %v, want %v (%v)", le.Kind, tc.kind, err)
	}
	if !errors.Is(err, tc.sentinel) {
		t.Errorf("errors.Is(err, %v) is false", tc.sentinel)
	}
	for _, other := range []error{lkps.ErrNotFound, lkps.ErrOcelotForbidden, lkps.ErrClientNotAuthorized, lkps.ErrServer} {
		if !errors.Is(other, tc.sentinel) && errors.Is(err, other) {
			t.Errorf("errors.Is(err, %v) is true", other)
		}
	}
	if le.Source != tc.source {
		t.Errorf("Source = %q, want %q", le.Source, tc.source)
	}
	if tc.status != 0 && le.StatusCode != tc.status {
		t.Errorf("StatusCode = %d, want %d", le.StatusCode, tc.status)
	}
	if le.FailedCheck != tc.failedCheck {
		t.Errorf("FailedCheck = %q, want %q", le.FailedCheck, tc.failedCheck)
	}
	if le.Code != tc.code {
		t.Errorf("Code = %q, want %q", le.Code, tc.code)
	}
	if le.Attempts != tc.attempts {
		t.Errorf("Attempts = %d, want %d", le.Attempts, tc.attempts)
	}
	if got := len(h.Requests()); got != tc.attempts {
		t.Errorf("server saw %d requests, want %d", got, tc.attempts)
	}
	msg := err.Error()
	if le.Advice() == "" || msg != le.Op+": "+le.Summary()+" "+le.Advice() {
		t.Errorf("Error() is not Op, Summary and Advice:\n%s", msg)
	}
	for _, s := range tc.contains {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}
	for _, s := range tc.excludes {
		if strings.Contains(msg, s) {
			t.Errorf("message contains %q:\n%s", s, msg)
		}
	}
	if strings.Contains(msg, h.cred.token) {
		t.Errorf("message contains the access token")
	}
}

func TestNew_validation(t *testing.T) {
	e := environments.MustLookup(environments.Prod, environments.US)
	cred := &fakeCredential{token: "x"}
	cases := []struct {
		name string
		cfg  lkps.Config
		ok   bool
	}{
		{name: "defaults from entry", cfg: lkps.Config{Entry: e, Credential: cred}, ok: true},
		{name: "no credential", cfg: lkps.Config{Entry: e}},
		{name: "no base URL", cfg: lkps.Config{Credential: cred, Scope: "api://x/.default"}},
		{name: "no scope", cfg: lkps.Config{Credential: cred, BaseURL: "https://example.test"}},
		{name: "http remote", cfg: lkps.Config{Entry: e, Credential: cred, BaseURL: "http://lkps.example.test"}},
		{name: "http loopback", cfg: lkps.Config{Entry: e, Credential: cred, BaseURL: "http://127.0.0.1:8443/lkps/prod/us"}, ok: true},
		{name: "ftp", cfg: lkps.Config{Entry: e, Credential: cred, BaseURL: "ftp://lkps.example.test"}},
		{name: "relative", cfg: lkps.Config{Entry: e, Credential: cred, BaseURL: "/api"}},
		{name: "query", cfg: lkps.Config{Entry: e, Credential: cred, BaseURL: "https://lkps.example.test/?a=b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := lkps.New(tc.cfg)
			if tc.ok != (err == nil) {
				t.Fatalf("New error = %v, want ok=%v", err, tc.ok)
			}
			if tc.ok && tc.cfg.BaseURL == "" {
				if c.BaseURL() != e.LKPSBaseURL || c.Scope() != e.LKPSScope {
					t.Errorf("defaults: base %s scope %s", c.BaseURL(), c.Scope())
				}
			}
		})
	}
}
