package lkps_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// A hung connection costs one per-request timeout: an idempotent call is sent again and succeeds,
// a session start (which may have been processed) is not repeated.
func TestRequestTimeout_hungConnection(t *testing.T) {
	defer lkps.SetRequestTimeout(200 * time.Millisecond)()
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	h := newHarness(t, sequence(hang, respond(http.StatusOK, registerOK)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := h.client.Register(ctx, nil); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if got := len(h.Requests()); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
}
