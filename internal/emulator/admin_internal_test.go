package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
