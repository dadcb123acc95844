package graph_test

import (
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

// The cost of the request function, client and in-memory emulator together (DESIGN.md, "No Graph SDK
// in the provider"): one GET (a filtered list, never served from an earlier read), and a scope's
// create and delete (PATCHes and their confirmations).
func BenchmarkWireGET(b *testing.B) {
	h, ctx, ref := newAgentHarness(b, exposedAgent)
	c := h.deployerClient(b, func(cfg *graph.Config) { fastConfig(cfg); cfg.Logger = nil })
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if name, err := c.ApplicationDisplayName(ctx, ref.ID); err != nil || name == "" { // one filtered GET /applications
			b.Fatal(err)
		}
	}
}

func BenchmarkWireWrite(b *testing.B) {
	h, ctx, ref := newAgentHarness(b, exposedAgent)
	c := h.deployerClient(b, func(cfg *graph.Config) { fastConfig(cfg); cfg.Logger = nil })
	b.ReportAllocs()
	b.ResetTimer()
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
