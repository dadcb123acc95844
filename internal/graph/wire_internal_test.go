package graph

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// countingCredential hands out "tok-N" tokens that expire after life, counting its calls.
type countingCredential struct {
	life  time.Duration
	calls atomic.Int32
}

func (c *countingCredential) GetToken(_ context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	n := c.calls.Add(1)
	if len(opts.Scopes) != 1 || opts.Scopes[0] != DefaultScope {
		return azcore.AccessToken{}, errors.New("unexpected scopes")
	}
	return azcore.AccessToken{Token: "tok-" + strconv.Itoa(int(n)), ExpiresOn: time.Now().Add(c.life)}, nil
}

// seen is what a test server saw of one request.
type seen struct {
	method, path, auth, userAgent, contentType, encoding, body string
}

// wireServer starts a TLS server that records requests and answers with handle, and a client for it.
func wireServer(t *testing.T, cred *countingCredential, handle func(w http.ResponseWriter, r *http.Request)) (*Client, *httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"), r.Header.Get("User-Agent"),
			r.Header.Get("Content-Type"), r.Header.Get("Content-Encoding"), string(body)})
		mu.Unlock()
		handle(w, r)
	}))
	t.Cleanup(ts.Close)
	c, err := New(Config{Credential: cred, BaseURL: ts.URL, HTTPClient: ts.Client(), UserAgent: "provider/1.0"})
	if err != nil {
		t.Fatal(err)
	}
	return c, ts, func() []seen { mu.Lock(); defer mu.Unlock(); return append([]seen{}, got...) }
}

// The request function: the token (cached until shortly before it expires) and the User-Agent on
// every request to the Graph host, JSON bodies sent plain, Graph's error JSON as typed errors.
func TestDo_TokenUserAgentBodyAndErrors(t *testing.T) {
	cred := &countingCredential{life: time.Hour}
	c, _, requests := wireServer(t, cred, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPatch:
			w.WriteHeader(http.StatusNoContent)
		case strings.Contains(r.URL.Path, "missing"):
			w.Header().Set("request-id", "req-9")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"code":"Request_ResourceNotFound","message":"gone"}}`)
		default:
			_, _ = io.WriteString(w, `{"id":"o-1","appId":"a-1","displayName":"x","api":{"oauth2PermissionScopes":[]}}`)
		}
	})
	ctx := context.Background()
	o, err := c.byAppID.single(ctx, "a-1")
	if err != nil || o.ID != "o-1" || o.AppID != "a-1" {
		t.Fatalf("GET = %+v, %v", o, err)
	}
	if err := c.do(ctx, http.MethodPatch, "/applications/o-1", []byte(`{"identifierUris":[]}`), nil); err != nil {
		t.Fatal(err)
	}
	_, err = c.byObjectID.single(ctx, "missing")
	var nf *model.NotFoundError
	if !errors.As(err, &nf) || nf.Code != "Request_ResourceNotFound" || nf.RequestID != "req-9" {
		t.Fatalf("404 = %#v", err)
	}
	got := requests()
	if len(got) != 3 || cred.calls.Load() != 1 {
		t.Fatalf("requests %+v with %d token requests, want 3 with one", got, cred.calls.Load())
	}
	if got[0].path != "/v1.0/applications(appId='a-1')?$select=id%2CappId%2CdisplayName%2CidentifierUris%2Capi" {
		t.Errorf("GET path = %s", got[0].path)
	}
	for _, r := range got {
		if r.auth != "Bearer tok-1" || r.userAgent != "provider/1.0 "+userAgent {
			t.Errorf("%s %s: Authorization %q, User-Agent %q", r.method, r.path, r.auth, r.userAgent)
		}
	}
	if p := got[1]; p.method != http.MethodPatch || p.path != "/v1.0/applications/o-1" || p.contentType != "application/json" ||
		p.encoding != "" || p.body != `{"identifierUris":[]}` {
		t.Errorf("PATCH = %+v", p)
	}

	short := &countingCredential{life: time.Minute} // within tokenRefresh: fetched for every request
	c, _, _ = wireServer(t, short, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"id":"o"}`) })
	for range 2 {
		if _, err := c.byObjectID.single(ctx, "o"); err != nil {
			t.Fatal(err)
		}
	}
	if short.calls.Load() != 2 {
		t.Errorf("a token about to expire was reused: %d token requests for 2 requests", short.calls.Load())
	}
}

// The base URL must be an absolute https URL: its host and port are the only ones the token goes to.
func TestNew_BaseURLHost(t *testing.T) {
	for base, want := range map[string]string{
		"https://graph.microsoft.com":   "graph.microsoft.com",
		"https://127.0.0.1:8443":        "127.0.0.1:8443",
		"http://graph.microsoft.com":    "",
		"graph.microsoft.com":           "",
		"https://":                      "",
		"https://graph.example.com/%zz": "",
	} {
		c, err := New(Config{Credential: &countingCredential{life: time.Hour}, BaseURL: base})
		switch {
		case err != nil && want != "":
			t.Errorf("New(BaseURL %q): %v, want host %q", base, err, want)
		case err == nil && c.host != want:
			t.Errorf("New(BaseURL %q): host %q, want %q (an error when empty)", base, c.host, want)
		}
	}
}

// The token goes to the Graph host only: no redirect is followed (it is answered as the error it
// is), also one within the host, and no URL off the host or over plain http is requested at all.
func TestDo_TokenStaysOnTheGraphHost(t *testing.T) {
	var other atomic.Int32
	elsewhere := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { other.Add(1) }))
	t.Cleanup(elsewhere.Close)
	c, ts, requests := wireServer(t, &countingCredential{life: time.Hour}, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1.0/applications/away":
			http.Redirect(w, r, elsewhere.URL+"/v1.0/applications/x", http.StatusTemporaryRedirect)
		case "/v1.0/applications/moved":
			http.Redirect(w, r, "/v1.0/applications/here", http.StatusMovedPermanently)
		default:
			_, _ = io.WriteString(w, `{"id":"here"}`)
		}
	})
	ctx := context.Background()
	_, err := c.byObjectID.single(ctx, "away")
	if e, ok := model.AsAPIError(err); !ok || e.StatusCode != http.StatusTemporaryRedirect || other.Load() != 0 {
		t.Fatalf("redirect off the host: %v, %d requests there", err, other.Load())
	}
	_, err = c.byObjectID.single(ctx, "moved")
	if e, ok := model.AsAPIError(err); !ok || e.StatusCode != http.StatusMovedPermanently {
		t.Fatalf("redirect within the host: %v", err)
	}
	if got := requests(); len(got) != 2 {
		t.Fatalf("requests = %+v, want the two that were redirected", got)
	}
	if err := c.do(ctx, http.MethodGet, elsewhere.URL+"/v1.0/me", nil, nil); err == nil || other.Load() != 0 {
		t.Fatalf("a URL off the Graph host was requested: %v", err)
	}
	if err := c.do(ctx, http.MethodGet, strings.Replace(ts.URL, "https:", "http:", 1)+"/v1.0/me", nil, nil); err == nil {
		t.Fatal("a plain-http URL got the token")
	}
}
