package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The tests in this file run the client against the project's emulator (internal/emulator), an
// independent implementation of Graph's applications API with its rules, replica lag and faults.

// recordingTransport records the PATCH bodies the client sends (always plain), so tests can assert
// what went over the wire, e.g. that a text update never disabled a scope.
type recordingTransport struct {
	next http.RoundTripper

	mu      sync.Mutex
	patches []string
	// beforePatch, if set, runs before a PATCH is forwarded (it may block to line up other
	// operations behind the one being sent).
	beforePatch func()
	// delayPatch, if set, returns how long to hold a PATCH with this body before forwarding it.
	delayPatch func(body string) time.Duration
	// afterPatch, if set, runs after a PATCH was answered (a foreign writer acts there).
	afterPatch func()
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch && req.Body != nil {
		raw, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		if enc := req.Header.Get("Content-Encoding"); enc != "" {
			// The client sends request bodies plain (no gzip).
			return nil, fmt.Errorf("the client sent a PATCH body with Content-Encoding %q; it sends them plain", enc)
		}
		r.mu.Lock()
		r.patches = append(r.patches, string(raw))
		hook, delay := r.beforePatch, r.delayPatch
		r.mu.Unlock()
		if hook != nil {
			hook()
		}
		if delay != nil {
			time.Sleep(delay(string(raw)))
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(raw))
		resp, err := r.next.RoundTrip(req)
		r.mu.Lock()
		after := r.afterPatch
		r.mu.Unlock()
		if after != nil && err == nil {
			after()
		}
		return resp, err
	}
	return r.next.RoundTrip(req)
}

// setAfterPatch installs fn to run after every answered PATCH.
func (r *recordingTransport) setAfterPatch(fn func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.afterPatch = fn
}

// holdFirstPatchUntil makes the next PATCH wait until ready reports true (polled, bounded by 10 s);
// the PATCHes after it go at once (also while it is held: another application's writes go on).
func (r *recordingTransport) holdFirstPatchUntil(t testing.TB, ready func() bool) {
	var taken atomic.Bool
	r.mu.Lock()
	defer r.mu.Unlock()
	r.beforePatch = func() {
		if !taken.CompareAndSwap(false, true) {
			return
		}
		deadline := time.Now().Add(10 * time.Second)
		for !ready() {
			if time.Now().After(deadline) {
				t.Error("operations did not line up behind the held PATCH")
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// holdFirstPatch holds the first PATCH until release is called; held is closed once it is held, so
// that a test in a bubble can queue operations behind it (and synctest.Wait for them to queue).
func (r *recordingTransport) holdFirstPatch() (held <-chan struct{}, release func()) {
	h, rel := make(chan struct{}), make(chan struct{})
	r.beforeFirstPatch(func() {
		close(h)
		<-rel
	})
	return h, func() { close(rel) }
}

// recordPatchTimes records when each PATCH was answered; the function returned gives the times so far.
func (r *recordingTransport) recordPatchTimes() func() []time.Time {
	var mu sync.Mutex
	var times []time.Time
	r.setAfterPatch(func() {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
	})
	return func() []time.Time {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(times)
	}
}

func (r *recordingTransport) Patches() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.patches...)
}

// testLogger collects log lines and fails the test if a field looks like a token.
type testLogger struct {
	t testing.TB

	mu    sync.Mutex
	lines []map[string]any
}

func (l *testLogger) log(level, msg string, fields map[string]any) {
	for k, v := range fields {
		s := strings.ToLower(fmt.Sprint(v))
		if strings.Contains(s, "bearer") || strings.Contains(s, "eyj") || strings.Contains(strings.ToLower(k), "authorization") {
			l.t.Errorf("log field %s=%v looks like a credential", k, v)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	line := map[string]any{"level": level, "msg": msg}
	for k, v := range fields {
		line[k] = v
	}
	l.lines = append(l.lines, line)
}

func (l *testLogger) Debug(_ context.Context, msg string, fields map[string]any) {
	l.log("debug", msg, fields)
}
func (l *testLogger) Warn(_ context.Context, msg string, fields map[string]any) {
	l.log("warn", msg, fields)
}

func (l *testLogger) Lines() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]map[string]any(nil), l.lines...)
}

// harness is one emulator with a client for its deployer (Application.ReadWrite.All).
type harness struct {
	ts     *emulator.TestServer
	client *graph.Client
	rec    *recordingTransport
	log    *testLogger
}

// inBubble runs f in a testing/synctest bubble: time is the bubble's (seconds of replication lag,
// Retry-After and settle windows cost no wall time) and goroutines interleave deterministically. The
// emulator must be in memory (newHarness), since a goroutine blocked on a socket stops the clock. The
// first cleanup, run last, lets background timers (a worker's gather window) end, as the bubble must
// be empty when f has returned.
func inBubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(func() { time.Sleep(time.Minute) })
		f(t)
	})
}

// fastConfig keeps retries short so that tests finish quickly; the logic is the same as with the
// defaults. It declares the emulator lag-free (what it is unless a test sets a replica lag); a test
// that sets one declares a bound at or above it (lagConfig).
func fastConfig(cfg *graph.Config) {
	cfg.ReplicationLag = -1
}

// lagConfig is fastConfig with the lag bound declared as lag (a negative lag declares none).
func lagConfig(lag time.Duration) func(*graph.Config) {
	return func(cfg *graph.Config) {
		fastConfig(cfg)
		if lag > 0 {
			cfg.ReplicationLag = lag
		}
	}
}

// concurrentConfig is lagConfig for a writer that shares the application with others.
func concurrentConfig(lag time.Duration) func(*graph.Config) {
	return func(cfg *graph.Config) {
		lagConfig(lag)(cfg)
		cfg.ConcurrentWriters = true
	}
}

// withLag is the emulator's replication lag: a read within lag after a write comes, with probability
// stale, from a replica that has not seen it; seed makes the draws repeatable.
func withLag(lag time.Duration, stale float64, seed uint64) []emulator.Option {
	return []emulator.Option{emulator.WithFaults(faults.Config{ReplicaLag: lag, StaleReadProbability: stale, Seed: seed}), emulator.WithRandSeed(seed)}
}

// newHarness starts an emulator for the test, in memory (no listener: the same handler, rules and
// faults, reached through ts.Client), so that the test may run in a testing/synctest bubble.
func newHarness(t testing.TB, opts ...emulator.Option) *harness {
	t.Helper()
	ts := emulator.NewTestServer(t, append([]emulator.Option{emulator.WithInMemory()}, opts...)...)
	h := &harness{ts: ts}
	h.client, h.rec, h.log = newClient(t, ts, ts.DeployerClientID, ts.DeployerSecret, lagConfig(ts.Admin().Faults().ReplicaLag))
	return h
}

func newClient(t testing.TB, ts *emulator.TestServer, appID, secret string, tune func(*graph.Config)) (*graph.Client, *recordingTransport, *testLogger) {
	t.Helper()
	// The provider's own credential builder, for a client secret against the emulator's Entra ID.
	cred, _, err := auth.NewCredential(context.Background(), auth.Settings{ClientID: &appID, ClientSecret: &secret},
		auth.Options{AuthorityHost: ts.AuthorityHost, Transport: ts.Client, TenantID: ts.TenantID()})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingTransport{next: ts.Client.Transport}
	log := &testLogger{t: t}
	cfg := graph.Config{
		Credential: cred,
		BaseURL:    ts.GraphBaseURL,
		HTTPClient: &http.Client{Transport: rec},
		UserAgent:  "lkps-graph-test",
		Logger:     log,
	}
	if tune != nil {
		tune(&cfg)
	}
	c, err := graph.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec, log
}

// agentSpec describes an application created out of band for a test.
type agentSpec struct {
	uris []string
	api  string
}

// newAgent creates an application owned by the deployer and returns its appId.
func (h *harness) newAgent(t testing.TB, spec agentSpec) (appID, objectID string) {
	t.Helper()
	app := emulator.SeedApplication{
		DisplayName:    "test agent",
		Owners:         []string{h.ts.DeployerClientID},
		IdentifierURIs: spec.uris,
	}
	if spec.api != "" {
		app.API = json.RawMessage(spec.api)
	}
	rec, err := h.ts.Admin().CreateApplication(app)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Application.AppID, rec.Application.ID
}

// stored returns the application as the emulator's primary holds it.
func (h *harness) stored(t testing.TB, id string) directory.Application {
	t.Helper()
	rec, err := h.ts.Admin().Application(id)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Application
}

func ctxWithTimeout(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func accessScope(id string) model.PermissionScope {
	return model.PermissionScope{
		ID:                      id,
		Value:                   "access_as_client",
		Type:                    model.ScopeTypeUser,
		AdminConsentDisplayName: "Access the agent as a client",
		AdminConsentDescription: "Allows client applications to start LKPS sessions with the agent.",
		Enabled:                 true,
	}
}

func newGUID(t testing.TB) string {
	t.Helper()
	return directory.NewGUID()
}
