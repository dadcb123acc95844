package lkpsapi

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"
)

func TestRegisterAnswerShapes(t *testing.T) {
	s := &Service{}
	base := registerResponse{AgentEntraAppID: "a", EnforceClientAuthz: true, LiveKitURL: "wss://lk", Token: "t"}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	render := func(a RegisterAnswer) map[string]any {
		t.Helper()
		if err := s.SetRegisterAnswer(a); err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(s.shapeRegisterAnswer(base, at, at.Add(time.Hour)))
		var out map[string]any
		_ = json.Unmarshal(raw, &out)
		return out
	}
	if got := render(RegisterAnswer{}); got["registered_at"] != "2026-11-22T10:00:00Z" || got["enforce_client_authz"] != true || len(got) != 6 {
		t.Errorf("default answer %v", got)
	}
	for format, want := range map[string]any{
		TimestampUnix: float64(1795341600), TimestampUnixMS: float64(1795341600000), TimestampNaive: "2026-11-22T10:00:00.000000",
		TimestampText: "22.11.2026 10:00 Uhr", TimestampNull: nil,
	} {
		if got := render(RegisterAnswer{TimestampFormat: format}); got["registered_at"] != want {
			t.Errorf("%s: registered_at = %#v, want %#v", format, got["registered_at"], want)
		}
	}
	got := render(RegisterAnswer{Omit: []string{"registered_at", "agent_entra_app_id"}, Extra: map[string]any{"region": "eu", "livekit_url": "x"},
		Override: map[string]any{"enforce_client_authz": "true", "livekit_url": "y", "unknown": 1}})
	if _, ok := got["registered_at"]; ok || got["region"] != "eu" || got["enforce_client_authz"] != "true" || got["livekit_url"] != "wss://lk" || got["unknown"] != nil {
		t.Errorf("varied answer %v", got)
	}
	for _, bad := range []RegisterAnswer{{TimestampFormat: "iso"}, {Omit: []string{"livekit_url"}}} {
		if err := s.SetRegisterAnswer(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestProxyPageAnswersCountRequests(t *testing.T) {
	s := &Service{}
	if err := s.SetProxyPage(&ProxyPage{Status: 502, Body: "<html>bad gateway</html>", Count: 2}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		w := httptest.NewRecorder()
		if !s.serveProxyPage(w) || w.Code != 502 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" || w.Body.String() != "<html>bad gateway</html>" {
			t.Fatalf("request %d: %d %v %q", i, w.Code, w.Header(), w.Body.String())
		}
	}
	if s.serveProxyPage(httptest.NewRecorder()) {
		t.Fatal("the proxy answered a third request")
	}
	if err := s.SetProxyPage(&ProxyPage{Status: 42}); err == nil {
		t.Fatal("status 42 accepted")
	}
}
