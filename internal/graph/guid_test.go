package graph_test

import (
	"testing"

	"github.com/google/uuid"
)

// Scopes exposed without an ID get random (version 4) GUIDs of their own.
func TestExposeScopeGUID(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h, ctx, ref := newAgentHarness(t, exposedAgent)
		a := h.createScope(t, ctx, ref)
		second := accessScope("")
		second.Value = "second"
		b, err := createScope(ctx, h.client, ref, second)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{a.ID, b.ID} {
			if u, err := uuid.Parse(id); err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 || a.ID == b.ID {
				t.Fatalf("scope IDs = %q, %q", a.ID, b.ID)
			}
		}
	})
}
