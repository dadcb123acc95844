package lkps_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/bayer/terraform-provider-lkps/internal/clocktest"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

const (
	agentAppID  = "426758d8-100a-4420-9ae2-5f17e44f7df4"
	clientAppID = "5b0c1f0e-9a4e-4f7a-8d3c-2c1f7f9e0a11"
)

// fakeCredential is an azcore.TokenCredential that returns a fixed token and records the scopes asked for.
type fakeCredential struct {
	mu     sync.Mutex
	token  string
	err    error
	scopes []string
}

func (f *fakeCredential) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = append(f.scopes, strings.Join(opts.Scopes, " "))
	if f.err != nil {
		return azcore.AccessToken{}, f.err
	}
	return azcore.AccessToken{Token: f.token, ExpiresOn: time.Now().Add(time.Hour)}, nil
}

// makeJWT builds an unsigned JWT with the given claims; a unique "secret" marker is embedded in the
// signature part so tests can look for any leak of the token.
func makeJWT(t *testing.T, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	header, err := json.Marshal(map[string]any{"alg": "none", "typ": "JWT"})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + "." + enc.EncodeToString([]byte("sig-"+t.Name()))
}

// v1Token is a v1 access token of clientID for the entry's LKPS audience.
func v1Token(t *testing.T, entry environments.Entry, clientID string) string {
	t.Helper()
	return makeJWT(t, map[string]any{"aud": entry.LKPSAudience, "appid": clientID, "ver": "1.0", "tid": entry.TenantID})
}

// recordingLogger keeps every log line, rendered with its fields.
type recordingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recordingLogger) Debug(_ context.Context, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf("%s %v", msg, fields))
}

func (l *recordingLogger) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// harness is one fake LKPS-behind-Ocelot server and a client pointed at it.
type harness struct {
	server *httptest.Server
	client *lkps.Client
	cred   *fakeCredential
	clock  *clocktest.Clock
	log    *recordingLogger
	entry  environments.Entry

	mu       sync.Mutex
	requests []recordedRequest
}

type recordedRequest struct {
	method string
	path   string
	header http.Header
	body   string
}

func (h *harness) Requests() []recordedRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]recordedRequest(nil), h.requests...)
}

// call calls the client operation named register, session or health, and returns its error.
func (h *harness) call(t *testing.T, name string) error {
	t.Helper()
	var err error
	switch name {
	case "register":
		_, err = h.client.Register(context.Background(), nil)
	case "session":
		_, err = h.client.StartSession(context.Background(), agentAppID)
	case "health":
		err = h.client.Health(context.Background())
	default:
		t.Fatalf("unknown call %q", name)
	}
	return err
}

type harnessOption func(*lkps.Config)

// newHarness starts a TLS server answering with handler (after recording the request) and a client for it,
// with a fake clock, no jitter and small backoff so retry waits are exact.
func newHarness(t *testing.T, handler http.HandlerFunc, opts ...harnessOption) *harness {
	t.Helper()
	h := &harness{
		entry: environments.MustLookup(environments.NonProd, environments.EU),
		clock: clocktest.New(time.Now()),
		log:   &recordingLogger{},
	}
	h.cred = &fakeCredential{token: v1Token(t, h.entry, agentAppID)}
	h.server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
		}
		h.mu.Lock()
		h.requests = append(h.requests, recordedRequest{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: string(body)})
		h.mu.Unlock()
		handler(w, r)
	}))
	// Handshake failures are expected in the certificate test; keep them out of the test output.
	h.server.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.server.StartTLS()
	t.Cleanup(h.server.Close)
	cfg := lkps.Config{
		BaseURL:    h.server.URL + "/lkps/nonprod/eu",
		Entry:      h.entry,
		Credential: h.cred,
		HTTPClient: h.server.Client(),
		UserAgent:  "lkps-test/1.0",
		Retry: &lkps.RetryPolicy{
			MaxAttempts: 4,
			BaseDelay:   100 * time.Millisecond,
			MaxDelay:    time.Second,
			Sleep:       h.clock.Sleep,
			Now:         h.clock.Now,
		},
		Logger: h.log,
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := lkps.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.client = c
	return h
}

// writeJSON writes status and a JSON body.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// sequence answers successive requests with the given handlers; the last one repeats.
func sequence(handlers ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		i := n
		if n < len(handlers)-1 {
			n++
		}
		mu.Unlock()
		handlers[i](w, r)
	}
}

func respond(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		writeJSON(w, status, body)
	}
}

const registerOK = `{"agent_entra_app_id":"` + agentAppID + `","enforce_client_authz":true,` +
	`"livekit_url":"https://eu.livekit-np.int.bayer.com","registered_at":"2026-11-22T10:00:00Z",` +
	`"token":"AGENT-LIVEKIT-TOKEN-SECRET","expires_at":"2026-11-22T11:00:00Z"}`

const sessionOK = `{"livekit_url":"https://eu.livekit-np.int.bayer.com","room_name":"room-1",` +
	`"token":"SESSION-LIVEKIT-TOKEN-SECRET","expires_at":"2026-11-22T11:00:00Z"}`
