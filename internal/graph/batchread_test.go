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
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// readAll reads the applications concurrently with client and returns each read's result.
func readAll(t *testing.T, client *graph.Client, refs []model.AppRef) ([]model.Application, []error) {
	t.Helper()
	ctx := ctxWithTimeout(t, 30*time.Second)
	apps := make([]model.Application, len(refs))
	errs := make([]error, len(refs))
	inParallel(len(refs), func(i int) { apps[i], errs[i] = client.GetApplication(ctx, refs[i]) })
	return apps, errs
}

// Reads of twenty different applications needed at the same moment share requests: the first is
// sent at once, the others wait for it and go as filtered lists of fifteen. Each reader gets its own
// application, whatever the case of the ID it named, also when two readers name the same one. The
// writes that follow (a base read and a confirmation per application, by object ID) share requests
// the same way: at most half of the GETs that one read each would take.
func TestReadsOfManyApplicationsShareRequests(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t, emulator.WithFaults(faults.Config{Latency: 50 * time.Millisecond}))
		appIDs := h.newAgents(t, 20)
		refs := make([]model.AppRef, 0, 22)
		for i, appID := range appIDs {
			if i%2 == 1 {
				appID = strings.ToUpper(appID)
			}
			refs = append(refs, model.ByAppID(appID))
		}
		refs = append(refs, model.ByAppID(strings.ToUpper(appIDs[0])), model.ByAppID(appIDs[1])) // read twice
		client := h.deployerClient(t, fastConfig)
		before := h.requests().reads()
		apps, errs := readAll(t, client, refs)
		for i := range refs {
			if errs[i] != nil {
				t.Fatalf("reading %s: %v", refs[i], errs[i])
			}
			if !strings.EqualFold(apps[i].AppID, refs[i].ID) {
				t.Fatalf("reading %s returned application %s", refs[i], apps[i].AppID)
			}
		}
		reads := h.requests().reads() - before

		before = h.requests().reads()
		ctx := ctxWithTimeout(t, time.Minute)
		inParallel(len(appIDs), func(i int) {
			if _, err := createScope(ctx, client, model.ByAppID(appIDs[i]), accessScope("")); err != nil {
				t.Error(err)
			}
		})
		writes := h.requests().reads() - before
		t.Logf("20 applications looked up with %d read requests; 20 written with %d", reads, writes)
		if reads > 4 {
			t.Errorf("batched lookups: %d requests, want at most 4 (one alone, then lists of 15)", reads)
		}
		if writes > int64(len(appIDs)) {
			t.Errorf("batched writes read with %d requests, want at most %d (half of a base and a confirmation each)", writes, len(appIDs))
		}
		for _, appID := range appIDs {
			if scopes := h.stored(t, appID).API.OAuth2PermissionScopes; len(scopes) != 1 {
				t.Errorf("agent %s: %d scopes, want 1", appID, len(scopes))
			}
		}
	})
}

// An application a batched list does not return is read alone, so that the caller gets Graph's own
// answer (here a 404, after the first-lookup window) while the others are served by the list.
func TestBatchedReadOfAMissingApplicationIsGraphs404(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		hold := newGate(isApplicationGet)
		client := h.deployerClient(t, func(cfg *graph.Config) {
			fastConfig(cfg)
			cfg.HTTPClient = &http.Client{Transport: &gatedTransport{next: h.ts.Client.Transport, gates: []*gate{hold}}}
		})
		refs := refsOf(h.newAgents(t, 6))
		ctx := ctxWithTimeout(t, 30*time.Second)
		errs := make([]error, len(refs)+1)
		var wg sync.WaitGroup
		read := func(i int, ref model.AppRef) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = client.GetApplication(ctx, ref)
			}()
		}
		read(0, refs[0])
		<-hold.held // the first read is in flight: the next ones queue behind it
		before := h.requests()
		for i, ref := range refs[1:] {
			read(i+1, ref)
		}
		read(len(refs), model.ByAppID(newGUID(t)))
		synctest.Wait()
		close(hold.release)
		wg.Wait()
		for i, err := range errs[:len(refs)] {
			if err != nil {
				t.Errorf("agent %d: %v", i, err)
			}
		}
		if err := errs[len(refs)]; !errors.Is(err, model.ErrNotFound) {
			t.Errorf("reading the missing application: err = %v, want graph.ErrNotFound", err)
		}
		after := h.requests().minus(before)
		if lists := after.listApps; lists != 1 {
			t.Errorf("%d lists after the first read, want 1 (the six queued reads)", lists)
		}
		if singles := after.getApp; singles < 2 {
			t.Errorf("%d single GETs after the first read, want the first read's and at least one for the missing application", singles)
		}
	})
}

// refusingLists answers every filtered list of applications with Graph's 403, as for an identity
// that may read its applications one by one only; everything else goes to next.
type refusingLists struct {
	next    http.RoundTripper
	refused atomic.Int32
}

func (r *refusingLists) RoundTrip(req *http.Request) (*http.Response, error) {
	if isApplicationList(req) {
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
// the single GET the identity may still be allowed: no failure, and no list after the refusal (two
// lists may be refused if a second sender started beside a slow first request).
func TestRefusedListFallsBackToSingleReads(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t, emulator.WithFaults(faults.Config{Latency: 50 * time.Millisecond}))
		refusing := &refusingLists{next: h.ts.Client.Transport}
		client := h.deployerClient(t, func(cfg *graph.Config) {
			fastConfig(cfg)
			cfg.HTTPClient = &http.Client{Transport: refusing}
		})
		refs := refsOf(h.newAgents(t, 10))
		var refusedFirst int32
		for round := range 2 {
			_, errs := readAll(t, client, refs)
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, agent %d: %v", round, i, err)
				}
			}
			if round == 0 {
				refusedFirst = refusing.refused.Load()
			}
			refs = refsOf(h.newAgents(t, 10))
		}
		if refusedFirst == 0 {
			t.Fatal("no list was refused in the first round; the test did not exercise the fallback")
		}
		if n := refusing.refused.Load(); n != refusedFirst {
			t.Errorf("Graph refused %d lists in the second round, want none (lists stop after a refusal)", n-refusedFirst)
		}
	})
}

// A reader that gives up while its read waits in the queue or is in flight returns at once; the
// readers queued beside it are answered; no goroutine is left behind once every reader has returned.
func TestCancelledBatchedReadLeavesNoGoroutine(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		hold := newGate(isApplicationGet)
		defer close(hold.release)
		client := h.deployerClient(t, func(cfg *graph.Config) {
			fastConfig(cfg)
			cfg.HTTPClient = &http.Client{Transport: &gatedTransport{next: h.ts.Client.Transport, gates: []*gate{hold}}}
		})
		refs := refsOf(h.newAgents(t, 8))
		ignore := goleak.IgnoreCurrent()
		ctx, cancel := context.WithCancel(context.Background())
		kept := ctxWithTimeout(t, 30*time.Second)
		var wg sync.WaitGroup
		errs := make([]error, len(refs))
		read := func(i int) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := kept
				if i%2 == 0 {
					c = ctx
				}
				_, errs[i] = client.GetApplication(c, refs[i])
			}()
		}
		read(0)
		<-hold.held // reader 0 (cancelled below) is in flight
		for i := 1; i < len(refs); i++ {
			read(i)
		}
		synctest.Wait()
		cancel()
		wg.Wait()
		for i, err := range errs {
			if i%2 == 0 && !errors.Is(err, context.Canceled) {
				t.Errorf("reader %d: err = %v, want context.Canceled", i, err)
			}
			if i%2 == 1 && err != nil {
				t.Errorf("reader %d (not cancelled): %v", i, err)
			}
		}
		verifyNoGoroutineLeft(t, h, ignore)
	})
}

// Batched lists come from replicas that are behind like any read: a client that wrote ten agents
// and reads them back at once gets every write it confirmed, never a list's older state.
func TestBatchedReadsKeepReadYourWritesUnderLag(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t, emulator.WithFaults(faults.Config{Latency: 20 * time.Millisecond, ReplicaLag: time.Second, StaleReadProbability: 0.5, Seed: 31}),
			emulator.WithRandSeed(31))
		ctx := ctxWithTimeout(t, 2*time.Minute)
		refs := refsOf(h.newAgents(t, 10))
		time.Sleep(1100 * time.Millisecond) // the agents predate the lag: stale replicas have them
		uris := make([]string, len(refs))
		inParallel(len(refs), func(i int) {
			uris[i] = "api://" + refs[i].ID
			if _, err := h.client.EnsureIdentifierURI(ctx, refs[i], uris[i]); err != nil {
				t.Error(err)
			}
		})
		for round := range 3 {
			apps, errs := readAll(t, h.client, refs)
			for i := range refs {
				if errs[i] != nil {
					t.Fatalf("round %d: %v", round, errs[i])
				}
				if len(apps[i].IdentifierURIs) != 1 || apps[i].IdentifierURIs[0] != uris[i] {
					t.Fatalf("round %d: agent %d read back with URIs %v, want [%s]", round, i, apps[i].IdentifierURIs, uris[i])
				}
			}
		}
		if lists := h.requests().listApps; lists == 0 {
			t.Error("no read was batched")
		}
	})
}

// A read whose connection hangs holds the reads queued behind it for readStallAfter (a second), not
// for its whole per-request timeout: later reads of other applications are sent beside it.
func TestHungReadDoesNotHoldTheQueue(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		hung := &hangingTransport{next: h.ts.Client.Transport, method: http.MethodGet}
		hung.hang.Store(1)
		client := h.deployerClient(t, func(cfg *graph.Config) {
			fastConfig(cfg)
			cfg.HTTPClient = &http.Client{Transport: hung}
		})
		refs := refsOf(h.newAgents(t, 3))
		ctx := ctxWithTimeout(t, time.Minute)
		first := make(chan error, 1)
		go func() {
			_, err := client.GetApplication(ctx, refs[0])
			first <- err
		}()
		// The first read hangs; the others queue behind it before it counts as stalled (readStallAfter,
		// 1 s), and are sent beside it once it does.
		time.Sleep(500 * time.Millisecond)
		start := time.Now()
		_, errs := readAll(t, client, refs[1:])
		for i, err := range errs {
			if err != nil {
				t.Fatalf("agent %d: %v", i+1, err)
			}
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("reads behind a hung one took %s; they waited for its timeout", took)
		} else if took < 500*time.Millisecond {
			t.Errorf("reads behind a hung one took %s; they were sent before it counted as stalled", took)
		}
		if err := <-first; err != nil {
			t.Errorf("the hung read, after its timeout and retry: %v", err)
		}
	})
}

// gate holds the first request its match accepts until release is closed or the request's context
// ends.
type gate struct {
	match   func(*http.Request) bool
	held    chan struct{}
	release chan struct{}
	used    bool
}

func newGate(match func(*http.Request) bool) *gate {
	return &gate{match: match, held: make(chan struct{}), release: make(chan struct{})}
}

// gatedTransport passes each request through the first unused gate that accepts it.
type gatedTransport struct {
	next  http.RoundTripper
	mu    sync.Mutex
	gates []*gate
}

func (g *gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	g.mu.Lock()
	var hold *gate
	for _, gt := range g.gates {
		if !gt.used && gt.match(req) {
			gt.used, hold = true, gt
			break
		}
	}
	g.mu.Unlock()
	if hold != nil {
		close(hold.held)
		select {
		case <-hold.release:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	return g.next.RoundTrip(req)
}

// isApplicationGet accepts every GET of applications: single ones and lists.
func isApplicationGet(req *http.Request) bool {
	return req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/v1.0/applications")
}

// isApplicationList accepts the filtered lists of applications.
func isApplicationList(req *http.Request) bool {
	return isApplicationGet(req) && strings.HasSuffix(req.URL.Path, "/v1.0/applications") && req.URL.Query().Has("$filter")
}

// One reader of a shared list giving up does not cancel the list for the others, whichever of them
// queued first.
func TestCancelledReaderDoesNotCancelTheSharedList(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		first := newGate(func(r *http.Request) bool { return isApplicationGet(r) && !isApplicationList(r) })
		list := newGate(isApplicationList)
		client := h.deployerClient(t, func(cfg *graph.Config) {
			fastConfig(cfg)
			cfg.HTTPClient = &http.Client{Transport: &gatedTransport{next: h.ts.Client.Transport, gates: []*gate{first, list}}}
		})
		refs := refsOf(h.newAgents(t, 3))
		kept := ctxWithTimeout(t, 30*time.Second)
		giving, giveUp := context.WithCancel(kept)
		errs := make([]error, 3)
		var wg sync.WaitGroup
		read := func(i int, ctx context.Context) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = client.GetApplication(ctx, refs[i])
			}()
		}
		read(0, kept)
		<-first.held // reader 0's single GET is in flight
		read(1, giving)
		synctest.Wait()
		read(2, kept) // queued after reader 1: reader 1's context comes first in the shared request
		synctest.Wait()
		close(first.release)
		<-list.held // readers 1 and 2 share one list, in flight
		giveUp()
		time.Sleep(50 * time.Millisecond)
		close(list.release)
		wg.Wait()
		if errs[0] != nil || errs[2] != nil {
			t.Errorf("readers that kept waiting: %v, %v", errs[0], errs[2])
		}
		if !errors.Is(errs[1], context.Canceled) {
			t.Errorf("reader that gave up: err = %v, want context.Canceled", errs[1])
		}
	})
}
