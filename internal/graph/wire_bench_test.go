package graph_test

import (
	"context"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The cost of the request function, client and in-memory emulator together (DESIGN.md, "No Graph SDK
// in the provider"): one GET (a filtered list, never served from an earlier read), and a scope's
// create and delete (PATCHes and their confirmations).
func BenchmarkWireGET(b *testing.B) {
	c, ctx, ref := benchClient(b)
	for range b.N {
		if name, err := c.ApplicationDisplayName(ctx, ref.ID); err != nil || name == "" { // one filtered GET /applications
			b.Fatal(err)
		}
	}
}

func BenchmarkWireWrite(b *testing.B) {
	c, ctx, ref := benchClient(b)
	for range b.N {
		s, err := createScope(ctx, c, ref, accessScope(""))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := deleteScope(ctx, c, ref, s.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// benchClient is a client without a logger over an in-memory emulator with an agent; the timer starts
// after it is built.
func benchClient(b *testing.B) (*graph.Client, context.Context, model.AppRef) {
	h, ctx, ref := newAgentHarness(b, exposedAgent)
	c := h.deployerClient(b, func(cfg *graph.Config) { fastConfig(cfg); cfg.Logger = nil })
	b.ReportAllocs()
	b.ResetTimer()
	return c, ctx, ref
}
