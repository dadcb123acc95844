package graph_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// jumpClock is the emulator's clock: real time plus an offset the test moves forward, so that an
// application created by the test can be made older than the replication lag without waiting.
type jumpClock struct{ offset atomic.Int64 }

func (c *jumpClock) Now() time.Time       { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *jumpClock) Jump(d time.Duration) { c.offset.Add(int64(d)) }

// TestStaleReadsNeverLoseUpdatesOrReportGone injects replication lag (half the reads within two
// seconds of a write come from a replica that has not seen it) and checks that no write is lost and
// nothing just written is reported missing.
func TestStaleReadsNeverLoseUpdatesOrReportGone(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, _, ref := newAgentHarness(t, exposedAgent, withLag(2*time.Second, 0.5, 11)...)
		ctx := ctxWithTimeout(t, 2*time.Minute)

		scope := h.createScope(t, ctx, ref)
		clients := make([]string, 8)
		for i := range clients {
			clients[i] = newGUID(t)
			if _, err := h.client.AddPreAuthorization(ctx, ref, clients[i], scope.ID); err != nil {
				t.Fatal(err)
			}
			// Read straight after the write: must never look gone.
			if _, err := getPreAuthorization(ctx, h.client, ref, clients[i]); err != nil {
				t.Fatalf("client %d reported after its creation: %v", i, err)
			}
			app, err := h.client.GetApplication(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range clients[:i+1] {
				if _, ok := app.PreAuthorization(c); !ok {
					t.Fatalf("after %d adds, GetApplication lacks %s", i+1, c)
				}
			}
		}
		for _, c := range clients[:4] {
			if err := h.client.RemovePreAuthorization(ctx, ref, c, scope.ID); err != nil {
				t.Fatal(err)
			}
			app, err := h.client.GetApplication(ctx, ref)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := app.PreAuthorization(c); ok {
				t.Fatalf("a removed client shows up again: %s", c)
			}
		}
		s := scope
		s.AdminConsentDescription = "after lag"
		if _, err := h.client.UpdateScope(ctx, ref, s); err != nil {
			t.Fatal(err)
		}
		if got, err := getScope(ctx, h.client, ref, s.ID); err != nil || got.AdminConsentDescription != "after lag" {
			t.Fatalf("GetScope = %+v, %v", got, err)
		}

		stored := h.stored(t, ref.ID)
		if n := len(stored.API.PreAuthorizedApplications); n != 4 {
			t.Fatalf("stored %d entries, want 4: %s", n, jsonOf(stored.API.PreAuthorizedApplications))
		}
		for _, c := range clients[4:] {
			found := false
			for _, e := range stored.API.PreAuthorizedApplications {
				found = found || strings.EqualFold(e.AppID, c)
			}
			if !found {
				t.Fatalf("lost update: %s missing from the stored application", c)
			}
		}
		st := h.client.Stats()
		if st.Retries[core.ReasonStaleRead]+st.Retries[core.ReasonNotYetVisible]+st.Retries[core.ReasonConfirmAbsence]+st.Retries[core.ReasonNotFoundAfterWrite] == 0 {
			t.Fatalf("no stale read was observed, the test did not exercise replication lag: %+v", st.Retries)
		}
		t.Logf("stats: gets=%d patches=%d confirmReads=%d retries=%v", st.Gets, st.Patches, st.ConfirmReads, st.Retries)
	})
}

// TestFreshProcessNeverSeesAJustWrittenEntryAsGone is the next terraform command's view: a new client
// with no memory of the writes reads right after another client wrote, within the replication lag.
func TestFreshProcessNeverSeesAJustWrittenEntryAsGone(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		const lag = 2 * time.Second
		clock := &jumpClock{}
		h, _, ref := newAgentHarness(t, exposedAgent, append(withLag(lag, 0.5, 17), emulator.WithClock(clock.Now))...)
		ctx := ctxWithTimeout(t, 2*time.Minute)
		clock.Jump(lag + time.Second) // the application predates the lag window: stale replicas have it
		scope := h.createScope(t, ctx, ref)
		var reReads int64
		for i := range 6 {
			client := newGUID(t)
			if _, err := h.client.AddPreAuthorization(ctx, ref, client, scope.ID); err != nil {
				t.Fatal(err)
			}
			fresh := h.deployerClient(t, func(cfg *graph.Config) {
				fastConfig(cfg)
				cfg.ReplicationLag = lag + 500*time.Millisecond
			})
			if _, err := getPreAuthorization(ctx, fresh, ref, client); err != nil {
				t.Fatalf("write %d looked gone to a fresh client: %v", i, err)
			}
			reReads += fresh.Stats().Retries[core.ReasonConfirmAbsence]
		}
		if reReads == 0 {
			t.Fatal("no read missed a fresh entry; the test did not exercise the absence check")
		}
		t.Logf("absence re-reads that found the entry after all: %d", reReads)
	})
}

// TestDisableThenRemoveUnderLag removes a scope while reads and the rule check of the PATCH may come
// from a replica that still sees the scope enabled.
func TestDisableThenRemoveUnderLag(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, _, ref := newAgentHarness(t, exposedAgent, withLag(1500*time.Millisecond, 0.7, 5)...)
		ctx := ctxWithTimeout(t, 2*time.Minute)
		for i := 0; i < 3; i++ {
			scope := h.createScope(t, ctx, ref)
			if _, err := h.client.AddPreAuthorization(ctx, ref, emulator.DefaultClientAppID, scope.ID); err != nil {
				t.Fatal(err)
			}
			cleared, err := deleteScope(ctx, h.client, ref, scope.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(cleared) != 1 {
				t.Fatalf("cleared = %q", cleared)
			}
		}
		if stored := h.stored(t, ref.ID); len(stored.API.OAuth2PermissionScopes) != 0 || len(stored.API.PreAuthorizedApplications) != 0 {
			t.Fatalf("stored = %s", jsonOf(stored.API))
		}
		t.Logf("retries: %v", h.client.Stats().Retries)
	})
}

func TestConflictBurstsAndThrottlingAreRetried(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, exposedAgent)
		h.read(t, ctx, ref)
		if err := h.ts.Admin().SetFaults(faults.Config{ConflictNextWrites: 3, ThrottleNext: 2, RetryAfterSeconds: 1, UnavailableNext: 0}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := createScope(ctx, h.client, ref, accessScope("")); err != nil {
			t.Fatal(err)
		}
		st := h.client.Stats()
		if st.Retries[core.ReasonConcurrencyViolation] != 3 || st.Retries[core.ReasonThrottled] != 2 {
			t.Fatalf("retries = %v", st.Retries)
		}
		// Two 429s with Retry-After: 1 were honoured.
		if elapsed := time.Since(start); elapsed < 2*time.Second {
			t.Fatalf("Retry-After not honoured: done in %s", elapsed)
		}

		if err := h.ts.Admin().SetFaults(faults.Config{UnavailableNext: 2}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.EnsureIdentifierURI(ctx, ref, "api://"+h.ts.TenantID()+"/x"); err != nil {
			t.Fatal(err)
		}
		if got := h.client.Stats().Retries[core.ReasonServerError]; got != 2 {
			t.Fatalf("503 retries = %d", got)
		}
	})
}

func TestRetriesStopAtTheDeadline(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, exposedAgent)
		h.read(t, ctx, ref)
		if err := h.ts.Admin().SetFaults(faults.Config{ConflictProbability: 1}); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := createScope(ctx, h.client, ref, accessScope(""))
		// The 409 is the answer, or the reason given with the deadline when it ended an attempt or
		// a caller's wait; either way the error says why the call did not succeed.
		cause := err
		var rt *model.RetryTimeoutError
		if errors.As(err, &rt) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, a RetryTimeoutError that is not the deadline", err)
			}
			cause = rt.Last
		}
		var ce *model.ConflictError
		if !errors.As(cause, &ce) || ce.Code != "Directory_ConcurrencyViolation" {
			t.Fatalf("err = %v", err)
		}
		if elapsed := time.Since(start); elapsed > 2*time.Second {
			t.Fatalf("gave up after %s, past the 1.5 s deadline", elapsed)
		}
	})
}

// A caller whose time runs out while it waits behind a write that Graph keeps refusing learns why:
// its error is the deadline, with the refusal being retried.
func TestCallerTimingOutBehindRetriesIsToldWhy(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, _, ref, scope := newWriterTest(t, nil)
		ctx := ctxWithTimeout(t, time.Minute)
		if err := h.ts.Admin().SetFaults(faults.Config{ConflictProbability: 1}); err != nil {
			t.Fatal(err)
		}
		first, stopFirst := context.WithCancel(ctx)
		firstDone := make(chan error, 1)
		go func() {
			_, err := h.client.AddPreAuthorization(first, ref, newGUID(t), scope.ID)
			firstDone <- err
		}()
		waitFor(t, func() bool {
			return h.client.Stats().Retries[core.ReasonConcurrencyViolation] > 0
		})
		// The first write is being retried: the second op waits for the worker, its deadline ends first.
		second, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
		defer cancel()
		_, err := h.client.AddPreAuthorization(second, ref, newGUID(t), scope.ID)
		var rt *model.RetryTimeoutError
		var ce *model.ConflictError
		if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &rt) || !errors.As(rt.Last, &ce) {
			t.Fatalf("err = %v, want the deadline with the 409 being retried", err)
		}
		stopFirst()
		if err := <-firstDone; !errors.Is(err, context.Canceled) {
			t.Fatalf("first op: %v", err)
		}
	})
}

func TestConcurrentReadsShareOneGET(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, exposedAgent, emulator.WithFaults(faults.Config{Latency: 50 * time.Millisecond}))
		run := func() {
			inParallel(20, func(int) {
				if _, err := h.client.GetApplication(ctx, ref); err != nil {
					t.Error(err)
				}
			})
		}
		run() // the first lookup is shared
		if gets := h.requests().reads(); gets > 2 {
			t.Fatalf("20 concurrent first reads sent %d GETs", gets)
		}
		h.ts.Admin().ResetCounters()
		run() // later reads share the in-flight GET
		if gets := h.requests().reads(); gets > 4 {
			t.Fatalf("20 concurrent reads sent %d GETs", gets)
		}
		t.Logf("shared reads: %d", h.client.Stats().SharedReads)
	})
}

// preAuthorizeConcurrently adds n clients at once and returns them.
func preAuthorizeConcurrently(ctx context.Context, t testing.TB, c *graph.Client, ref model.AppRef, scopeID string, n int) []string {
	t.Helper()
	clients := make([]string, n)
	for i := range clients {
		clients[i] = newGUID(t)
	}
	errs := make([]error, n)
	inParallel(n, func(i int) { _, errs[i] = c.AddPreAuthorization(ctx, ref, clients[i], scopeID) })
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return clients
}

// removeConcurrently removes the clients' pre-authorizations at once.
func removeConcurrently(ctx context.Context, t testing.TB, c *graph.Client, ref model.AppRef, scopeID string, clients []string) {
	t.Helper()
	errs := make([]error, len(clients))
	inParallel(len(clients), func(i int) { errs[i] = c.RemovePreAuthorization(ctx, ref, clients[i], scopeID) })
	if err := errors.Join(errs...); err != nil {
		t.Error(err)
	}
}

func TestConcurrentPreAuthorizations60UnderFaults(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, _, ref := newAgentHarness(t, agentSpec{uris: []string{"api://{appId}"}, api: mixedAgentAPI})
		ctx := ctxWithTimeout(t, 3*time.Minute)
		scope := h.createScope(t, ctx, ref)
		if err := h.ts.Admin().SetFaults(faults.Config{
			Latency: 20 * time.Millisecond, ReplicaLag: time.Second, StaleReadProbability: 0.5,
			ConflictProbability: 0.3, ThrottleProbability: 0.1, RetryAfterSeconds: 1, Seed: 3,
		}); err != nil {
			t.Fatal(err)
		}
		h.ts.Admin().ResetCounters()
		before := h.client.Stats()

		clients := preAuthorizeConcurrently(ctx, t, h.client, ref, scope.ID, 60)

		st := h.client.Stats()
		seen := h.requests()
		t.Logf("60 concurrent adds: %d batches; emulator saw %d GET and %d PATCH (client: %d GET incl. %d confirmation reads, %d PATCH); retries %v",
			st.Batches-before.Batches, seen.reads(), seen.patches, st.Gets-before.Gets, st.ConfirmReads-before.ConfirmReads, st.Patches-before.Patches, st.Retries)

		h.ts.Admin().ClearFaults()
		stored := h.stored(t, ref.ID)
		present := map[string]bool{}
		for _, e := range stored.API.PreAuthorizedApplications {
			present[strings.ToLower(e.AppID)] = true
		}
		for _, c := range clients {
			if !present[c] {
				t.Fatalf("lost update: client %s missing", c)
			}
		}
		if n := len(stored.API.PreAuthorizedApplications); n != 62 {
			t.Fatalf("%d entries, want 60 plus the 2 unmanaged ones", n)
		}
		if batches := st.Batches - before.Batches; batches > 30 {
			t.Fatalf("60 concurrent adds took %d batches; group commit is not grouping", batches)
		}

		// And remove them all at once, leaving the unmanaged entries.
		removeConcurrently(ctx, t, h.client, ref, scope.ID, clients)
		if got := h.stored(t, ref.ID).API.PreAuthorizedApplications; len(got) != 2 {
			t.Fatalf("after removal: %s", jsonOf(got))
		}
	})
}

// BenchmarkConcurrentPreAuthorize60 measures 60 concurrent pre-authorizations with 50 ms injected
// latency per Graph request, and reports the Graph requests they cost (removing the clients between
// iterations is not counted).
func BenchmarkConcurrentPreAuthorize60(b *testing.B) {
	h, _, ref := newAgentHarness(b, exposedAgent, emulator.WithFaults(faults.Config{Latency: 50 * time.Millisecond}))
	ctx := context.Background()
	scope := h.createScope(b, ctx, ref)
	var gets, patches, batches int64
	b.ResetTimer()
	for range b.N {
		r0, s0 := h.requests(), h.client.Stats()
		clients := preAuthorizeConcurrently(ctx, b, h.client, ref, scope.ID, 60)
		sent := h.requests().minus(r0)
		gets, patches = gets+sent.reads(), patches+sent.patches
		batches += h.client.Stats().Batches - s0.Batches

		b.StopTimer()
		removeConcurrently(ctx, b, h.client, ref, scope.ID, clients) // keep the list from growing across iterations
		b.StartTimer()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(gets)/n, "GETs/60adds")
	b.ReportMetric(float64(patches)/n, "PATCHes/60adds")
	b.ReportMetric(float64(batches)/n, "batches/60adds")
}

// The absence window runs once per process, from when the client was built: a reader that misses an
// entry before it ends waits for its end, and readers of other applications that miss entries after
// it decide at once, on the read they have. With one window per application (started at its first
// miss) the three agents would cost three windows.
func TestAbsenceWindowRunsOncePerProcess(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		const window = time.Second
		h := newHarness(t)
		refs := refsOf(h.newAgents(t, 3))
		built := time.Now()
		client := h.deployerClient(t, func(cfg *graph.Config) {
			fastConfig(cfg)
			cfg.ReplicationLag = window
		})
		ctx := ctxWithTimeout(t, 30*time.Second)
		for i, ref := range refs {
			start := time.Now()
			_, err := getPreAuthorization(ctx, client, ref, newGUID(t))
			var notFound *preAuthorizationNotFoundError
			if !errors.As(err, &notFound) {
				t.Fatalf("agent %d: err = %v, want a PreAuthorizationNotFoundError", i, err)
			}
			took := time.Since(start)
			t.Logf("agent %d: absence decided after %s", i, took.Round(time.Millisecond))
			if i == 0 && time.Since(built) < window {
				t.Errorf("agent 0: absence decided %s after the client was built, before the window (%s) ended", time.Since(built), window)
			}
			// A per-application window would hold this read a whole window; the retry count below
			// checks the same without timing.
			if i > 0 && took >= window {
				t.Errorf("agent %d: absence decided after %s; the process's window had ended, so the read decides at once", i, took)
			}
		}
		if n := client.Stats().Retries[core.ReasonConfirmAbsence]; n != 1 {
			t.Errorf("%d absence re-reads, want 1 (the first agent, read inside the window)", n)
		}
	})
}
