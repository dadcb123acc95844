package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// newLaggingAgent returns a harness whose every read within lag after a write comes from a replica
// that is behind, a client with the absence window given, and an agent with a scope.
func newLaggingAgent(t *testing.T, lag, absence time.Duration, seed uint64, tune ...func(*graph.Config)) (*harness, model.AppRef, model.PermissionScope) {
	t.Helper()
	h, ctx, ref := newAgentHarness(t, exposedAgent, withLag(lag, 1, seed)...)
	h.retune(t, func(c *graph.Config) {
		fastConfig(c)
		c.ReplicationLag = absence
		for _, f := range tune {
			f(c)
		}
	})
	return h, ref, h.createScope(t, ctx, ref)
}

// ExposeScope writes the identifier URI and the scope in one PATCH; when the scope cannot be created,
// nothing is written (no URI left behind to clean up).
func TestExposeScopeIsOneChange(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, agentSpec{uris: []string{"api://other-team"}})
		uri := "api://" + ref.ID
		patches0 := len(h.rec.Patches())
		scope, added, err := h.client.ExposeScope(ctx, ref, uri, accessScope(""))
		if err != nil {
			t.Fatal(err)
		}
		if !added {
			t.Error("uriAdded = false for a URI the application did not have")
		}
		if n := len(h.rec.Patches()) - patches0; n != 1 {
			t.Errorf("%d PATCHes, want 1", n)
		}
		app := h.stored(t, ref.ID)
		if len(app.IdentifierURIs) != 2 || len(app.API.OAuth2PermissionScopes) != 1 || app.API.OAuth2PermissionScopes[0].ID != scope.ID {
			t.Fatalf("stored %v and %d scopes", app.IdentifierURIs, len(app.API.OAuth2PermissionScopes))
		}

		// A second scope with the same value is refused, and its URI is not added either.
		other, _ := h.newAgent(t, agentSpec{})
		if _, err := createScope(ctx, h.client, model.ByAppID(other), accessScope("")); err != nil {
			t.Fatal(err)
		}
		patches0 = len(h.rec.Patches())
		_, _, err = h.client.ExposeScope(ctx, model.ByAppID(other), "api://"+other, accessScope(""))
		if !errors.Is(err, model.ErrScopeExists) {
			t.Fatalf("err = %v, want ScopeExistsError", err)
		}
		if n := len(h.rec.Patches()) - patches0; n != 0 {
			t.Errorf("%d PATCHes for a refused change, want 0", n)
		}
		if uris := h.stored(t, other).IdentifierURIs; len(uris) != 0 {
			t.Errorf("identifier URIs %v after a refused change, want none", uris)
		}
	})
}

// DeleteScopeAndURI removes the URI in the same PATCH as the scope; other URIs stay.
func TestDeleteScopeAndURIRemovesTheURIWithTheScope(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, agentSpec{uris: []string{"api://other-team"}})
		uri := "api://" + ref.ID
		scope, _, err := h.client.ExposeScope(ctx, ref, uri, accessScope(""))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.DeleteScopeAndURI(ctx, ref, scope.ID, uri); err != nil {
			t.Fatal(err)
		}
		app := h.stored(t, ref.ID)
		if len(app.API.OAuth2PermissionScopes) != 0 || len(app.IdentifierURIs) != 1 || app.IdentifierURIs[0] != "api://other-team" {
			t.Fatalf("after delete: URIs %v, %d scopes", app.IdentifierURIs, len(app.API.OAuth2PermissionScopes))
		}
		patches := h.rec.Patches()
		var last struct {
			IdentifierURIs []string `json:"identifierUris"`
			API            struct {
				Scopes *[]json.RawMessage `json:"oauth2PermissionScopes"`
			} `json:"api"`
		}
		if err := json.Unmarshal([]byte(patches[len(patches)-1]), &last); err != nil {
			t.Fatal(err)
		}
		if last.IdentifierURIs == nil || last.API.Scopes == nil || len(*last.API.Scopes) != 0 {
			t.Errorf("the last PATCH does not remove the scope and the URI together: %s", patches[len(patches)-1])
		}
	})
}

// Operations queued while a batch waits for its confirmation (every read within the lag comes from a
// replica that is behind) are written at once on top of it, not after it, and both are confirmed.
func TestOperationsQueuedDuringConfirmationArePipelined(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		const lag = 600 * time.Millisecond
		h, ref, scope := newLaggingAgent(t, lag, 2*lag, 7)
		ctx := ctxWithTimeout(t, time.Minute)
		time.Sleep(2 * lag) // the scope is on every replica

		patched := h.rec.recordPatchTimes()
		first, second := newGUID(t), newGUID(t)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			// The first caller's context ends as soon as it has its answer, as a Terraform request's
			// does: the batch written on top of its own must still be confirmed for its caller.
			firstCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := h.client.AddPreAuthorization(firstCtx, ref, first, scope.ID); err != nil {
				t.Error(err)
			}
		}()
		time.Sleep(lag / 4) // the first batch is written and being confirmed
		go func() {
			defer wg.Done()
			if _, err := h.client.AddPreAuthorization(ctx, ref, second, scope.ID); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
		patchTimes := patched()
		if len(patchTimes) != 2 {
			t.Fatalf("%d PATCHes, want 2", len(patchTimes))
		}
		// Every read within the lag misses the first batch: a second PATCH sent sooner than that after
		// the first did not wait for the first batch's confirmation.
		if gap := patchTimes[1].Sub(patchTimes[0]); gap >= lag {
			t.Errorf("the second PATCH was sent %s after the first: it waited for the first confirmation", gap)
		}
		stored := h.stored(t, ref.ID).API.PreAuthorizedApplications
		if !hasEntry(stored, first, scope.ID) || !hasEntry(stored, second, scope.ID) {
			t.Fatalf("stored %s", jsonOf(stored))
		}
	})
}

// With other writers declared (ConcurrentWriters), under replication lag, an operation answered while
// others are in flight returns at once; the process's last one returns only when its writes are on
// every replica, so a new process that reads once, with no lag bound, sees all of them.
func TestLastOperationReturnsOnceReplicated(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		const lag = 500 * time.Millisecond
		// The bound is above the directory's lag, as documented, and longer than the confirmation
		// takes, so the last operation's wait shows.
		h, ref, scope := newLaggingAgent(t, lag, 4*lag, 9, func(c *graph.Config) { c.ConcurrentWriters = true })
		ctx := ctxWithTimeout(t, time.Minute)
		clients := []string{newGUID(t), newGUID(t), newGUID(t), newGUID(t)}
		var mu sync.Mutex
		var returned []time.Time
		inParallel(len(clients), func(i int) {
			if _, err := h.client.AddPreAuthorization(ctx, ref, clients[i], scope.ID); err != nil {
				t.Error(err)
			}
			mu.Lock()
			returned = append(returned, time.Now())
			mu.Unlock()
		})
		if t.Failed() {
			return
		}
		if h.client.Stats().Retries[core.ReasonSettle] == 0 {
			t.Error("the last operation did not wait for replication")
		}
		if spread := returned[len(returned)-1].Sub(returned[0]); spread < lag {
			t.Errorf("the operations returned within %s of each other: only the last one should have waited", spread)
		}
		fresh := h.deployerClient(t, func(c *graph.Config) {
			fastConfig(c)
			c.ReplicationLag = -1 // one read decides
		})
		app, err := fresh.GetApplication(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range clients {
			if _, ok := app.PreAuthorization(c); !ok {
				t.Errorf("a new process does not see client %s right after the last operation returned", c)
			}
		}
		if _, ok := app.Scope(scope.ID); !ok || !strings.EqualFold(app.AppID, ref.ID) {
			t.Error("a new process does not see the scope")
		}
	})
}

// The last operation's reads after the settle window take the batched read path: twenty applications
// written in one run cost a few requests (one GET, then lists of up to 15), not twenty reads, and each
// shows this process's change.
func TestSettleReadsManyApplicationsInFewLists(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		// Latency keeps a read in flight while the others queue behind it (bubble time: free).
		h := newHarness(t, emulator.WithFaults(faults.Config{Latency: 20 * time.Millisecond}))
		client := h.deployerClient(t, concurrentConfig(-1))
		ctx := ctxWithTimeout(t, time.Minute)
		agents := h.newAgents(t, 20)
		var wg sync.WaitGroup
		var returned atomic.Int32
		for _, a := range agents {
			wg.Go(func() {
				if _, err := client.EnsureIdentifierURI(ctx, model.ByAppID(a), "api://"+a); err != nil {
					t.Error(err)
				}
				returned.Add(1)
			})
		}
		// Every write is confirmed and the last operation waits out its window: count from here.
		for returned.Load() < int32(len(agents)-1) || client.Stats().Retries[core.ReasonSettle] == 0 {
			time.Sleep(time.Millisecond)
		}
		before := h.requests()
		wg.Wait()
		settle := h.requests().minus(before)
		settleReads, lists := settle.reads(), settle.listApps
		if settleReads > 4 || lists == 0 {
			t.Errorf("the settle of 20 applications took %d reads (%d lists), want at most 4 with lists", settleReads, lists)
		}
		for _, a := range agents {
			if uris := h.stored(t, a).IdentifierURIs; len(uris) != 1 {
				t.Errorf("agent %s: URIs %v", a, uris)
			}
		}
	})
}

// The run's last mutation settles the run's writes even when it fails: an operation that returned at
// once (another was in flight) relies on whoever is last to wait and check.
func TestFailedLastMutationStillSettles(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.retune(t, concurrentConfig(-1))
		ctx := ctxWithTimeout(t, time.Minute)
		good, _ := h.newAgent(t, agentSpec{})
		bad, _ := h.newAgent(t, agentSpec{})
		// The failing change is slow to reach Graph, so the good one is answered while it is in flight.
		h.rec.mu.Lock()
		h.rec.delayPatch = func(body string) time.Duration {
			if strings.Contains(body, "not-a-guid") {
				return time.Second
			}
			return 0
		}
		h.rec.mu.Unlock()
		var mu sync.Mutex
		var order []string
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := h.client.EnsureIdentifierURI(ctx, model.ByAppID(bad), "not-a-guid")
			if err == nil {
				t.Error("a malformed identifier URI was accepted")
			}
			mu.Lock()
			order = append(order, "bad")
			mu.Unlock()
		}()
		time.Sleep(100 * time.Millisecond)
		var readsWhenGoodReturned int64
		go func() {
			defer wg.Done()
			if _, err := h.client.EnsureIdentifierURI(ctx, model.ByAppID(good), "api://"+good); err != nil {
				t.Error(err)
			}
			mu.Lock()
			order = append(order, "good")
			readsWhenGoodReturned = h.requests().reads()
			mu.Unlock()
		}()
		wg.Wait()
		if len(order) != 2 || order[0] != "good" {
			t.Fatalf("returned in order %v, want the good change first (while the bad one was in flight)", order)
		}
		if after := h.requests().reads(); after <= readsWhenGoodReturned {
			t.Error("the failed last mutation returned without checking that the run's writes survived the replication window")
		}
	})
}
