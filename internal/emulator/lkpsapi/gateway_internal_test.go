package lkpsapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// stubVerifier accepts one token and returns fixed claims for it.
type stubVerifier struct {
	token  string
	claims entra.Claims
	audOK  string
}

func (v stubVerifier) Verify(raw string, audiences ...string) (entra.Claims, error) {
	if raw != v.token {
		return entra.Claims{}, entra.ErrInvalidToken
	}
	if len(audiences) != 1 || audiences[0] != v.audOK {
		return entra.Claims{}, entra.ErrWrongAudience
	}
	return v.claims, nil
}

type noAgents struct{}

func (noAgents) AgentAPI(string) (AgentAPI, bool) { return AgentAPI{}, false }

// TestGatewayForwardsExactlyTheInjectedHeaders observes what LKPS receives: the caller's identity headers
// are gone in every spelling, the seed's four headers carry the token's claims, and the path is LKPS's.
func TestGatewayForwardsExactlyTheInjectedHeaders(t *testing.T) {
	const appID = "c11e0000-0000-4000-8000-000000000001"
	claims := entra.Claims{
		AppID: appID, ObjectID: "0b1d0000-0000-4000-8000-000000000009", Email: "jane.doe@bayer.com",
		GivenName: "Jane", FamilyName: "Doe", Name: "Jane Doe",
	}
	route := environments.MustLookup(environments.NonProd, environments.US)
	s := New(Config{Verifier: stubVerifier{token: "tok", claims: claims, audOK: route.LKPSAudience}, Directory: noAgents{}})
	if err := s.SetAccessList(route.Key(), []string{appID}); err != nil {
		t.Fatal(err)
	}
	var (
		got      *http.Request
		gotRoute environments.Entry
	)
	s.downstream = func(w http.ResponseWriter, r *http.Request, e environments.Entry) {
		got, gotRoute = r, e
		w.WriteHeader(http.StatusNoContent)
	}

	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/lkps/nonprod/us/api/session/start?x=1", nil)
	req.Header.Set("Authorization", "Bearer tok")
	// Header names as net/http's server stores them: canonicalized, underscores kept.
	for _, h := range []string{"client-id", "Client_Id", "user_id", "X_Bayer_User", "user-profile", "USER-ID"} {
		req.Header.Add(h, "spoofed")
	}
	req.Header.Set("X-Other", "kept")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent || got == nil {
		t.Fatalf("status %d, forwarded %v", rec.Code, got != nil)
	}
	if gotRoute.Key() != "nonprod/us" || got.URL.Path != "/api/session/start" || got.URL.RawQuery != "x=1" {
		t.Errorf("forwarded to %s %s?%s", gotRoute.Key(), got.URL.Path, got.URL.RawQuery)
	}
	want := map[string]string{"User-Id": claims.ObjectID, "Client-Id": appID, "X-Bayer-User": "jane.doe@bayer.com"}
	for k, v := range want {
		if vals := got.Header.Values(k); len(vals) != 1 || vals[0] != v {
			t.Errorf("%s = %v, want [%s]", k, vals, v)
		}
	}
	for name, vals := range got.Header {
		for _, v := range vals {
			if v == "spoofed" {
				t.Errorf("spoofed header %s reached LKPS", name)
			}
		}
	}
	var profile map[string]string
	if err := json.Unmarshal([]byte(got.Header.Get("User-Profile")), &profile); err != nil {
		t.Fatalf("user-profile is not JSON: %v", err)
	}
	wantProfile := map[string]string{"firstName": "Jane", "lastName": "Doe", "displayName": "Jane Doe", "email": "jane.doe@bayer.com", "user_id": claims.ObjectID}
	if len(profile) != len(wantProfile) {
		t.Errorf("user-profile = %v", profile)
	}
	for k, v := range wantProfile {
		if profile[k] != v {
			t.Errorf("user-profile %s = %q, want %q", k, profile[k], v)
		}
	}
	if got.Header.Get("X-Other") != "kept" {
		t.Error("an unrelated header was dropped")
	}
	if req.Header.Get("Client-Id") != "spoofed" {
		t.Error("the gateway modified the caller's request instead of a copy")
	}
}
