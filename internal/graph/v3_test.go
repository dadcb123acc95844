package graph_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
)

// The tests of the v3 rules: no resend on a stale body, cancellation keeps its promises, settling only
// where another writer shares the application.

// cancelAtWatch cancels the caller's context when the client sends its first GET a whole settle window
// (2 lag + reuse) after its first PATCH since armed: the read that checks the run's writes survived.
type cancelAtWatch struct {
	next   http.RoundTripper
	window time.Duration
	cancel context.CancelFunc

	mu      sync.Mutex
	armed   bool
	patched time.Time
}

func (c *cancelAtWatch) arm() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed = true
}

func (c *cancelAtWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	switch {
	case !c.armed:
	case req.Method == http.MethodPatch && c.patched.IsZero():
		c.patched = time.Now()
	case req.Method == http.MethodGet && !c.patched.IsZero() && !time.Now().Before(c.patched.Add(c.window)):
		c.cancel()
	}
	c.mu.Unlock()
	return c.next.RoundTrip(req)
}

// Writer B's PATCH is answered 429 with Retry-After 2 s (the emulator's throttle fault); while B waits,
// writer A pre-authorizes its client and returns. B's resend must not drop A's entry: its body was
// built on a read older than WriteReuse, so it is rebuilt on a fresh read. Resending the same bytes
// (the old behaviour) removed A's entry while both reported success.
func TestResendAfterLongRetryAfterKeepsTheOtherWritersEntry(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, fw, ref, scope := newWriterTest(t, nil)
		a := h.deployerClient(t, fastConfig)
		b, recB, _ := newClient(t, h.ts, h.ts.DeployerClientID, h.ts.DeployerSecret, fastConfig)
		ctx := ctxWithTimeout(t, time.Minute)
		clientA, clientB := newGUID(t), newGUID(t)

		throttled := make(chan struct{})
		recB.beforeFirstPatch(func() {
			// B's first PATCH is the emulator's next request: it is answered 429, Retry-After 2 s.
			if err := h.ts.Admin().SetFaults(faults.Config{ThrottleNext: 1, RetryAfterSeconds: 2}); err != nil {
				t.Error(err)
			}
			close(throttled)
		})

		errB := make(chan error, 1)
		go func() {
			_, err := b.AddPreAuthorization(ctx, ref, clientB, scope.ID)
			errB <- err
		}()
		<-throttled
		// Wait until B's PATCH has been refused, then write as A while B waits out Retry-After.
		deadline := time.Now().Add(10 * time.Second)
		for b.Stats().Retries[core.ReasonThrottled] == 0 {
			if time.Now().After(deadline) {
				t.Fatal("B's PATCH was not throttled")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if _, err := a.AddPreAuthorization(ctx, ref, clientA, scope.ID); err != nil {
			t.Fatal(err)
		}
		if err := <-errB; err != nil {
			t.Fatal(err)
		}
		got := fw.current()
		if !hasEntry(got, clientA, scope.ID) {
			t.Fatalf("B's resend removed A's entry: %s", jsonOf(got))
		}
		if !hasEntry(got, clientB, scope.ID) {
			t.Fatalf("B's entry is missing: %s", jsonOf(got))
		}
		if n := b.Stats().Retries[core.ReasonRebuiltResend]; n == 0 {
			t.Fatalf("B's resend was not rebuilt: %+v", b.Stats())
		}
	})
}

// A caller whose context ends while its change is in a PATCH in flight is told the outcome: Graph
// committed it, so the operation succeeds and Graph holds it (Terraform then records it in its state);
// a caller whose change was still queued is answered with the context's error and nothing is written.
func TestCancelledCallerIsToldWhatGraphCommitted(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, fw, ref, scope := newWriterTest(t, nil)
		inFlight, queued := newGUID(t), newGUID(t)
		held := make(chan struct{})
		release := make(chan struct{})
		h.rec.beforeFirstPatch(func() {
			close(held)
			<-release
		})

		ctx1, cancel1 := context.WithCancel(ctxWithTimeout(t, time.Minute))
		ctx2, cancel2 := context.WithCancel(ctxWithTimeout(t, time.Minute))
		err1, err2 := make(chan error, 1), make(chan error, 1)
		go func() {
			_, err := h.client.AddPreAuthorization(ctx1, ref, inFlight, scope.ID)
			err1 <- err
		}()
		<-held // the first PATCH is on its way
		go func() {
			_, err := h.client.AddPreAuthorization(ctx2, ref, queued, scope.ID)
			err2 <- err
		}()
		synctest.Wait() // the second operation is queued behind the PATCH in flight
		cancel1()       // Ctrl-C: every caller gives up
		cancel2()
		if err := <-err2; !errors.Is(err, context.Canceled) {
			t.Fatalf("the queued operation: %v, want the context's error", err)
		}
		close(release) // Graph commits the PATCH in flight
		if err := <-err1; err != nil {
			t.Fatalf("the operation whose PATCH Graph committed failed: %v", err)
		}
		got := fw.current()
		if !hasEntry(got, inFlight, scope.ID) {
			t.Fatalf("the committed change is not in Graph: %s", jsonOf(got))
		}
		if hasEntry(got, queued, scope.ID) {
			t.Fatalf("the cancelled queued change was written: %s", jsonOf(got))
		}
	})
}

// With other writers declared, the last operation settles; when its caller's context ends during the
// wait, the settle still runs (the operations that returned at once rely on it), on a context of its
// own: the other writer's overwrite is seen and repaired before the operation returns.
func TestCancelledLastOperationStillSettles(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		s := newLateOverwrite(t, 8)
		ctx, cancel := context.WithCancel(ctxWithTimeout(t, time.Minute))
		time.AfterFunc(s.lag+s.reuse, cancel) // during the settle window (2 lag + reuse)
		ours, err := s.add(ctx, t)
		s.requireKept(t, ours, err, "the cancelled operation skipped its settle: the overwrite removed its entry")
	})
}

// The caller's context ending while the settle's own read is in flight does not end the settle either:
// it reads again on a context of its own and restores what the other writer overwrote.
func TestSettleInterruptedDuringItsReadStillSettles(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctxWithTimeout(t, time.Minute))
		var watch *cancelAtWatch
		s := newLateOverwrite(t, 10, func(c *graph.Config) {
			watch = &cancelAtWatch{next: c.HTTPClient.Transport, window: 2*c.ReplicationLag + core.WriteReuse, cancel: cancel}
			c.HTTPClient = &http.Client{Transport: watch}
		})
		watch.arm()
		ours, err := s.add(ctx, t)
		if ctx.Err() == nil {
			t.Fatal("the caller's context did not end during the settle's read; the test did not exercise it")
		}
		s.requireKept(t, ours, err, "the interrupted settle did not restore the entry the overwrite removed")
	})
}

// Without other writers declared and none seen, nothing settles: the operation returns without the
// window, and a new client (the next command), declaring the lag, builds its write on a read that
// shows the first client's change.
func TestSequentialClientsAreExactWithoutSettling(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		const lag = 800 * time.Millisecond
		h, fw, ref, scope := newWriterTest(t, func(c *graph.Config) { c.ReplicationLag = lag })
		if err := h.ts.Admin().SetFaults(faults.Config{ReplicaLag: lag, StaleReadProbability: 1, Seed: 9}); err != nil {
			t.Fatal(err)
		}
		ctx := ctxWithTimeout(t, time.Minute)
		first, second := newGUID(t), newGUID(t)
		if _, err := h.client.AddPreAuthorization(ctx, ref, first, scope.ID); err != nil {
			t.Fatal(err)
		}
		if n := h.client.Stats().Retries[core.ReasonSettle]; n != 0 {
			t.Fatalf("a lone writer waited to settle: %+v", h.client.Stats())
		}
		next := h.deployerClient(t, lagConfig(lag))
		if _, err := next.AddPreAuthorization(ctx, ref, second, scope.ID); err != nil {
			t.Fatal(err)
		}
		got := fw.current()
		if !hasEntry(got, first, scope.ID) || !hasEntry(got, second, scope.ID) {
			t.Fatalf("the next command's write dropped the first one's: %s", jsonOf(got))
		}
		if next.Stats().Retries[core.ReasonFreshBase] == 0 {
			t.Fatalf("the next command's write did not wait for a fresh base: %+v", next.Stats())
		}
	})
}

// Another writer's change seen during the run makes the run settle by itself, with one notice.
func TestForeignWriterSeenSettlesAndNotifiesOnce(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, fw, ref, scope := newWriterTest(t, func(c *graph.Config) {
			c.ReplicationLag = 100 * time.Millisecond // a window to wait (the emulator has no lag)
		})
		ctx := ctxWithTimeout(t, time.Minute)
		if _, err := h.client.AddPreAuthorization(ctx, ref, newGUID(t), scope.ID); err != nil {
			t.Fatal(err)
		}
		fw.add(newGUID(t), scope.ID)    // another writer, between our writes
		time.Sleep(2 * core.WriteReuse) // past WriteReuse: the next round reads, and shows the other writer's change
		for range 3 {
			if _, err := h.client.AddPreAuthorization(ctx, ref, newGUID(t), scope.ID); err != nil {
				t.Fatal(err)
			}
		}
		if n := h.client.Stats().Retries[core.ReasonSettle]; n == 0 {
			t.Fatalf("the run did not settle after seeing another writer: %+v", h.client.Stats())
		}
		notices := h.client.TakeNotices()
		if len(notices) != 1 || notices[0].Kind != core.NoticeForeignWriter || notices[0].ObjectID != fw.objectID {
			t.Fatalf("notices = %+v, want one foreign-writer notice for %s", notices, fw.objectID)
		}
		if again := h.client.TakeNotices(); len(again) != 0 {
			t.Fatalf("notices repeated: %+v", again)
		}
	})
}
