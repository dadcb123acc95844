// Package emutest holds what the emulator's tests share: a clock a test advances, accessors of decoded
// JSON answers that fail the test on a wrong shape, and self-signed certificates. Only tests import it.
package emutest

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
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
