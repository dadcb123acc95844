package graph_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

// TestBatchWithARejectedChange lines up a valid and an invalid change for one round: Graph rejects
// the batch, the client applies the changes one by one, and only the invalid one fails.
func TestBatchWithARejectedChange(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, exposedAgent)
		objectID := h.read(t, ctx, ref).ObjectID
		h.rec.holdFirstPatchUntil(t, func() bool { return graph.QueuedOps(h.client, objectID) == 2 })

		var firstErr, goodErr, badErr error
		var goodAdded bool
		waitFirst := inBackground(func() { _, firstErr = h.client.CreateScope(ctx, ref, accessScope("")) })
		// The first PATCH is held until both of these are queued, so they share the next round.
		waitFor(t, func() bool { return len(h.rec.Patches()) > 0 })
		waitGood := inBackground(func() {
			goodAdded, goodErr = h.client.EnsureIdentifierURI(ctx, ref, "api://"+h.ts.TenantID()+"/good")
		})
		waitBad := inBackground(func() {
			_, badErr = h.client.EnsureIdentifierURI(ctx, ref, "https://unverified.example.org/bad")
		})
		waitFirst()
		waitGood()
		waitBad()

		if firstErr != nil || goodErr != nil || !goodAdded {
			t.Fatalf("first: %v; good: added=%v err=%v", firstErr, goodAdded, goodErr)
		}
		var ve *graph.ValidationError
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
		objectID := h.read(t, ctx, ref).ObjectID
		h.rec.holdFirstPatchUntil(t, func() bool { return graph.QueuedOps(h.client, objectID) == 2 })

		scope := accessScope(newGUID(t))
		var firstErr, createErr, addErr error
		waitFirst := inBackground(func() { _, firstErr = h.client.EnsureIdentifierURI(ctx, ref, "api://"+h.ts.TenantID()+"/x") })
		waitFor(t, func() bool { return len(h.rec.Patches()) > 0 })
		waitCreate := inBackground(func() { _, createErr = h.client.CreateScope(ctx, ref, scope) })
		waitFor(t, func() bool { return graph.QueuedOps(h.client, objectID) == 1 })
		waitAdd := inBackground(func() { _, addErr = h.client.AddPreAuthorization(ctx, ref, emulator.DefaultClientAppID, scope.ID) })
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
