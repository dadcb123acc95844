package graph_test

import (
	"errors"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

func TestClientVisible(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := ctxWithTimeout(t, time.Minute)
	if ok, err := h.client.ClientVisible(ctx, emulator.DefaultClientAppID); err != nil || !ok {
		t.Fatalf("the example client: %v, %v", ok, err)
	}
	start := time.Now()
	if ok, err := h.client.ClientVisible(ctx, newGUID(t)); err != nil || ok {
		t.Fatalf("an unknown client: %v, %v", ok, err)
	}
	if time.Since(start) > 3*time.Second {
		t.Error("a 404 was retried: the lookup of an unknown client took long")
	}
	// Without any Graph role, the lookup fails with 403 instead of claiming the client is not there.
	stranger, _, _ := newClient(t, h.ts, emulator.DefaultClientAppID, emulator.DefaultClientSecret, fastConfig)
	if _, err := stranger.ClientVisible(ctx, emulator.DefaultAgentAppID); err == nil {
		t.Fatal("no error without a Graph role")
	} else if fb := (*graph.ForbiddenError)(nil); !errors.As(err, &fb) {
		t.Fatalf("err = %v, want a ForbiddenError", err)
	}
}
