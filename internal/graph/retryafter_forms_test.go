package graph_test

import (
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/retryafter"
)

// The Graph client waits out a 429's Retry-After in each form the emulator's throttling can send:
// whole seconds, decimal seconds (the old parser read "3.500" as no delay at all) and an HTTP-date.
func TestRetryAfterFormsAreHonoured(t *testing.T) {
	t.Parallel()
	for form, want := range map[string]time.Duration{
		retryafter.FormSeconds: 3 * time.Second,
		retryafter.FormDecimal: 3500 * time.Millisecond,
		retryafter.FormDate:    3 * time.Second,
	} {
		t.Run(form, func(t *testing.T) {
			parallelInBubble(t, func(t *testing.T) {
				h, ctx, ref := newAgentHarness(t, exposedAgent)
				h.read(t, ctx, ref)
				if err := h.ts.Admin().SetFaults(faults.Config{ThrottleNext: 1, RetryAfterSeconds: 3, RetryAfterForm: form}); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				if _, err := createScope(ctx, h.client, ref, accessScope("")); err != nil {
					t.Fatal(err)
				}
				elapsed := time.Since(start)
				if h.client.Stats().Retries[core.ReasonThrottled] != 1 {
					t.Fatalf("retries = %v, want one throttled", h.client.Stats().Retries)
				}
				// An HTTP-date has whole seconds: the wait is the date minus now, within a second.
				if elapsed < want-time.Second/2 || elapsed > want+time.Second {
					t.Fatalf("waited %s after a Retry-After in %s form, want %s", elapsed, form, want)
				}
			})
		})
	}
}
