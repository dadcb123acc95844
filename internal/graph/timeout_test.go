package graph_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// hangingTransport never answers the first hang requests of a method: the connection hangs until
// the request's context ends, as a stuck TCP connection does.
type hangingTransport struct {
	next   http.RoundTripper
	method string
	hang   atomic.Int32
}

func (h *hangingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == h.method && h.hang.Add(-1) >= 0 {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	return h.next.RoundTrip(req)
}

// A hung connection costs one per-request timeout, not the operation's whole budget: the request is
// abandoned and sent again, for reads and for writes.
func TestHungConnectionIsRetriedAfterRequestTimeout(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPatch} {
		t.Run(method, func(t *testing.T) { parallelInBubble(t, func(t *testing.T) { hungConnection(t, method) }) })
	}
}

func hungConnection(t *testing.T, method string) {
	h := newHarness(t)
	appID, _ := h.newAgent(t, exposedAgent)
	hung := &hangingTransport{next: h.ts.Client.Transport, method: method}
	hung.hang.Store(2)
	c := h.deployerClient(t, func(cfg *graph.Config) {
		fastConfig(cfg)
		cfg.HTTPClient = &http.Client{Transport: hung}
	})
	ctx := ctxWithTimeout(t, core.DefaultTimeout)
	start := time.Now()
	if _, err := createScope(ctx, c, model.ByAppID(appID), accessScope("")); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Retries[core.ReasonRequestTimeout]; n != 2 {
		t.Fatalf("request_timeout retries = %d, want 2 (%v)", n, c.Stats().Retries)
	}
	if d := time.Since(start); d > 3*core.RequestTimeout {
		t.Fatalf("took %s, more than the two hung requests' timeouts", d)
	}
	if len(h.stored(t, appID).API.OAuth2PermissionScopes) != 1 {
		t.Fatal("the scope was not created")
	}
}
