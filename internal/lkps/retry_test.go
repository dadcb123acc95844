package lkps_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

func withRetry(f func(p *lkps.RetryPolicy)) harnessOption {
	return func(c *lkps.Config) { f(c.Retry) }
}

func TestRetry_registerRetriedOn503ThenSucceeds(t *testing.T) {
	h := newHarness(t, sequence(
		respond(http.StatusServiceUnavailable, `{"detail":"starting"}`),
		respond(http.StatusServiceUnavailable, `{"detail":"starting"}`),
		respond(http.StatusOK, registerOK),
	))
	reg, err := h.client.Register(context.Background(), nil)
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if reg.LiveKitURL == "" {
		t.Error("no livekit_url")
	}
	if got := len(h.Requests()); got != 3 {
		t.Errorf("server saw %d requests, want 3", got)
	}
	if got, want := h.clock.Waits(), []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}; !reflect.DeepEqual(got, want) {
		t.Errorf("waits %v, want %v (exponential backoff)", got, want)
	}
	for _, r := range h.Requests() {
		if r.body != `{}` {
			t.Errorf("retried body %q, want {}", r.body)
		}
	}
}

func TestRetry_backoffIsCapped(t *testing.T) {
	h := newHarness(t, respond(http.StatusGatewayTimeout, ``), withRetry(func(p *lkps.RetryPolicy) {
		p.MaxAttempts = 6
		p.BaseDelay = 100 * time.Millisecond
		p.MaxDelay = 300 * time.Millisecond
	}))
	_, err := h.client.Register(context.Background(), nil)
	if !errors.Is(err, lkps.ErrServer) {
		t.Fatalf("err = %v", err)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond}
	if got := h.clock.Waits(); !reflect.DeepEqual(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestRetry_jitterShortensWithinBounds(t *testing.T) {
	h := newHarness(t, respond(http.StatusBadGateway, ``), withRetry(func(p *lkps.RetryPolicy) {
		p.MaxAttempts = 8
		p.BaseDelay = time.Second
		p.MaxDelay = time.Second
		p.Jitter = 0.5
	}))
	if _, err := h.client.Register(context.Background(), nil); err == nil {
		t.Fatal("no error")
	}
	waits := h.clock.Waits()
	if len(waits) != 7 {
		t.Fatalf("%d waits, want 7", len(waits))
	}
	for _, w := range waits {
		if w < 500*time.Millisecond || w > time.Second {
			t.Errorf("wait %v outside [500ms, 1s]", w)
		}
	}
}

func TestRetry_retryAfterHonoured(t *testing.T) {
	t.Run("seconds", func(t *testing.T) {
		h := newHarness(t, sequence(
			respond(http.StatusTooManyRequests, `{"detail":"slow down"}`, "Retry-After", "7"),
			respond(http.StatusOK, registerOK),
		))
		if _, err := h.client.Register(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if got, want := h.clock.Waits(), []time.Duration{7 * time.Second}; !reflect.DeepEqual(got, want) {
			t.Errorf("waits %v, want %v", got, want)
		}
	})
	t.Run("http date", func(t *testing.T) {
		var h *harness
		h = newHarness(t, sequence(
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", h.clock.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
				writeJSON(w, http.StatusServiceUnavailable, `{"detail":"busy"}`)
			},
			respond(http.StatusOK, `{"status":"ok"}`),
		))
		if err := h.client.Health(context.Background()); err != nil {
			t.Fatal(err)
		}
		waits := h.clock.Waits()
		if len(waits) != 1 || waits[0] <= 29*time.Second || waits[0] > 30*time.Second {
			t.Errorf("waits %v, want one wait of about 30s", waits)
		}
	})
	t.Run("too long ends retries", func(t *testing.T) {
		h := newHarness(t, respond(http.StatusServiceUnavailable, `{"detail":"maintenance"}`, "Retry-After", "120"))
		_, err := h.client.Register(context.Background(), nil)
		var le *lkps.Error
		if !errors.As(err, &le) || le.Kind != lkps.KindServer || le.RetryAfter != 120*time.Second {
			t.Fatalf("err = %#v", err)
		}
		if got := len(h.Requests()); got != 1 {
			t.Errorf("server saw %d requests, want 1", got)
		}
	})
}

func TestRetry_sessionStartOnlyWhenUnprocessed(t *testing.T) {
	cases := []struct {
		name     string
		handler  http.HandlerFunc
		requests int
		ok       bool
	}{
		{name: "500 not retried", handler: respond(http.StatusInternalServerError, `{"detail":"boom"}`), requests: 1},
		{name: "502 not retried", handler: respond(http.StatusBadGateway, ``), requests: 1},
		{name: "504 not retried", handler: respond(http.StatusGatewayTimeout, ``), requests: 1},
		{name: "503 without Retry-After not retried", handler: respond(http.StatusServiceUnavailable, `{"detail":"x"}`), requests: 1},
		{
			name: "503 with Retry-After retried",
			handler: sequence(respond(http.StatusServiceUnavailable, `{"detail":"x"}`, "Retry-After", "1"),
				respond(http.StatusOK, sessionOK)),
			requests: 2, ok: true,
		},
		{
			name:     "429 retried",
			handler:  sequence(respond(http.StatusTooManyRequests, `{"detail":"x"}`), respond(http.StatusOK, sessionOK)),
			requests: 2, ok: true,
		},
		{name: "403 not retried", handler: respond(http.StatusForbidden, `{"detail":"no","failed_check":"scope_missing"}`), requests: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.handler)
			_, err := h.client.StartSession(context.Background(), agentAppID)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
			if got := len(h.Requests()); got != tc.requests {
				t.Errorf("server saw %d requests, want %d", got, tc.requests)
			}
		})
	}
}

func TestRetry_contextDeadlineBoundsRetries(t *testing.T) {
	h := newHarness(t, respond(http.StatusServiceUnavailable, `{"detail":"down"}`), withRetry(func(p *lkps.RetryPolicy) {
		p.MaxAttempts = 10
		p.BaseDelay = 10 * time.Second
		p.MaxDelay = 40 * time.Second
	}))
	// The fake clock starts at the harness's creation and moves only when the client waits, so with a
	// deadline a minute away the waits 10s and 20s fit and the next one (40s) does not.
	ctx, cancel := context.WithDeadline(context.Background(), h.clock.Now().Add(time.Minute))
	defer cancel()
	_, err := h.client.Register(ctx, nil)
	var le *lkps.Error
	if !errors.As(err, &le) || le.Kind != lkps.KindServer {
		t.Fatalf("err = %v", err)
	}
	if le.Attempts != 3 || len(h.Requests()) != 3 {
		t.Errorf("attempts %d, requests %d, want 3", le.Attempts, len(h.Requests()))
	}
	if got, want := h.clock.Waits(), []time.Duration{10 * time.Second, 20 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if !strings.Contains(h.log.all(), "context deadline") {
		t.Errorf("the early stop was not logged:\n%s", h.log.all())
	}
}

func TestRetry_cancelledWhileWaiting(t *testing.T) {
	h := newHarness(t, respond(http.StatusServiceUnavailable, `{"detail":"down"}`))
	h.clock.SleepErr = context.Canceled
	_, err := h.client.Register(context.Background(), nil)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, lkps.ErrServer) {
		t.Fatalf("err = %v, want a server error that wraps context.Canceled", err)
	}
	if got := len(h.Requests()); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

func TestRetry_realSleepStopsAtContextEnd(t *testing.T) {
	h := newHarness(t, respond(http.StatusServiceUnavailable, `{"detail":"down"}`), withRetry(func(p *lkps.RetryPolicy) {
		p.Sleep = nil // the real timer
		p.Now = nil
		p.BaseDelay = time.Hour
		p.MaxDelay = time.Hour
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.client.Register(ctx, nil)
		done <- err
	}()
	// Cancel once the first response has arrived; the client is then waiting an hour.
	deadline := time.Now().Add(10 * time.Second)
	for len(h.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Register did not return after the context was cancelled")
	}
}

// refusedURL returns an https URL on loopback where nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "https://" + addr + "/lkps/nonprod/eu"
}

func TestRetry_connectionRefused(t *testing.T) {
	for _, call := range []string{"register", "session", "health"} {
		t.Run(call, func(t *testing.T) {
			url := refusedURL(t)
			h := newHarness(t, respond(http.StatusOK, `{}`), func(c *lkps.Config) { c.BaseURL = url })
			err := h.call(t, call)
			var le *lkps.Error
			if !errors.As(err, &le) || le.Kind != lkps.KindTransport {
				t.Fatalf("err = %v, want a transport error", err)
			}
			if !errors.Is(err, syscall.ECONNREFUSED) || !errors.Is(err, lkps.ErrTransport) {
				t.Errorf("err does not wrap ECONNREFUSED and ErrTransport: %v", err)
			}
			if le.Attempts != 4 || len(h.clock.Waits()) != 3 {
				t.Errorf("attempts %d, waits %v; want 4 attempts", le.Attempts, h.clock.Waits())
			}
			msg := err.Error()
			for _, s := range []string{"no response from LKPS at " + url, "reachable", h.entry.LKPSBaseURL} {
				if !strings.Contains(msg, s) {
					t.Errorf("message lacks %q:\n%s", s, msg)
				}
			}
		})
	}
}

// hangUp closes the connection after reading the request, so the client gets no response although the
// server may have processed the request.
func hangUp(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		hj, ok := w.(http.Hijacker)
		if !ok {
			t.Error("response writer cannot hijack")
			return
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		_ = conn.Close()
	}
}

func TestRetry_connectionLostAfterSending(t *testing.T) {
	t.Run("register retried", func(t *testing.T) {
		h := newHarness(t, sequence(hangUp(t), respond(http.StatusOK, registerOK)))
		if _, err := h.client.Register(context.Background(), nil); err != nil {
			t.Fatalf("Register: %v", err)
		}
		if got := len(h.Requests()); got != 2 {
			t.Errorf("server saw %d requests, want 2", got)
		}
	})
	t.Run("session start not retried", func(t *testing.T) {
		h := newHarness(t, sequence(hangUp(t), respond(http.StatusOK, sessionOK)))
		_, err := h.client.StartSession(context.Background(), agentAppID)
		if !errors.Is(err, lkps.ErrTransport) {
			t.Fatalf("err = %v, want a transport error", err)
		}
		if got := len(h.Requests()); got != 1 {
			t.Errorf("server saw %d requests, want 1 (a lost response must not start a second session)", got)
		}
	})
}

func TestRetry_untrustedCertificateNotRetried(t *testing.T) {
	h := newHarness(t, respond(http.StatusOK, registerOK), func(c *lkps.Config) {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second} // does not trust the test server's certificate
	})
	_, err := h.client.Register(context.Background(), nil)
	var le *lkps.Error
	if !errors.As(err, &le) || le.Kind != lkps.KindTransport || le.Attempts != 1 {
		t.Fatalf("err = %v, want one transport error", err)
	}
	if len(h.clock.Waits()) != 0 {
		t.Errorf("waited %v before giving up on a certificate error", h.clock.Waits())
	}
}

func TestRetry_tokenFailureNotRetriedAndNothingSent(t *testing.T) {
	h := newHarness(t, respond(http.StatusOK, registerOK))
	h.cred.err = errors.New("AADSTS7000215: Invalid client secret provided")
	_, err := h.client.Register(context.Background(), nil)
	var le *lkps.Error
	if !errors.As(err, &le) || le.Kind != lkps.KindToken || !errors.Is(err, lkps.ErrToken) {
		t.Fatalf("err = %v, want a token error", err)
	}
	if len(h.Requests()) != 0 {
		t.Errorf("server saw %d requests, want 0", len(h.Requests()))
	}
	msg := err.Error()
	for _, s := range []string{"could not acquire an access token", h.entry.LKPSScope, "AADSTS7000215", "credentials", h.entry.TenantID} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}
	if !errors.Is(err, h.cred.err) {
		t.Error("the credential's error is not wrapped")
	}
}
