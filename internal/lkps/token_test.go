package lkps_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

func TestClient_TokenAppID(t *testing.T) {
	cases := []struct {
		name    string
		claims  map[string]any
		raw     string
		want    string
		wantErr string
	}{
		{name: "v1 appid", claims: map[string]any{"ver": "1.0", "appid": agentAppID, "aud": "api://x"}, want: agentAppID},
		{name: "v2 azp", claims: map[string]any{"ver": "2.0", "azp": clientAppID, "aud": "b5c9…"}, want: clientAppID},
		{name: "appid wins over azp", claims: map[string]any{"appid": agentAppID, "azp": clientAppID}, want: agentAppID},
		{name: "list audience", claims: map[string]any{"aud": []string{"a", "b"}, "azp": clientAppID}, want: clientAppID},
		{name: "no application claim", claims: map[string]any{"oid": "x"}, wantErr: "neither an appid nor an azp claim"},
		{name: "not a JWT", raw: "opaque-token-value", wantErr: "not a JWT"},
		{name: "payload not base64", raw: "a.%%%.c", wantErr: "not a JWT"},
		{name: "payload not JSON", raw: "a.bm90IGpzb24.c", wantErr: "not a JWT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, respond(http.StatusOK, registerOK))
			if tc.raw != "" {
				h.cred.token = tc.raw
			} else {
				h.cred.token = makeJWT(t, tc.claims)
			}
			got, err := h.client.TokenAppID(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), h.cred.token) {
					t.Error("error contains the token")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("TokenAppID = %q, want %q", got, tc.want)
			}
			if h.cred.scopes[0] != h.entry.LKPSScope {
				t.Errorf("token requested for %q, want %q", h.cred.scopes[0], h.entry.LKPSScope)
			}
			if len(h.Requests()) != 0 {
				t.Error("TokenAppID sent a request")
			}
		})
	}
}

func TestClient_TokenAppID_credentialError(t *testing.T) {
	h := newHarness(t, respond(http.StatusOK, registerOK))
	h.cred.err = errors.New("no credential configured")
	_, err := h.client.TokenAppID(context.Background())
	if !errors.Is(err, lkps.ErrToken) {
		t.Fatalf("err = %v, want ErrToken", err)
	}
}

func TestClient_VerifyCaller(t *testing.T) {
	h := newHarness(t, respond(http.StatusOK, registerOK))
	h.cred.token = v1Token(t, h.entry, strings.ToUpper(agentAppID))
	if err := h.client.VerifyCaller(context.Background(), agentAppID); err != nil {
		t.Errorf("VerifyCaller with the agent's own token (other case): %v", err)
	}

	h.cred.token = v1Token(t, h.entry, clientAppID)
	err := h.client.VerifyCaller(context.Background(), agentAppID)
	var le *lkps.Error
	if !errors.As(err, &le) || le.Kind != lkps.KindWrongIdentity || !errors.Is(err, lkps.ErrWrongIdentity) {
		t.Fatalf("err = %v, want KindWrongIdentity", err)
	}
	if le.CallerAppID != clientAppID || le.AgentAppID != agentAppID {
		t.Errorf("caller %q agent %q", le.CallerAppID, le.AgentAppID)
	}
	msg := err.Error()
	for _, s := range []string{"belongs to application " + clientAppID, "not to agent " + agentAppID,
		"under application " + clientAppID + " instead of agent " + agentAppID, "agent's own credentials"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}
	if len(h.Requests()) != 0 {
		t.Error("VerifyCaller sent a request")
	}
}

// TestSecrets_neverInErrorsOrLogs sends every kind of answer, including ones that echo the access token,
// and checks that neither the access token nor the LiveKit tokens LKPS returns appear in errors, logs or
// returned values.
func TestSecrets_neverInErrorsOrLogs(t *testing.T) {
	const agentToken = "AGENT-LIVEKIT-TOKEN-SECRET"
	const sessionToken = "SESSION-LIVEKIT-TOKEN-SECRET"
	echoToken := func(status int, template string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="bad token `+tok+`"`)
			writeJSON(w, status, fmt.Sprintf(template, tok))
		}
	}
	handlers := map[string]http.HandlerFunc{
		"register ok":      respond(http.StatusOK, registerOK),
		"session ok":       respond(http.StatusOK, sessionOK),
		"401 echoes token": echoToken(http.StatusUnauthorized, `{"source":"ocelot","error":"invalid_token","message":"token %s rejected"}`),
		"401 header only":  echoToken(http.StatusUnauthorized, `%.0s`),
		"403 echoes token": echoToken(http.StatusForbidden, `{"source":"ocelot","error":"client_not_allowed","message":"token %s"}`),
		"lkps 403 echoes":  echoToken(http.StatusForbidden, `{"detail":"caller %s","failed_check":"scope_missing"}`),
		"400 echoes token": echoToken(http.StatusBadRequest, `{"detail":"bad header Bearer %s"}`),
		"500 echoes token": echoToken(http.StatusInternalServerError, `{"detail":"trace: Authorization=Bearer %s"}`),
		"200 not JSON":     echoToken(http.StatusOK, `Bearer %s`),
		"503 then ok":      sequence(respond(http.StatusServiceUnavailable, `{"detail":"x"}`), respond(http.StatusOK, registerOK)),
	}
	for name, handler := range handlers {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, handler)
			token := h.cred.token
			reg, regErr := h.client.Register(context.Background(), nil)
			sess, sessErr := h.client.StartSession(context.Background(), agentAppID)
			healthErr := h.client.Health(context.Background())
			_, appErr := h.client.TokenAppID(context.Background())
			callerErr := h.client.VerifyCaller(context.Background(), clientAppID)

			var out strings.Builder
			for _, err := range []error{regErr, sessErr, healthErr, appErr, callerErr} {
				if err != nil {
					fmt.Fprintf(&out, "%v\n%+v\n%#v\n", err, err, err)
				}
			}
			fmt.Fprintf(&out, "%v %+v %#v\n%v %+v %#v\n", reg, reg, reg, sess, sess, sess)
			out.WriteString(h.log.all())
			if h.log.all() == "" {
				t.Fatal("nothing was logged")
			}
			text := out.String()
			for _, secret := range []string{token, agentToken, sessionToken, "Bearer ey"} {
				if strings.Contains(text, secret) {
					t.Errorf("output contains %q:\n%s", secret, text)
				}
			}
			if strings.Contains(strings.ToLower(h.log.all()), "authorization") {
				t.Errorf("logs mention the Authorization header:\n%s", h.log.all())
			}
		})
	}
}
