package emulator

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
)

// The admin API, which mints user and application tokens and edits the directory out of band, answers
// loopback callers only, whatever address the emulator listens on.
func TestAdminHandler_loopbackOnly(t *testing.T) {
	ts := NewTestServer(t)
	h := ts.Admin().handler()
	requests := []struct{ method, path, body string }{
		{http.MethodPost, "/_emulator/user-tokens", `{"objectId":"11111111-1111-4111-8111-111111111111","audience":"https://graph.microsoft.com"}`},
		{http.MethodPost, "/_emulator/tokens", `{"appId":"` + ts.DeployerClientID + `","audience":"https://graph.microsoft.com"}`},
		{http.MethodGet, "/_emulator/state", ""},
		{http.MethodPost, "/_emulator/reset", ""},
	}
	serve := func(method, path, body, remote string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(t.Context(), method, path, strings.NewReader(body))
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, rq := range requests {
		for _, remote := range []string{"192.0.2.10:40000", "[2001:db8::1]:40000", "10.0.0.1:1"} {
			rec := serve(rq.method, rq.path, rq.body, remote)
			if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "access_token") {
				t.Errorf("%s %s from %s: %d %s, want 403 without a token", rq.method, rq.path, remote, rec.Code, rec.Body.String())
			}
		}
		for _, remote := range []string{"127.0.0.1:40000", "[::1]:40000"} {
			rec := serve(rq.method, rq.path, rq.body, remote)
			if rec.Code >= 300 {
				t.Errorf("%s %s from %s: %d %s, want success", rq.method, rq.path, remote, rec.Code, rec.Body.String())
			}
		}
	}
}

// The token endpoints of the admin API read "lifetime" as a Go duration: a negative one issues an
// expired token, an unreadable one is a 400 that names the field.
func TestAdminHandler_tokenLifetime(t *testing.T) {
	ts := NewTestServer(t)
	h := ts.Admin().handler()
	post := func(path, body string) (int, map[string]string) {
		t.Helper()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, path, strings.NewReader(body))
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var out map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: not JSON: %s", path, rec.Body.String())
		}
		if rec.Code == http.StatusOK && rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: a token answer without Cache-Control: no-store", path)
		}
		return rec.Code, out
	}
	audience := ts.entra.GraphAudiences()[0]
	for _, c := range []struct{ path, body string }{
		{"/_emulator/tokens", `{"appId":"` + ts.DeployerClientID + `","audience":"` + audience + `","lifetime":"-1h"}`},
		{"/_emulator/user-tokens", `{"objectId":"11111111-1111-4111-8111-111111111111","audience":"` + audience + `","lifetime":"-1h"}`},
	} {
		code, out := post(c.path, c.body)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %v", c.path, code, out)
		}
		if _, err := ts.entra.Verify(out["access_token"], audience); !errors.Is(err, entra.ErrExpired) {
			t.Errorf("%s with lifetime -1h: Verify = %v, want an expired token", c.path, err)
		}
		bad := strings.Replace(c.body, `"-1h"`, `"soon"`, 1)
		if code, out := post(c.path, bad); code != http.StatusBadRequest || !strings.Contains(out["error"], "lifetime") || out["access_token"] != "" {
			t.Errorf("%s with lifetime \"soon\": %d %v, want 400 naming lifetime", c.path, code, out)
		}
	}
}
