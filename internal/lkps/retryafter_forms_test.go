package lkps_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/retryafter"
)

// The LKPS client waits out Retry-After in each form the emulator's throttling writes (the same
// faults.Decision.RetryAfterHeader): whole seconds, decimal seconds and an HTTP-date.
func TestRetry_retryAfterForms(t *testing.T) {
	for form, want := range map[string]time.Duration{
		retryafter.FormSeconds: 3 * time.Second,
		retryafter.FormDecimal: 3500 * time.Millisecond,
		retryafter.FormDate:    3 * time.Second,
	} {
		t.Run(form, func(t *testing.T) {
			var h *harness
			h = newHarness(t, sequence(
				func(w http.ResponseWriter, _ *http.Request) {
					d := faults.Decision{Kind: faults.Throttle, RetryAfter: 3, RetryAfterForm: form}
					w.Header().Set("Retry-After", d.RetryAfterHeader(h.clock.Now()))
					writeJSON(w, http.StatusTooManyRequests, `{"detail":"slow down"}`)
				},
				respond(http.StatusOK, registerOK),
			))
			if _, err := h.client.Register(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			waits := h.clock.Waits()
			if len(waits) != 1 || waits[0] < want-time.Second/2 || waits[0] > want+time.Second {
				t.Errorf("waits %v after a Retry-After in %s form, want one of about %s", waits, form, want)
			}
		})
	}
}
