package graph_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// twoLaggingAgents returns a harness whose every read within lag after a write comes from a replica
// that is behind, and two agents with a scope each, replicated everywhere.
func twoLaggingAgents(t *testing.T, lag time.Duration, tune func(*graph.Config)) (*harness, [2]model.AppRef, [2]string, [2]model.PermissionScope) {
	t.Helper()
	h := newHarness(t, withLag(lag, 1, 3)...)
	h.retune(t, func(c *graph.Config) {
		lagConfig(lag)(c)
		if tune != nil {
			tune(c)
		}
	})
	var refs [2]model.AppRef
	var objectIDs [2]string
	var scopes [2]model.PermissionScope
	for i := range refs {
		appID, objectID := h.newAgent(t, exposedAgent)
		refs[i], objectIDs[i] = model.ByAppID(appID), objectID
	}
	time.Sleep(2 * lag) // the applications are on every replica
	for i := range refs {
		scopes[i] = h.createScope(t, ctxWithTimeout(t, time.Minute), refs[i])
	}
	time.Sleep(3 * lag) // every replica has both scopes, and the creates have settled
	return h, refs, objectIDs, scopes
}

// A caller whose change Graph committed is answered at once while other operations are in flight (its
// Terraform slot is free during the confirmation reads); the process's last operation returns only
// once every change is confirmed visible.
func TestCallersAreAnsweredAtCommit(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		const lag = 2 * time.Second
		h, refs, objectIDs, scopes := twoLaggingAgents(t, lag, nil)
		ctx := ctxWithTimeout(t, time.Minute)
		n0 := len(h.rec.Patches())
		var aReturned atomic.Bool
		h.rec.holdFirstPatchUntil(t, aReturned.Load) // B's PATCH: B stays in flight until A has returned
		patchTimes := h.rec.recordPatchTimes()
		clientA, clientB := newGUID(t), newGUID(t)
		var bReturned time.Time
		wait := inBackground(func() {
			if _, err := h.client.AddPreAuthorization(ctx, refs[1], clientB, scopes[1].ID); err != nil {
				t.Error(err)
			}
			bReturned = time.Now()
		})
		waitFor(t, func() bool { return len(h.rec.Patches()) == n0+1 }) // B's PATCH is held
		if _, err := h.client.AddPreAuthorization(ctx, refs[0], clientA, scopes[0].ID); err != nil {
			t.Fatal(err)
		}
		aReturnedAt := time.Now()
		aReturned.Store(true)
		wait()
		patched := patchTimes()
		if len(patched) != 2 {
			t.Fatalf("%d PATCHes answered, want 2", len(patched))
		}
		// Every read within the lag misses a write: A could not have been confirmed yet.
		if d := aReturnedAt.Sub(patched[0]); d >= lag {
			t.Errorf("A returned %s after its PATCH: it waited for its confirmation while B was in flight", d)
		}
		// B is the last operation: it returns once both changes are visible, at least a lag after the
		// last PATCH.
		if d := bReturned.Sub(patched[1]); d < lag {
			t.Errorf("the last operation returned %s after the last PATCH, before its confirmation could end", d)
		}
		if reads := h.client.Stats().ConfirmReads; reads < 4 {
			t.Errorf("%d confirmation reads, want both writes confirmed after the lag", reads)
		}
		for i, c := range []string{clientA, clientB} {
			if !hasEntry(h.stored(t, objectIDs[i]).API.PreAuthorizedApplications, c, scopes[i].ID) {
				t.Errorf("agent %d lacks its entry", i)
			}
		}
		if n := h.client.TakeNotices(); len(n) != 0 {
			t.Errorf("notices %+v, want none", n)
		}
	})
}

// When the confirmation of a change whose caller already returned fails (another writer keeps
// overwriting it), the user is told in a notice that names the change; the last operation still
// succeeds, and nothing restores the change behind the user's back.
func TestLateConfirmationFailureIsANotice(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		const lag = 2 * time.Second
		h, refs, objectIDs, scopes := twoLaggingAgents(t, lag, nil)
		ctx := ctxWithTimeout(t, time.Minute)
		fw := foreignWriter{t: t, h: h, objectID: objectIDs[0]}
		before := fw.current()
		n0 := len(h.rec.Patches())
		var aReturned atomic.Bool
		h.rec.holdFirstPatchUntil(t, aReturned.Load)
		h.rec.setAfterPatch(func() {
			// Another writer overwrites agent A's entries after each of our writes.
			fw.set(append(before, directory.PreAuthorizedApp{AppID: newGUID(t), DelegatedPermissionIDs: []string{scopes[0].ID}}))
		})
		clientA := newGUID(t)
		wait := inBackground(func() {
			if _, err := h.client.AddPreAuthorization(ctx, refs[1], newGUID(t), scopes[1].ID); err != nil {
				t.Errorf("the last operation failed for another application's lost change: %v", err)
			}
		})
		waitFor(t, func() bool { return len(h.rec.Patches()) == n0+1 })
		if _, err := h.client.AddPreAuthorization(ctx, refs[0], clientA, scopes[0].ID); err != nil {
			t.Fatal(err)
		}
		aReturned.Store(true)
		wait()
		var found bool
		for _, n := range h.client.TakeNotices() {
			if n.Kind == core.NoticeNotConfirmed {
				found = true
				if !strings.EqualFold(n.ObjectID, objectIDs[0]) || !strings.Contains(n.Detail, clientA) ||
					!strings.Contains(n.Detail, "another writer kept overwriting") {
					t.Errorf("notice %+v does not name agent A, the client and the reason", n)
				}
			}
		}
		if !found {
			t.Fatal("no notice that A's change is not shown by Graph")
		}
		writesOfA := 0
		for _, p := range h.rec.Patches()[n0:] {
			if strings.Contains(p, scopes[0].ID) {
				writesOfA++
			}
		}
		if n := writesOfA; n != 1+core.MaxReapply {
			t.Errorf("A was written %d times, want %d (the write and core.MaxReapply re-applications)", n, 1+core.MaxReapply)
		}
	})
}

// A read of an application whose committed change is being confirmed waits for the confirmation and
// takes its read: no GET of its own, and it shows the change (a read of its own could come from a
// replica without it). B stays in flight so that A is answered at commit.
func TestReadsDuringAConfirmationTakeItsRead(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, refs, _, scopes := twoLaggingAgents(t, 2*time.Second, nil)
		ctx := ctxWithTimeout(t, time.Minute)
		n0 := len(h.rec.Patches())
		var done atomic.Bool
		h.rec.holdFirstPatchUntil(t, done.Load)
		waitB := inBackground(func() {
			if _, err := h.client.AddPreAuthorization(ctx, refs[1], newGUID(t), scopes[1].ID); err != nil {
				t.Error(err)
			}
		})
		waitFor(t, func() bool { return len(h.rec.Patches()) == n0+1 })
		clientA := newGUID(t)
		reads0 := h.requests().reads()
		confirms0 := h.client.Stats().ConfirmReads
		if _, err := h.client.AddPreAuthorization(ctx, refs[0], clientA, scopes[0].ID); err != nil {
			t.Fatal(err)
		}
		app, err := h.client.GetApplicationForWrite(ctx, refs[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := app.PreAuthorization(clientA); !ok {
			t.Error("the read does not show the change this process committed")
		}
		// A's base read, then the confirmation's reads; the read above waited and sent nothing.
		if extra := h.requests().reads() - reads0 - 1 - (h.client.Stats().ConfirmReads - confirms0); extra != 0 {
			t.Errorf("%d reads besides A's base and its confirmation's, want none", extra)
		}
		done.Store(true)
		waitB()
	})
}

// TestBatchWithARejectedChange lines up a valid and an invalid change for one round: Graph rejects
// the batch, the client applies the changes one by one, and only the invalid one fails.
func TestBatchWithARejectedChange(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, exposedAgent)
		held, release := h.rec.holdFirstPatch()

		var firstErr, goodErr, badErr error
		var goodAdded bool
		waitFirst := inBackground(func() { _, firstErr = createScope(ctx, h.client, ref, accessScope("")) })
		// The first PATCH is held until both of these are queued, so they share the next round.
		<-held
		waitGood := inBackground(func() {
			goodAdded, goodErr = h.client.EnsureIdentifierURI(ctx, ref, "api://"+h.ts.TenantID()+"/good")
		})
		waitBad := inBackground(func() {
			_, badErr = h.client.EnsureIdentifierURI(ctx, ref, "https://unverified.example.org/bad")
		})
		synctest.Wait()
		release()
		waitFirst()
		waitGood()
		waitBad()

		if firstErr != nil || goodErr != nil || !goodAdded {
			t.Fatalf("first: %v; good: added=%v err=%v", firstErr, goodAdded, goodErr)
		}
		var ve *model.ValidationError
		if !errors.As(badErr, &ve) || ve.Code != "HostNameNotOnVerifiedDomain" {
			t.Fatalf("bad: %v", badErr)
		}
		uris := h.stored(t, ref.ID).IdentifierURIs
		if len(uris) != 2 || !strings.HasSuffix(uris[1], "/good") {
			t.Fatalf("uris = %q", uris)
		}
		// The rejected PATCH carried both URIs; the ones after it carried one each.
		patches := h.rec.Patches()
		if len(patches) != 4 || !strings.Contains(patches[1], "/good") || !strings.Contains(patches[1], "/bad") {
			t.Fatalf("patches = %q", patches)
		}
	})
}

// TestScopeAndItsPreAuthorizationInOneRound lines up the creation of a scope and a pre-authorization
// of it: Graph refuses both in one PATCH, so the pre-authorization waits for the next round.
func TestScopeAndItsPreAuthorizationInOneRound(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, exposedAgent)
		held, release := h.rec.holdFirstPatch()

		scope := accessScope(newGUID(t))
		var firstErr, createErr, addErr error
		waitFirst := inBackground(func() { _, firstErr = h.client.EnsureIdentifierURI(ctx, ref, "api://"+h.ts.TenantID()+"/x") })
		<-held
		waitCreate := inBackground(func() { _, createErr = createScope(ctx, h.client, ref, scope) })
		synctest.Wait() // the scope's creation is queued first
		waitAdd := inBackground(func() { _, addErr = h.client.AddPreAuthorization(ctx, ref, emulator.DefaultClientAppID, scope.ID) })
		synctest.Wait()
		release()
		waitFirst()
		waitCreate()
		waitAdd()
		if firstErr != nil || createErr != nil || addErr != nil {
			t.Fatalf("first: %v; create: %v; add: %v", firstErr, createErr, addErr)
		}
		patches := h.rec.Patches()
		if len(patches) != 3 || strings.Contains(patches[1], "preAuthorizedApplications") || !strings.Contains(patches[2], "preAuthorizedApplications") {
			t.Fatalf("want the scope, then its pre-authorization; got %q", patches)
		}
		if st := h.stored(t, ref.ID); len(st.API.PreAuthorizedApplications) != 1 {
			t.Fatalf("stored = %s", jsonOf(st.API))
		}
	})
}

// TestChangesThatCancelOutInOneRound lines up the addition and the removal of one identifier URI for
// one round: together they change nothing, so the client applies them one at a time, in their order.
func TestChangesThatCancelOutInOneRound(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, exposedAgent)
		held, release := h.rec.holdFirstPatch()
		uri := "api://" + h.ts.TenantID() + "/both"

		var firstErr, addErr, removeErr error
		var added, removed bool
		waitFirst := inBackground(func() { _, firstErr = createScope(ctx, h.client, ref, accessScope("")) })
		<-held
		waitAdd := inBackground(func() { added, addErr = h.client.EnsureIdentifierURI(ctx, ref, uri) })
		synctest.Wait() // the addition is queued first
		waitRemove := inBackground(func() { removed, removeErr = h.client.RemoveIdentifierURI(ctx, ref, uri) })
		synctest.Wait()
		release()
		waitFirst()
		waitAdd()
		waitRemove()

		if firstErr != nil || addErr != nil || removeErr != nil || !added || !removed {
			t.Fatalf("first: %v; add: %v %v; remove: %v %v", firstErr, added, addErr, removed, removeErr)
		}
		if uris := h.stored(t, ref.ID).IdentifierURIs; slices.Contains(uris, uri) {
			t.Fatalf("uris = %q", uris)
		}
		// The held PATCH, then one for the addition and one for the removal.
		if patches := h.rec.Patches(); len(patches) != 3 || !strings.Contains(patches[1], "/both") || strings.Contains(patches[2], "/both") {
			t.Fatalf("patches = %q", patches)
		}
	})
}

// TestCallsSentTogetherShareARound sends three changes 5 ms apart to an idle worker, and a fourth 30 ms
// after the third: the first three go in one round (core.GatherGap), the fourth in the next.
func TestCallsSentTogetherShareARound(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, exposedAgent)
		h.read(t, ctx, ref) // the lookup is done: each call goes straight to the worker
		n0 := len(h.rec.Patches())
		var waits []func()
		for i, after := range []time.Duration{0, 5 * time.Millisecond, 5 * time.Millisecond, 30 * time.Millisecond} {
			time.Sleep(after)
			uri := fmt.Sprintf("api://%s/together-%d", h.ts.TenantID(), i)
			waits = append(waits, inBackground(func() {
				if _, err := h.client.EnsureIdentifierURI(ctx, ref, uri); err != nil {
					t.Error(err)
				}
			}))
		}
		for _, wait := range waits {
			wait()
		}
		patches := h.rec.Patches()[n0:]
		if len(patches) != 2 || !strings.Contains(patches[0], "together-2") || strings.Contains(patches[0], "together-3") {
			t.Fatalf("patches = %q", patches)
		}
	})
}
