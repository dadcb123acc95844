package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// foreignWriter edits an application's pre-authorized entries directly in the emulator, as another
// Terraform workspace, pipeline or portal user would.
type foreignWriter struct {
	t        *testing.T
	h        *harness
	objectID string
}

// set replaces the pre-authorized entries (a foreign PATCH, built on whatever it read).
func (f foreignWriter) set(entries []directory.PreAuthorizedApp) {
	body, err := json.Marshal(map[string]any{"api": map[string]any{"preAuthorizedApplications": entries}})
	if err != nil {
		f.t.Error(err)
		return
	}
	if _, err := f.h.ts.Admin().PatchApplication(f.objectID, body); err != nil {
		f.t.Error(err)
	}
}

// newForeignWriter returns another writer of the application.
func newForeignWriter(t *testing.T, h *harness, ref model.AppRef) foreignWriter {
	t.Helper()
	return foreignWriter{t: t, h: h, objectID: h.stored(t, ref.ID).ID}
}

// current returns the entries as the primary holds them.
func (f foreignWriter) current() []directory.PreAuthorizedApp {
	return f.h.stored(f.t, f.objectID).API.PreAuthorizedApplications
}

// add pre-authorizes client for perm as another writer would (read the primary, PATCH the list).
func (f foreignWriter) add(client, perm string) {
	entries := append(f.current(), directory.PreAuthorizedApp{AppID: client, DelegatedPermissionIDs: []string{perm}})
	f.set(entries)
}

func hasEntry(entries []directory.PreAuthorizedApp, client, perm string) bool {
	for _, e := range entries {
		if strings.EqualFold(e.AppID, client) {
			for _, p := range e.DelegatedPermissionIDs {
				if strings.EqualFold(p, perm) {
					return true
				}
			}
		}
	}
	return false
}

func newWriterTest(t *testing.T, tune func(*graph.Config)) (*harness, foreignWriter, model.AppRef, model.PermissionScope) {
	t.Helper()
	h, ctx, ref := newAgentHarness(t, exposedAgent)
	if tune != nil {
		h.retune(t, func(c *graph.Config) {
			fastConfig(c)
			tune(c)
		})
	}
	return h, newForeignWriter(t, h, ref), ref, h.createScope(t, ctx, ref)
}

// addWithForeignWrite pre-authorizes a new client while another writer, once, right after our
// PATCH, writes base() and an entry of its own; Graph must then hold both entries.
func addWithForeignWrite(t *testing.T, h *harness, fw foreignWriter, ref model.AppRef, scope model.PermissionScope, base func() []directory.PreAuthorizedApp) {
	t.Helper()
	foreign, ours := newGUID(t), newGUID(t)
	var once sync.Once
	h.rec.setAfterPatch(func() {
		once.Do(func() {
			fw.set(append(base(), directory.PreAuthorizedApp{AppID: foreign, DelegatedPermissionIDs: []string{scope.ID}}))
		})
	})
	if _, err := h.client.AddPreAuthorization(ctxWithTimeout(t, time.Minute), ref, ours, scope.ID); err != nil {
		t.Fatal(err)
	}
	got := fw.current()
	if !hasEntry(got, ours, scope.ID) || !hasEntry(got, foreign, scope.ID) {
		t.Fatalf("want both entries, got %s", jsonOf(got))
	}
}

// A change another writer makes beside ours (its own entry) does not stop our write from being
// confirmed, and ours is not re-applied.
func TestForeignChangeBesideOursIsConfirmed(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, fw, ref, scope := newWriterTest(t, nil)
		addWithForeignWrite(t, h, fw, ref, scope, fw.current)
		if n := h.client.Stats().Reapplies; n != 0 {
			t.Fatalf("re-applied %d times although nothing of ours was overwritten", n)
		}
	})
}

// Another writer that read before our PATCH and wrote after it overwrites our entry (Graph has no
// conditional PATCH). The write is applied again on a newer read, keeping the other writer's entry.
func TestOverwrittenIntentIsReapplied(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, fw, ref, scope := newWriterTest(t, nil)
		before := fw.current()
		patches0 := len(h.rec.Patches())
		addWithForeignWrite(t, h, fw, ref, scope, func() []directory.PreAuthorizedApp { return before })
		if n := h.client.Stats().Reapplies; n != 1 {
			t.Fatalf("Reapplies = %d, want 1", n)
		}
		if n := len(h.rec.Patches()) - patches0; n != 2 {
			t.Fatalf("%d PATCHes, want 2 (the write and its re-application)", n)
		}
	})
}

// A removal overwritten by a writer that still had the entry is removed again.
func TestOverwrittenRemovalIsReapplied(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, fw, ref, scope := newWriterTest(t, nil)
		ours := newGUID(t)
		ctx := ctxWithTimeout(t, time.Minute)
		if _, err := h.client.AddPreAuthorization(ctx, ref, ours, scope.ID); err != nil {
			t.Fatal(err)
		}
		before := fw.current()
		var once sync.Once
		h.rec.setAfterPatch(func() {
			once.Do(func() {
				fw.set(append(before, directory.PreAuthorizedApp{AppID: newGUID(t), DelegatedPermissionIDs: []string{scope.ID}}))
			})
		})
		if err := h.client.RemovePreAuthorization(ctx, ref, ours, scope.ID); err != nil {
			t.Fatal(err)
		}
		if got := fw.current(); hasEntry(got, ours, scope.ID) || len(got) != 1 {
			t.Fatalf("want only the foreign entry, got %s", jsonOf(got))
		}
	})
}

// A writer that overwrites our entry after every PATCH exhausts the bound: the operation fails with
// a clear error instead of hanging until its timeout, and never reports success.
func TestOverwrittenBeyondBoundFailsClearly(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, fw, ref, scope := newWriterTest(t, nil)
		ours := newGUID(t)
		before := fw.current()
		patches0 := len(h.rec.Patches())
		h.rec.setAfterPatch(func() {
			fw.set(append(before, directory.PreAuthorizedApp{AppID: newGUID(t), DelegatedPermissionIDs: []string{scope.ID}}))
		})
		start := time.Now()
		_, err := h.client.AddPreAuthorization(ctxWithTimeout(t, time.Minute), ref, ours, scope.ID)
		if !errors.Is(err, model.ErrOverwritten) {
			t.Fatalf("err = %v, want ErrOverwritten", err)
		}
		for _, want := range []string{"another writer kept overwriting", ours, fmt.Sprintf("applied again %d times", core.MaxReapply), "run the command again"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		if n := len(h.rec.Patches()) - patches0; n != 1+core.MaxReapply {
			t.Errorf("%d PATCHes, want %d (the write and core.MaxReapply re-applications)", n, 1+core.MaxReapply)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("took %s: the bound should end it long before the timeout", d)
		}
	})
}

// An intent confirmed earlier by this process and overwritten later (after its caller was
// answered) is restored by the next write to the application.
func TestLaterWriteRestoresOverwrittenConfirmedIntent(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		const reuse = core.WriteReuse
		h, fw, ref, scope := newWriterTest(t, nil)
		first, second, foreign := newGUID(t), newGUID(t), newGUID(t)
		ctx := ctxWithTimeout(t, time.Minute)
		before := fw.current()
		if _, err := h.client.AddPreAuthorization(ctx, ref, first, scope.ID); err != nil {
			t.Fatal(err)
		}
		// A writer that read before our first write writes now. The next write comes after WriteReuse:
		// within it, a round builds on the read that confirmed the previous one (the documented window in
		// which another writer's change can be lost, as between any read and PATCH).
		fw.set(append(before, directory.PreAuthorizedApp{AppID: foreign, DelegatedPermissionIDs: []string{scope.ID}}))
		time.Sleep(2 * reuse)
		if _, err := h.client.AddPreAuthorization(ctx, ref, second, scope.ID); err != nil {
			t.Fatal(err)
		}
		got := fw.current()
		for _, c := range []string{first, second, foreign} {
			if !hasEntry(got, c, scope.ID) {
				t.Fatalf("entry %s missing: %s", c, jsonOf(got))
			}
		}
	})
}

// Cancelling the callers while their batch is being written ends the worker: no goroutine is left
// behind. A caller whose change was in the PATCH Graph committed is told so (no error, and Graph holds
// it); one whose change was still queued gets the context's error and Graph does not hold it.
func TestCancelMidBatchLeavesNoGoroutine(t *testing.T) {
	h, fw, ref, scope := newWriterTest(t, nil)
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	held := make(chan struct{})
	h.rec.beforeFirstPatch(func() {
		close(held)
		<-ctx.Done()
	})
	var wg sync.WaitGroup
	type result struct {
		client string
		err    error
	}
	results := make(chan result, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := newGUID(t)
			_, err := h.client.AddPreAuthorization(ctx, ref, client, scope.ID)
			results <- result{client, err}
		}()
	}
	<-held
	cancel()
	wg.Wait()
	close(results)
	got := fw.current()
	for r := range results {
		switch {
		case r.err == nil && !hasEntry(got, r.client, scope.ID):
			t.Errorf("client %s: reported done, but Graph does not hold it", r.client)
		case r.err != nil && !errors.Is(r.err, context.Canceled):
			t.Errorf("client %s: err = %v, want nil or context.Canceled", r.client, r.err)
		case r.err != nil && hasEntry(got, r.client, scope.ID):
			t.Errorf("client %s: reported cancelled, but Graph holds it", r.client)
		}
	}
	verifyNoGoroutineLeft(t, h, ignore)
}

// verifyNoGoroutineLeft fails the test if a goroutine started after ignore was taken still runs.
// Connections (the client's pool and the in-process emulator's server side) are not the client's
// goroutines: idle ones are closed first, and their loops are ignored.
func verifyNoGoroutineLeft(t *testing.T, h *harness, ignore goleak.Option) {
	t.Helper()
	h.ts.Client.CloseIdleConnections()
	goleak.VerifyNone(t, ignore,
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*http2ClientConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
		goleak.IgnoreAnyFunction("net/http.(*http2serverConn).readFrames"),
		goleak.IgnoreAnyFunction("net/http.(*http2serverConn).serve"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"))
}

// Ambiguous writes (committed, but answered 503, 504 or with a dropped connection) are retried like
// any transient failure; resending is safe because a write states facts, never "append".
func TestAmbiguousWritesAreRetriedSafely(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, fw, ref, scope := newWriterTest(t, nil)
		if err := h.ts.Admin().SetFaults(faults.Config{AmbiguousWriteProbability: 0.5, Seed: 21}); err != nil {
			t.Fatal(err)
		}
		ctx := ctxWithTimeout(t, 2*time.Minute)
		clients := preAuthorizeConcurrently(ctx, t, h.client, ref, scope.ID, 12)
		for range 12 { // one PATCH each: every kind of ambiguous answer shows up
			c := newGUID(t)
			if _, err := h.client.AddPreAuthorization(ctx, ref, c, scope.ID); err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
		for _, c := range clients[:6] {
			if err := h.client.RemovePreAuthorization(ctx, ref, c, scope.ID); err != nil {
				t.Fatal(err)
			}
		}
		got := fw.current()
		if len(got) != 18 {
			t.Fatalf("%d entries, want 18: %s", len(got), jsonOf(got))
		}
		for _, c := range clients[6:] {
			if !hasEntry(got, c, scope.ID) {
				t.Fatalf("entry %s missing: %s", c, jsonOf(got))
			}
		}
		st, injected := h.client.Stats(), h.ts.Admin().Injected()
		if st.Retries[core.ReasonServerError] == 0 || st.Retries[core.ReasonNetwork] == 0 || injected["ambiguous_drop"] == 0 {
			t.Fatalf("not every kind of ambiguous write was retried: retries %v, injected %v", st.Retries, injected)
		}
	})
}

// Two processes pre-authorize 15 different clients each on one application at the same moment,
// under a 2 s replication lag with half the reads stale: both succeed and Graph holds all 30.
func TestTwoWritersUnderLagConverge(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		clock := &jumpClock{}
		h, ctx, ref := newAgentHarness(t, exposedAgent, emulator.WithClock(clock.Now))
		fw := newForeignWriter(t, h, ref)
		scope := h.createScope(t, ctx, ref)
		if err := h.ts.Admin().SetFaults(faults.Config{ReplicaLag: 2 * time.Second, StaleReadProbability: 0.5, Seed: 4}); err != nil {
			t.Fatal(err)
		}
		clock.Jump(3 * time.Second) // the application and its scope predate the lag: stale replicas have them
		h.retune(t, concurrentConfig(2*time.Second))
		other := h.deployerClient(t, concurrentConfig(2*time.Second))
		ctx = ctxWithTimeout(t, 3*time.Minute)
		writerOf := preAuthorizeAsWriters(ctx, t, []*graph.Client{h.client, other}, ref, scope.ID, nil)
		requireEveryWritersEntry(t, fw, writerOf, scope.ID)
		t.Logf("writer 1: %+v", h.client.Stats())
		t.Logf("writer 2: %+v", other.Stats())
	})
}

// lateOverwrite is the scenario of a writer whose read missed our last write: our client declares a
// 1 s lag bound, core.WriteReuse and other writers, every read is one lag behind, and another writer
// writes what it read before our first PATCH (without ours) lag+reuse-100ms after that PATCH: the
// latest the model allows. overwritten is closed once it has.
type lateOverwrite struct {
	h           *harness
	fw          foreignWriter
	ref         model.AppRef
	scope       model.PermissionScope
	lag, reuse  time.Duration
	overwritten chan struct{}
}

func newLateOverwrite(t *testing.T, seed uint64, tune ...func(*graph.Config)) *lateOverwrite {
	t.Helper()
	s := &lateOverwrite{lag: time.Second, reuse: core.WriteReuse, overwritten: make(chan struct{})}
	s.h, s.fw, s.ref, s.scope = newWriterTest(t, func(c *graph.Config) {
		c.ReplicationLag = s.lag // the lag bound this process assumes
		c.ConcurrentWriters = true
		for _, f := range tune {
			f(c)
		}
	})
	before := s.fw.current()
	if err := s.h.ts.Admin().SetFaults(faults.Config{ReplicaLag: s.lag, StaleReadProbability: 1, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	s.h.rec.setAfterPatch(func() {
		once.Do(func() {
			go func() {
				defer close(s.overwritten)
				time.Sleep(s.lag + s.reuse - 100*time.Millisecond)
				s.fw.set(before)
			}()
		})
	})
	return s
}

// add pre-authorizes a new client with ctx, and returns once the other writer has overwritten.
func (s *lateOverwrite) add(ctx context.Context, t *testing.T) (client string, err error) {
	client = newGUID(t)
	_, err = s.h.client.AddPreAuthorization(ctx, s.ref, client, s.scope.ID)
	<-s.overwritten
	return client, err
}

// requireKept fails t unless the operation that added client succeeded and Graph holds its entry
// after the overwrite; lost says what went wrong if it does not.
func (s *lateOverwrite) requireKept(t *testing.T, client string, err error, lost string) {
	t.Helper()
	if err != nil {
		t.Fatalf("the settled operation failed: %v", err)
	}
	if got := s.fw.current(); !hasEntry(got, client, s.scope.ID) {
		t.Fatalf("%s: %s", lost, jsonOf(got))
	}
}

// A writer whose read missed our last write (a replica one lag behind) and who builds on that read
// for WriteReuse overwrites our change up to lag+WriteReuse after it. Our process must not end before
// a read shows such an overwrite: with every read one lag behind, that read starts 2*lag+WriteReuse
// after our write. The process restores the change before its last operation returns.
func TestSettleSeesAnOverwriteBuiltOnAReplicaThatMissedOurWrite(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		s := newLateOverwrite(t, 7)
		ours := newGUID(t)
		ctx := ctxWithTimeout(t, time.Minute)
		start := time.Now()
		if _, err := s.h.client.AddPreAuthorization(ctx, s.ref, ours, s.scope.ID); err != nil {
			t.Fatal(err)
		}
		t.Logf("returned after %s: %+v", time.Since(start).Round(time.Millisecond), s.h.client.Stats())
		<-s.overwritten
		if got := s.fw.current(); !hasEntry(got, ours, s.scope.ID) {
			t.Fatalf("the operation returned, and the overwrite it should have seen removed its entry: %s", jsonOf(got))
		}
		if n := s.h.client.Stats().Retries[core.ReasonSettle]; n == 0 {
			t.Fatalf("no settle wait: %+v", s.h.client.Stats())
		}
	})
}

// TestTwoWritersStaggeredStress runs LKPS_STRESS_PAIRS pairs of processes (default: skipped), each
// pair pre-authorizing 15 clients apiece on one application under a 2 s lag with half the reads
// stale, the second process starting 0-3 s after the first, with the provider's default timing
// (3 s lag bound, 1 s WriteReuse) and the sharing declared (ConcurrentWriters). Every entry of both must be there when both have returned. With
// a settle window of one lag bound, about 1 pair in 24 lost entries: the first process ended
// content on a stale read before the second one's overwrite reached it.
//
//	LKPS_STRESS_PAIRS=48 go test -run TestTwoWritersStaggeredStress -parallel 8 ./internal/graph/
func TestTwoWritersStaggeredStress(t *testing.T) {
	pairs, _ := strconv.Atoi(os.Getenv("LKPS_STRESS_PAIRS"))
	if pairs <= 0 {
		t.Skip("set LKPS_STRESS_PAIRS to run")
	}
	for i := range pairs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			latency := faults.Config{Latency: 50 * time.Millisecond}
			h, ctx, ref := newAgentHarness(t, exposedAgent, emulator.WithFaults(latency))
			fw := newForeignWriter(t, h, ref)
			scope := h.createScope(t, ctx, ref)
			lagged := latency
			lagged.ReplicaLag, lagged.StaleReadProbability, lagged.Seed = 2*time.Second, 0.5, uint64(i+1)
			if err := h.ts.Admin().SetFaults(lagged); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2500 * time.Millisecond) // the scope predates the lag
			ctx = ctxWithTimeout(t, 3*time.Minute)
			offset := time.Duration(i*700%3000) * time.Millisecond
			var writers []*graph.Client
			for range 2 {
				// The provider's default timing, with the sharing declared.
				c := h.deployerClient(t, func(c *graph.Config) { c.ConcurrentWriters = true })
				writers = append(writers, c)
			}
			writerOf := preAuthorizeAsWriters(ctx, t, writers, ref, scope.ID, func(n int) time.Duration {
				return time.Duration(n)*offset + time.Duration(rand.IntN(400))*time.Millisecond
			})
			requireEveryWritersEntry(t, fw, writerOf, scope.ID)
		})
	}
}

// preAuthorizeAsWriters has each of writers pre-authorize 15 new clients for scopeID at once, ten at a
// time (Terraform's -parallelism=10); each call first sleeps delay(writer index), when delay is set.
// It returns the writer (1-based) of each client.
func preAuthorizeAsWriters(ctx context.Context, t *testing.T, writers []*graph.Client, ref model.AppRef, scopeID string, delay func(n int) time.Duration) map[string]int {
	t.Helper()
	writerOf := map[string]int{}
	var wg sync.WaitGroup
	for n, c := range writers {
		sem := make(chan struct{}, 10)
		for range 15 {
			client := newGUID(t)
			writerOf[client] = n + 1
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				if delay != nil {
					time.Sleep(delay(n))
				}
				if _, err := c.AddPreAuthorization(ctx, ref, client, scopeID); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	return writerOf
}

// requireEveryWritersEntry fails t for each client of writerOf that Graph does not hold for scopeID.
func requireEveryWritersEntry(t *testing.T, fw foreignWriter, writerOf map[string]int, scopeID string) {
	t.Helper()
	got := fw.current()
	for c, n := range writerOf {
		if !hasEntry(got, c, scopeID) {
			t.Errorf("entry %s of writer %d missing", c, n)
		}
	}
}
