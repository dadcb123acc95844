package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The fixtures most tests start from: a parallel test in a bubble, an emulator with an agent and a
// client over it, and the emulator's request counts. The harness itself is in emulator_test.go.

// parallelInBubble marks t parallel and runs f in a testing/synctest bubble (inBubble).
func parallelInBubble(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	t.Parallel()
	inBubble(t, f)
}

// exposedAgent is the agent most tests write to: its identifier URI is api://{appId}.
var exposedAgent = agentSpec{uris: []string{"api://{appId}"}}

// newAgentHarness starts an in-memory emulator with opts (newHarness) and creates an agent as spec
// says. It returns the harness, a context for the test's calls that ends after a minute, and the
// agent by appId (ref.ID is the appId).
func newAgentHarness(t testing.TB, spec agentSpec, opts ...emulator.Option) (*harness, context.Context, model.AppRef) {
	t.Helper()
	h := newHarness(t, opts...)
	appID, _ := h.newAgent(t, spec)
	return h, ctxWithTimeout(t, time.Minute), model.ByAppID(appID)
}

// deployerClient returns a new client (another process) for the emulator's deployer, configured by
// tune (fastConfig, lagConfig, ... or a function of the test's own).
func (h *harness) deployerClient(t testing.TB, tune func(*graph.Config)) *graph.Client {
	t.Helper()
	c, _, _ := newClient(t, h.ts, h.ts.DeployerClientID, h.ts.DeployerSecret, tune)
	return c
}

// retune replaces the harness's client by one configured by tune, with its own recorder and log.
func (h *harness) retune(t testing.TB, tune func(*graph.Config)) {
	t.Helper()
	h.client, h.rec, h.log = newClient(t, h.ts, h.ts.DeployerClientID, h.ts.DeployerSecret, tune)
}

// beforeFirstPatch makes fn run once, before the next PATCH is sent; PATCHes sent meanwhile wait
// for it.
func (r *recordingTransport) beforeFirstPatch(fn func()) {
	var once sync.Once
	r.mu.Lock()
	defer r.mu.Unlock()
	r.beforePatch = func() { once.Do(fn) }
}

// read reads the application through the harness's client; the test fails on an error.
func (h *harness) read(t testing.TB, ctx context.Context, ref model.AppRef) model.Application {
	t.Helper()
	app, err := h.client.GetApplication(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// createScope creates accessScope("") on the application through the harness's client; the test
// fails on an error.
func (h *harness) createScope(t testing.TB, ctx context.Context, ref model.AppRef) model.PermissionScope {
	t.Helper()
	scope, err := createScope(ctx, h.client, ref, accessScope(""))
	if err != nil {
		t.Fatal(err)
	}
	return scope
}

// newAgents creates n agents with neither identifier URI nor API, and returns their appIds.
func (h *harness) newAgents(t testing.TB, n int) []string {
	t.Helper()
	appIDs := make([]string, n)
	for i := range appIDs {
		appIDs[i], _ = h.newAgent(t, agentSpec{})
	}
	return appIDs
}

// refsOf returns the applications by appId.
func refsOf(appIDs []string) []model.AppRef {
	refs := make([]model.AppRef, len(appIDs))
	for i, id := range appIDs {
		refs[i] = model.ByAppID(id)
	}
	return refs
}

// inParallel calls fn(i) for every i in [0, n) at once and returns when every call has.
func inParallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

// inBackground runs fn in a goroutine and returns a function that waits for it.
func inBackground(fn func()) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(fn)
	return wg.Wait
}

// waitFor polls cond every millisecond for up to 10 seconds.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// jsonOf is v as JSON, for failure messages.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// requests counts the Graph requests the emulator has answered, by route.
type requests struct{ getApp, listApps, getSP, listSPs, patches int64 }

// requests returns the emulator's counts so far.
func (h *harness) requests() requests {
	c := h.ts.Admin().Counters()
	return requests{
		getApp: c[graphapi.RouteGetApplication], listApps: c[graphapi.RouteListApplications],
		getSP: c[graphapi.RouteGetServicePrincipal], listSPs: c[graphapi.RouteListServicePrincipals],
		patches: c[graphapi.RoutePatchApplication],
	}
}

// minus returns the requests answered since o was taken.
func (r requests) minus(o requests) requests {
	return requests{r.getApp - o.getApp, r.listApps - o.listApps, r.getSP - o.getSP, r.listSPs - o.listSPs, r.patches - o.patches}
}

// reads is the number of reads of applications: single GETs and filtered lists.
func (r requests) reads() int64 { return r.getApp + r.listApps }

// Shorthands of the tests over the Client's API: one scope or one client's entry, read as
// GetApplicationExpecting decides absence; a scope deleted without an identifier URI.

// getScope reads one permission scope of the application: a missing scope is an error matching
// model.ErrScopeNotFound, a missing application one matching graph.ErrNotFound.
func getScope(ctx context.Context, c *graph.Client, ref model.AppRef, scopeID string) (model.PermissionScope, error) {
	return item(ctx, c, ref, func(app model.Application) (model.PermissionScope, bool) { return app.Scope(scopeID) },
		fmt.Errorf("permission scope %s %w", scopeID, model.ErrScopeNotFound))
}

// getPreAuthorization reads the pre-authorized entry of one client: a missing entry is an error
// matching errPreAuthorizationNotFound.
func getPreAuthorization(ctx context.Context, c *graph.Client, ref model.AppRef, clientAppID string) (model.PreAuthorizedApplication, error) {
	return item(ctx, c, ref, func(app model.Application) (model.PreAuthorizedApplication, bool) {
		return app.PreAuthorization(clientAppID)
	}, &preAuthorizationNotFoundError{ClientAppID: clientAppID})
}

// item reads what find looks up in the application; missing is the error when it is not there.
func item[T any](ctx context.Context, c *graph.Client, ref model.AppRef, find func(model.Application) (T, bool), missing error) (T, error) {
	var got, none T
	_, found, err := c.GetApplicationExpecting(ctx, ref, func(app model.Application) bool {
		var ok bool
		got, ok = find(app)
		return ok
	})
	if err == nil && !found {
		err = fmt.Errorf("reading %s: %w", ref, missing)
	}
	if err != nil {
		return none, err
	}
	return got, nil
}

// createScope adds the permission scope (ExposeScope without an identifier URI).
func createScope(ctx context.Context, c *graph.Client, ref model.AppRef, scope model.PermissionScope) (model.PermissionScope, error) {
	created, _, err := c.ExposeScope(ctx, ref, "", scope)
	return created, err
}

// deleteScope removes the permission scope (DeleteScopeAndURI without an identifier URI).
func deleteScope(ctx context.Context, c *graph.Client, ref model.AppRef, scopeID string) ([]string, error) {
	return c.DeleteScopeAndURI(ctx, ref, scopeID, "")
}

// errPreAuthorizationNotFound means the client application is not pre-authorized.
var errPreAuthorizationNotFound = errors.New("pre-authorization not found")

// preAuthorizationNotFoundError says the client has no pre-authorized entry. It matches
// errPreAuthorizationNotFound.
type preAuthorizationNotFoundError struct{ ClientAppID string }

func (e *preAuthorizationNotFoundError) Error() string {
	return fmt.Sprintf("client application %s is not pre-authorized", e.ClientAppID)
}

func (e *preAuthorizationNotFoundError) Is(target error) bool {
	return target == errPreAuthorizationNotFound
}
