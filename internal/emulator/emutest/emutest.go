// Package emutest holds what the emulator's tests share: a clock a test advances, accessors of decoded
// JSON answers that fail the test on a wrong shape, and self-signed certificates. Only tests import it.
package emutest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Clock is a clock a test sets and advances; it is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Object returns v as a JSON object, failing the test otherwise.
func Object(t testing.TB, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%#v is not a JSON object", v)
	}
	return m
}

// Array returns v as a JSON array, failing the test otherwise.
func Array(t testing.TB, v any) []any {
	t.Helper()
	a, ok := v.([]any)
	if !ok {
		t.Fatalf("%#v is not a JSON array", v)
	}
	return a
}

// String returns the string property key of a decoded JSON object, failing the test otherwise.
func String(t testing.TB, m map[string]any, key string) string {
	t.Helper()
	s, ok := m[key].(string)
	if !ok {
		t.Fatalf("property %q = %#v, want a string", key, m[key])
	}
	return s
}

// SelfSigned signs tmpl with key as its own issuer and returns the certificate and its DER form.
func SelfSigned(t testing.TB, tmpl *x509.Certificate, key crypto.Signer) (*x509.Certificate, []byte) {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, der
}

// Response is an HTTP answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Send sends a request with the header and reads the answer whole, failing the test when the request
// cannot be sent.
func Send(t testing.TB, c *http.Client, method, url string, body io.Reader, header http.Header) Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// JSON returns the body as a JSON object, failing the test when it is not one.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object (%d): %s", r.Status, r.Body)
	}
	return m
}

// Bearer returns the header of a request with the bearer token (none when empty) and the content type
// (none when empty), and the other headers given as name, value pairs.
func Bearer(token, contentType string, more ...string) http.Header {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(more); i += 2 {
		h.Set(more[i], more[i+1])
	}
	return h
}

// ServeLoop serves the same request with h in every iteration of the benchmark (no network), failing
// it on any status other than 200.
func ServeLoop(b *testing.B, h http.Handler, method, target, body string, header http.Header) {
	b.Helper()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequestWithContext(b.Context(), method, target, strings.NewReader(body))
		maps.Copy(req.Header, header)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// rsaKeys are the RSA keys tests share: a 2048-bit key takes long to generate on two cores.
var rsaKeys struct {
	once sync.Once
	keys [3]*rsa.PrivateKey
	err  error
}

// RSAKey returns the i-th (0 to 2) of three 2048-bit RSA keys the test process generates once.
func RSAKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	rsaKeys.once.Do(func() {
		for j := range rsaKeys.keys {
			if rsaKeys.keys[j], rsaKeys.err = rsa.GenerateKey(rand.Reader, 2048); rsaKeys.err != nil {
				return
			}
		}
	})
	if rsaKeys.err != nil {
		t.Fatal(rsaKeys.err)
	}
	return rsaKeys.keys[i]
}

// Objects is a fake directory's objects by case-insensitive id; the zero value is empty and ready to
// use, and it is safe for concurrent use.
type Objects[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

// Get returns the object with the id.
func (o *Objects[T]) Get(id string) (T, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	v, ok := o.m[strings.ToLower(id)]
	return v, ok
}

// Put stores the object under the id, replacing the one there.
func (o *Objects[T]) Put(id string, v T) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[string]T{}
	}
	o.m[strings.ToLower(id)] = v
}
