package graph_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

// readAll reads the applications concurrently with client and returns each read's result.
func readAll(t *testing.T, client *graph.Client, refs []graph.AppRef) ([]graph.Application, []error) {
	t.Helper()
	ctx := ctxWithTimeout(t, 30*time.Second)
	apps := make([]graph.Application, len(refs))
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			apps[i], errs[i] = client.GetApplication(ctx, ref)
		}()
	}
	wg.Wait()
	return apps, errs
}

// readRequests returns how many GETs of applications (single and filtered lists) the emulator has
// answered.
func readRequests(h *harness) int64 {
	c := h.ts.Admin().Counters()
	return c[graphapi.RouteGetApplication] + c[graphapi.RouteListApplications]
}

// Reads of twenty different applications needed at the same moment share requests: the first is
// sent at once, the others wait for it and go as filtered lists of fifteen. Each reader gets its
// own application. With batching off, each read is its own GET.
func TestReadsOfManyApplicationsShareRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.WithFaults(faults.Config{Latency: 50 * time.Millisecond}))
	var refs []graph.AppRef
	var appIDs []string
	for range 20 {
		appID, _ := h.newAgent(t, agentSpec{})
		appIDs = append(appIDs, appID)
		refs = append(refs, graph.ByAppID(appID))
	}
	for _, tc := range []struct {
		name       string
		batchReads int
		max        int64
		min        int64
	}{
		{"batched", 0, 4, 2},
		{"one GET each", -1, 20, 20},
	} {
		client, _, _ := newClient(t, h.ts, h.ts.DeployerClientID, h.ts.DeployerSecret, func(cfg *graph.Config) {
			fastConfig(cfg)
			cfg.BatchReads = tc.batchReads
		})
		before := readRequests(h)
		apps, errs := readAll(t, client, refs)
		for i := range refs {
			if errs[i] != nil {
				t.Fatalf("%s: reading agent %d: %v", tc.name, i, errs[i])
			}
			if !strings.EqualFold(apps[i].AppID, appIDs[i]) {
				t.Fatalf("%s: reading agent %s returned application %s", tc.name, appIDs[i], apps[i].AppID)
			}
		}
		n := readRequests(h) - before
		t.Logf("%s: 20 applications read with %d requests", tc.name, n)
		if n > tc.max || n < tc.min {
			t.Errorf("%s: %d read requests, want %d to %d", tc.name, n, tc.min, tc.max)
		}
	}
}

// An application a batched list does not return is read alone, so that the caller gets Graph's own
// answer (here a 404, after the first-lookup window) while the others are served by the list.
func TestBatchedReadOfAMissingApplicationIsGraphs404(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.WithFaults(faults.Config{Latency: 50 * time.Millisecond}))
	var refs []graph.AppRef
	for range 6 {
		appID, _ := h.newAgent(t, agentSpec{})
		refs = append(refs, graph.ByAppID(appID))
	}
	missing := newGUID(t)
	refs = append(refs, graph.ByAppID(missing))
	_, errs := readAll(t, h.client, refs)
	for i, err := range errs[:len(errs)-1] {
		if err != nil {
			t.Errorf("agent %d: %v", i, err)
		}
	}
	if err := errs[len(errs)-1]; !errors.Is(err, graph.ErrNotFound) {
		t.Errorf("reading the missing application: err = %v, want graph.ErrNotFound", err)
	}
	if lists := h.ts.Admin().Counters()[graphapi.RouteListApplications]; lists == 0 {
		t.Error("no read was batched; the test did not exercise a list without the missing application")
	}
}

// refusingLists answers every filtered list of applications with Graph's 403, as for an identity
// that may read its applications one by one only; everything else goes to next.
type refusingLists struct {
	next    http.RoundTripper
	refused atomic.Int32
}

func (r *refusingLists) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/v1.0/applications") && req.URL.Query().Has("$filter") {
		r.refused.Add(1)
		body := `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.",` +
			`"innerError":{"request-id":"00000000-0000-0000-0000-000000000001","client-request-id":"00000000-0000-0000-0000-000000000002"}}}`
		return &http.Response{
			StatusCode: http.StatusForbidden, Status: "403 Forbidden", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:  http.Header{"Content-Type": {"application/json"}},
			Body:    io.NopCloser(strings.NewReader(body)),
			Request: req,
		}, nil
	}
	return r.next.RoundTrip(req)
}

// When Graph refuses the filtered list, every read of the batch (and every later read) is sent as
// the single GET the identity may still be allowed: one refusal, no failure.
func TestRefusedListFallsBackToSingleReads(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.WithFaults(faults.Config{Latency: 50 * time.Millisecond}))
	refusing := &refusingLists{next: h.ts.Client.Transport}
	client, _, _ := newClient(t, h.ts, h.ts.DeployerClientID, h.ts.DeployerSecret, func(cfg *graph.Config) {
		fastConfig(cfg)
		cfg.HTTPClient = &http.Client{Transport: refusing}
	})
	var refs []graph.AppRef
	for range 10 {
		appID, _ := h.newAgent(t, agentSpec{})
		refs = append(refs, graph.ByAppID(appID))
	}
	for round := range 2 {
		_, errs := readAll(t, client, refs)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, agent %d: %v", round, i, err)
			}
		}
		refs = refs[:0]
		for range 10 {
			appID, _ := h.newAgent(t, agentSpec{})
			refs = append(refs, graph.ByAppID(appID))
		}
	}
	if n := refusing.refused.Load(); n != 1 {
		t.Errorf("Graph refused %d lists, want 1 (then no more lists are sent)", n)
	}
}

// A reader that gives up while its read waits in the queue or is in flight returns at once; the
// others are answered; no goroutine is left behind once every reader has returned.
func TestCancelledBatchedReadLeavesNoGoroutine(t *testing.T) {
	h := newHarness(t, emulator.WithFaults(faults.Config{Latency: 200 * time.Millisecond}))
	var refs []graph.AppRef
	for range 8 {
		appID, _ := h.newAgent(t, agentSpec{})
		refs = append(refs, graph.ByAppID(appID))
	}
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make([]error, len(refs))
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = h.client.GetApplication(ctx, ref)
		}()
	}
	time.Sleep(50 * time.Millisecond) // the first read is in flight, the others queued
	cancel()
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("reader %d: err = %v, want context.Canceled", i, err)
		}
	}
	h.ts.Client.CloseIdleConnections()
	goleak.VerifyNone(t, ignore,
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*http2ClientConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*conn).serve"),
		goleak.IgnoreAnyFunction("net/http.(*http2serverConn).readFrames"),
		goleak.IgnoreAnyFunction("net/http.(*http2serverConn).serve"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		goleak.IgnoreAnyFunction("time.Sleep")) // the emulator's latency of the abandoned request
}
