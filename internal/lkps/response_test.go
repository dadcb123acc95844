package lkps_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// respondRaw answers with a body of the given content type (respond always says application/json).
func respondRaw(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// LKPS's register answer is documented only for livekit_url. Every other field may come in another
// form, be missing, or differ from what was sent: none of that may fail a registration LKPS has stored.
func TestClient_Register_lenientAnswers(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	url := `"livekit_url":"wss://eu.livekit-np.int.bayer.com"`
	cases := []struct {
		name         string
		body         string
		wantAt       time.Time
		wantAgent    string
		wantEcho     *bool
		wantLog      string
		wantMismatch []string
	}{
		{name: "unix seconds", body: `{` + url + `,"registered_at":1795341600,"agent_entra_app_id":"` + agentAppID + `","enforce_client_authz":false}`,
			wantAt: at, wantAgent: agentAppID, wantEcho: boolPtr(false)},
		{name: "naive ISO time and string flag", body: `{` + url + `,"registered_at":"2026-11-22T10:00:00.000000","enforce_client_authz":"false"}`,
			wantAt: at, wantEcho: boolPtr(false), wantLog: "agent_entra_app_id"},
		{name: "unknown time form", body: `{` + url + `,"registered_at":"22.11.2026 10:00","enforce_client_authz":false}`,
			wantEcho: boolPtr(false), wantLog: "registered_at"},
		{name: "extra fields", body: `{` + url + `,"registered_at":"2026-11-22T10:00:00Z","enforce_client_authz":false,` +
			`"region":"eu","service_config":{"enforce_client_authz":false,"max_sessions":10},"links":[1,2],"token":"T","expires_at":"soon"}`,
			wantAt: at, wantEcho: boolPtr(false)},
		{name: "only livekit_url", body: `{` + url + `}`, wantLog: "registered_at"},
		{name: "echo fields of other types", body: `{` + url + `,"agent_entra_app_id":42,"enforce_client_authz":"maybe","registered_at":true}`,
			wantLog: "enforce_client_authz"},
		{name: "mismatched echoes", body: `{` + url + `,"agent_entra_app_id":"` + clientAppID + `","enforce_client_authz":true}`,
			wantAgent: clientAppID, wantEcho: boolPtr(true), wantMismatch: []string{"agent_entra_app_id", "enforce_client_authz"}},
		{name: "echo in other case is no mismatch", body: `{` + url + `,"agent_entra_app_id":"` + strings.ToUpper(agentAppID) + `","enforce_client_authz":false}`,
			wantAgent: strings.ToUpper(agentAppID), wantEcho: boolPtr(false)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, respond(http.StatusOK, tc.body))
			reg, err := h.client.Register(context.Background(), boolPtr(false))
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			if reg.LiveKitURL != "wss://eu.livekit-np.int.bayer.com" || reg.EnforceClientAuthz {
				t.Errorf("registration %+v", reg)
			}
			if !reg.RegisteredAt.Equal(tc.wantAt) {
				t.Errorf("RegisteredAt = %v, want %v", reg.RegisteredAt, tc.wantAt)
			}
			if reg.AgentAppID != tc.wantAgent {
				t.Errorf("AgentAppID = %q, want %q", reg.AgentAppID, tc.wantAgent)
			}
			if (reg.EchoedEnforceClientAuthz == nil) != (tc.wantEcho == nil) || tc.wantEcho != nil && *reg.EchoedEnforceClientAuthz != *tc.wantEcho {
				t.Errorf("EchoedEnforceClientAuthz = %v, want %v", reg.EchoedEnforceClientAuthz, tc.wantEcho)
			}
			if tc.wantLog != "" && !strings.Contains(h.log.all(), "field:"+tc.wantLog) {
				t.Errorf("no debug log for %s:\n%s", tc.wantLog, h.log.all())
			}
			var fields []string
			for _, m := range reg.Mismatches(agentAppID) {
				fields = append(fields, m.Field)
				if m.Sent == "" || m.Echoed == "" || m.Sent == m.Echoed {
					t.Errorf("mismatch %+v", m)
				}
			}
			if strings.Join(fields, ",") != strings.Join(tc.wantMismatch, ",") {
				t.Errorf("mismatches %v, want %v", fields, tc.wantMismatch)
			}
			if strings.Contains(h.log.all(), `"T"`) {
				t.Error("the LiveKit token reached the log")
			}
		})
	}
}

// livekit_url is documented, so it is the one field decoded strictly.
func TestClient_Register_strictLiveKitURL(t *testing.T) {
	for body, want := range map[string]string{
		`{"registered_at":"2026-11-22T10:00:00Z"}`: "no livekit_url",
		`{"livekit_url":{"eu":"wss://x"}}`:         "livekit_url is not a string",
		`{"livekit_url":"/relative"}`:              "not an absolute URL",
	} {
		h := newHarness(t, respond(http.StatusOK, body))
		_, err := h.client.Register(context.Background(), nil)
		if !errors.Is(err, lkps.ErrUnexpectedResponse) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", body, err, want)
		}
	}
}

// A proxy between the provider and Ocelot answers with its own page: the error says so, instead of
// blaming Ocelot's Client Access List or failing to decode.
func TestClient_nonJSONBodiesFromAProxy(t *testing.T) {
	page := `<html><head><title>Web Page Blocked</title></head><body>Access to this site is blocked by your proxy.</body></html>`
	cases := []struct {
		name     string
		status   int
		kind     lkps.Kind
		attempts int
		contains []string
		excludes []string
	}{
		{name: "403 page", status: http.StatusForbidden, kind: lkps.KindUnexpectedResponse, attempts: 1,
			contains: []string{"answered HTTP 403 with a body of type text/html (\"Web Page Blocked\")", "HTTPS_PROXY", "NO_PROXY"},
			excludes: []string{"Client Access List", "REQUEST ACCESS"}},
		{name: "401 page", status: http.StatusUnauthorized, kind: lkps.KindUnexpectedResponse, attempts: 1,
			contains: []string{"answered HTTP 401", "Web Page Blocked", "HTTPS_PROXY"},
			excludes: []string{"fresh"}},
		{name: "502 page, retried", status: http.StatusBadGateway, kind: lkps.KindServer, attempts: 4,
			contains: []string{"answered HTTP 502", "Web Page Blocked", "after 4 attempts", "retry later"}},
		{name: "200 page (captive portal)", status: http.StatusOK, kind: lkps.KindUnexpectedResponse, attempts: 1,
			contains: []string{"answered HTTP 200", "Web Page Blocked", "HTTPS_PROXY"},
			excludes: []string{"decoding"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, respondRaw(tc.status, "text/html; charset=utf-8", page))
			_, err := h.client.Register(context.Background(), nil)
			var le *lkps.Error
			if !errors.As(err, &le) || le.Kind != tc.kind || le.Attempts != tc.attempts || le.NonJSON == "" {
				t.Fatalf("err = %#v", err)
			}
			for _, s := range tc.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message lacks %q:\n%s", s, err)
				}
			}
			for _, s := range tc.excludes {
				if strings.Contains(err.Error(), s) {
					t.Errorf("message contains %q:\n%s", s, err)
				}
			}
		})
	}
}

// Session start reads its undocumented fields leniently too.
func TestClient_StartSession_lenientAnswers(t *testing.T) {
	h := newHarness(t, respond(http.StatusOK, `{"livekit_url":"wss://lk","room_name":7,"expires_at":"in an hour","extra":{}}`))
	s, err := h.client.StartSession(context.Background(), agentAppID)
	if err != nil || s.LiveKitURL != "wss://lk" || s.RoomName != "" || !s.ExpiresAt.IsZero() {
		t.Fatalf("session %+v, %v", s, err)
	}
}

// An echoed agent_entra_app_id is LKPS's text on its way into a warning: bounded and on one line.
func TestRegistration_Mismatches_boundsTheEcho(t *testing.T) {
	reg := lkps.Registration{AgentAppID: strings.Repeat("x", 5000) + "\n\nmore", EnforceClientAuthz: true}
	ms := reg.Mismatches("11111111-1111-1111-1111-111111111111")
	if len(ms) != 1 {
		t.Fatalf("mismatches %+v, want the agent ID's", ms)
	}
	if len(ms[0].Echoed) > 1000 || strings.Contains(ms[0].Echoed, "\n") {
		t.Fatalf("echo of %d bytes: %.80q", len(ms[0].Echoed), ms[0].Echoed)
	}
}
