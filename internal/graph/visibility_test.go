package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// lookUpConcurrently calls ClientVisible for every ID at once and returns the answers in order.
func lookUpConcurrently(ctx context.Context, c *graph.Client, ids []string) ([]bool, []error) {
	visible, errs := make([]bool, len(ids)), make([]error, len(ids))
	inParallel(len(ids), func(i int) { visible[i], errs[i] = c.ClientVisible(ctx, ids[i]) })
	return visible, errs
}

func TestClientVisible(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxWithTimeout(t, time.Minute)
		if ok, err := h.client.ClientVisible(ctx, emulator.DefaultClientAppID); err != nil || !ok {
			t.Fatalf("the example client: %v, %v", ok, err)
		}
		// An unknown client costs one GET of each kind: Graph's 404 is final, not retried.
		before := h.requests()
		if ok, err := h.client.ClientVisible(ctx, newGUID(t)); err != nil || ok {
			t.Fatalf("an unknown client: %v, %v", ok, err)
		}
		if got := h.requests().minus(before); got != (requests{getApp: 1, getSP: 1}) {
			t.Errorf("requests for an unknown client = %+v, want one GET of the application and one of the service principal", got)
		}
		// Without any Graph role, the lookup fails with 403 instead of claiming the client is not there.
		stranger, _, _ := newClient(t, h.ts, emulator.DefaultClientAppID, emulator.DefaultClientSecret, fastConfig)
		if _, err := stranger.ClientVisible(ctx, emulator.DefaultAgentAppID); err == nil {
			t.Fatal("no error without a Graph role")
		} else if fb := (*model.ForbiddenError)(nil); !errors.As(err, &fb) {
			t.Fatalf("err = %v, want a ForbiddenError", err)
		}
	})
}

// Concurrent lookups share one filtered list of applications; IDs compare case-insensitively, and an
// ID asked twice is sent once.
func TestClientVisible_concurrentLookupsShareOneRequest(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxWithTimeout(t, time.Minute)
		c := h.deployerClient(t, fastConfig)
		a, _ := h.newAgent(t, agentSpec{})
		b, _ := h.newAgent(t, agentSpec{})
		ids := []string{strings.ToUpper(a), b, emulator.DefaultClientAppID, a}
		before := h.requests()
		visible, errs := lookUpConcurrently(ctx, c, ids)
		for i := range ids {
			if errs[i] != nil || !visible[i] {
				t.Errorf("%s: visible %v, err %v; want visible", ids[i], visible[i], errs[i])
			}
		}
		if got := h.requests().minus(before); got != (requests{listApps: 1}) {
			t.Errorf("requests = %+v, want one filtered list of applications", got)
		}
	})
}

// More IDs than one "in" clause takes are split: a full batch is sent at once (without waiting for the
// window), the rest in the next. Unknown IDs are looked up as service principals in as many requests,
// and reported not visible.
func TestClientVisible_moreThan15IDsAreSplit(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxWithTimeout(t, 2*time.Minute)
		full := h.deployerClient(t, fastConfig)
		ids := make([]string, core.MaxListBatch)
		for i := range ids {
			ids[i] = newGUID(t)
		}
		start, before := time.Now(), h.requests()
		if _, errs := lookUpConcurrently(ctx, full, ids); errors.Join(errs...) != nil {
			t.Fatal(errors.Join(errs...))
		}
		if took := time.Since(start); took >= core.VisibilityWindow {
			t.Errorf("a full batch waited %s, the whole window", took)
		}
		if got := h.requests().minus(before); got != (requests{listApps: 1, listSPs: 1}) {
			t.Errorf("full batch: requests = %+v, want one filtered list of each", got)
		}

		c := h.deployerClient(t, fastConfig)
		ids = make([]string, core.MaxListBatch+5)
		for i := range ids {
			ids[i] = newGUID(t)
		}
		before = h.requests()
		visible, errs := lookUpConcurrently(ctx, c, ids)
		for i := range ids {
			if errs[i] != nil || visible[i] {
				t.Errorf("%s: visible %v, err %v; want not visible", ids[i], visible[i], errs[i])
			}
		}
		if got := h.requests().minus(before); got != (requests{listApps: 2, listSPs: 2}) {
			t.Errorf("requests = %+v, want two filtered lists of applications and two of service principals", got)
		}
	})
}

// hideApplications drops the listed appIds from Graph's answers to filtered application lists: an
// application registered in another tenant, of which this tenant only has the service principal (the
// emulator gives every application it holds both).
type hideApplications struct {
	next   http.RoundTripper
	hidden string // lower-case appId

	mu      sync.Mutex
	spQuery []string // the $filter of every service principal list
}

func (h *hideApplications) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	switch {
	case strings.HasSuffix(req.URL.Path, "/v1.0/servicePrincipals"):
		h.mu.Lock()
		h.spQuery = append(h.spQuery, req.URL.Query().Get("$filter"))
		h.mu.Unlock()
	case strings.HasSuffix(req.URL.Path, "/v1.0/applications"):
		raw, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return nil, err
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, err
		}
		var apps []map[string]any
		if err := json.Unmarshal(body["value"], &apps); err != nil {
			return nil, err
		}
		kept := []map[string]any{}
		for _, app := range apps {
			if appID, _ := app["appId"].(string); !strings.EqualFold(appID, h.hidden) {
				kept = append(kept, app)
			}
		}
		if body["value"], err = json.Marshal(kept); err != nil {
			return nil, err
		}
		if raw, err = json.Marshal(body); err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(raw))
		resp.ContentLength = int64(len(raw))
		resp.Header.Del("Content-Length")
	}
	return resp, nil
}

// IDs not among the applications are looked up as service principals, only those, in one request.
func TestClientVisible_notFoundFallsBackToServicePrincipals(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxWithTimeout(t, time.Minute)
		foreign, _ := h.newAgent(t, agentSpec{}) // only its service principal is visible
		unknown := newGUID(t)
		hide := &hideApplications{hidden: strings.ToLower(foreign)}
		c := h.deployerClient(t, func(cfg *graph.Config) {
			fastConfig(cfg)
			hide.next = cfg.HTTPClient.Transport
			cfg.HTTPClient = &http.Client{Transport: hide}
		})
		ids := []string{emulator.DefaultClientAppID, foreign, unknown}
		before := h.requests()
		visible, errs := lookUpConcurrently(ctx, c, ids)
		for i, want := range []bool{true, true, false} {
			if errs[i] != nil || visible[i] != want {
				t.Errorf("%s: visible %v, err %v; want visible %v", ids[i], visible[i], errs[i], want)
			}
		}
		if got := h.requests().minus(before); got != (requests{listApps: 1, listSPs: 1}) {
			t.Errorf("requests = %+v, want one filtered list of applications and one of service principals", got)
		}
		hide.mu.Lock()
		defer hide.mu.Unlock()
		if len(hide.spQuery) != 1 || strings.Contains(strings.ToLower(hide.spQuery[0]), strings.ToLower(emulator.DefaultClientAppID)) ||
			!strings.Contains(hide.spQuery[0], strings.ToLower(foreign)) || !strings.Contains(hide.spQuery[0], strings.ToLower(unknown)) {
			t.Errorf("service principal filters = %q, want one naming only the IDs not found as applications", hide.spQuery)
		}
	})
}

// A refused list fails no lookup as "not visible": each is then read alone, as every read of a list
// Graph refuses, and gets Graph's own 403 (the existing application's GET; the unknown ones' 404 from
// applications(appId=…), then a refused list of service principals and their own GETs).
func TestClientVisible_errorsPropagateToTheBatch(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		ctx := ctxWithTimeout(t, time.Minute)
		stranger, _, _ := newClient(t, h.ts, emulator.DefaultClientAppID, emulator.DefaultClientSecret, fastConfig)
		ids := []string{emulator.DefaultAgentAppID, newGUID(t), newGUID(t)}
		before := h.requests()
		visible, errs := lookUpConcurrently(ctx, stranger, ids)
		for i := range ids {
			if fb := (*model.ForbiddenError)(nil); visible[i] || !errors.As(errs[i], &fb) {
				t.Errorf("%s: visible %v, err %v; want a ForbiddenError", ids[i], visible[i], errs[i])
			}
		}
		if got := h.requests().minus(before); got != (requests{listApps: 1, getApp: 3, listSPs: 1, getSP: 2}) {
			t.Errorf("requests = %+v, want one refused list of each kind and a GET per lookup after it", got)
		}
	})
}

// One read path: a visibility lookup and a resolve by client ID waiting at the same moment share one
// request, also when they name the same application.
func TestClientVisible_sharesTheRequestOfAResolve(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		hold := newGate(isApplicationGet)
		c := h.deployerClient(t, func(cfg *graph.Config) {
			fastConfig(cfg)
			cfg.HTTPClient = &http.Client{Transport: &gatedTransport{next: h.ts.Client.Transport, gates: []*gate{hold}}}
		})
		agents := h.newAgents(t, 3)
		ctx := ctxWithTimeout(t, 30*time.Second)
		var wg sync.WaitGroup
		apps := make([]model.Application, 3)
		errs := make([]error, 5)
		visible := make([]bool, 2)
		resolve := func(i int) {
			wg.Go(func() { apps[i], errs[i] = c.GetApplication(ctx, model.ByAppID(agents[i])) })
		}
		resolve(0)
		<-hold.held // a resolve's single GET is in flight: the next reads queue behind it
		before := h.requests()
		resolve(2)
		wg.Go(func() { visible[0], errs[3] = c.ClientVisible(ctx, agents[1]) })
		wg.Go(func() { visible[1], errs[4] = c.ClientVisible(ctx, strings.ToUpper(agents[2])) })
		synctest.Wait()
		close(hold.release)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if !visible[0] || !visible[1] || apps[0].AppID != agents[0] || apps[2].AppID != agents[2] {
			t.Errorf("visible %v, resolved %s and %s; want both visible and agents %s and %s", visible, apps[0].AppID, apps[2].AppID, agents[0], agents[2])
		}
		if got := h.requests().minus(before); got != (requests{getApp: 1, listApps: 1}) {
			t.Errorf("requests = %+v, want the held GET and one list for the resolve and both lookups", got)
		}
	})
}

// A visibility lookup waiting for others to join it does not delay a read that needs its answer now:
// the read ends the wait and both go in one request.
func TestClientVisible_aReadEndsTheWait(t *testing.T) {
	parallelInBubble(t, func(t *testing.T) {
		h := newHarness(t)
		c := h.deployerClient(t, fastConfig)
		a, _ := h.newAgent(t, agentSpec{})
		b, _ := h.newAgent(t, agentSpec{})
		ctx := ctxWithTimeout(t, 2*time.Minute)
		start, before := time.Now(), h.requests()
		var visible bool
		var verr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			visible, verr = c.ClientVisible(ctx, a)
		}()
		synctest.Wait()
		if app, err := c.GetApplication(ctx, model.ByAppID(b)); err != nil || app.AppID != b {
			t.Fatalf("resolving %s: %+v, %v", b, app, err)
		}
		<-done
		if verr != nil || !visible {
			t.Fatalf("lookup: visible %v, err %v", visible, verr)
		}
		if took := time.Since(start); took >= core.VisibilityWindow {
			t.Errorf("the read waited %s, the lookup's whole window", took)
		}
		if got := h.requests().minus(before); got != (requests{listApps: 1}) {
			t.Errorf("requests = %+v, want one list for the lookup and the read", got)
		}
	})
}
