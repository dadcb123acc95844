package provider

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The live mode: the acceptance tests against a real tenant (or cmd/lkps-emulator standing in for one,
// `make testacc-live-emulator`), configured only through the environment, exactly as a pipeline would.
//
// Every test that edits an agent holds that agent alone for its whole run: with one agent the tests
// run one after the other, with several (LKPS_ACC_AGENTS) up to that many at once. A test starts from
// the agent as it found it (no access_as_client scope) and, when it ends, the agent is put back as it
// was (scopes, identifier URIs, pre-authorizations) and checked.
const (
	// envAccAgents lists the agent app registrations the tests may edit: comma-separated
	// "<client ID>" or "<client ID>/<object ID>".
	envAccAgents = "LKPS_ACC_AGENTS"
	// envAccAgentClientID and envAccAgentObjectID name a single agent (the first, if LKPS_ACC_AGENTS
	// is set too).
	envAccAgentClientID = "LKPS_ACC_AGENT_CLIENT_ID"
	envAccAgentObjectID = "LKPS_ACC_AGENT_OBJECT_ID"
	// envAccAgentSecret is a client secret of the first agent. It enables the lkps_agent_registration
	// tests, which register that agent with LKPS (it must be on the route's Client Access List).
	envAccAgentSecret = "LKPS_ACC_AGENT_CLIENT_SECRET"
	// envAccClientIDs lists client application IDs the tests may pre-authorize (comma-separated).
	envAccClientIDs = "LKPS_ACC_CLIENT_IDS"
)

// liveMode reports whether the acceptance tests target a live tenant instead of their own emulators.
func liveMode() bool { return os.Getenv(envAccAgents) != "" || os.Getenv(envAccAgentClientID) != "" }

// liveAgent is one agent of the live mode.
type liveAgent struct {
	clientID, objectID string // lower case; objectID may be empty (then read from Graph)
}

// parseLiveAgents reads the agents from the environment: LKPS_ACC_AGENT_CLIENT_ID (with
// LKPS_ACC_AGENT_OBJECT_ID) first, then LKPS_ACC_AGENTS.
func parseLiveAgents(getenv func(string) string) ([]liveAgent, error) {
	var out []liveAgent
	add := func(client, object string) error {
		client, object = strings.ToLower(strings.TrimSpace(client)), strings.ToLower(strings.TrimSpace(object))
		if !guidPattern.MatchString(client) || (object != "" && !guidPattern.MatchString(object)) {
			return fmt.Errorf("%q is not <client ID> or <client ID>/<object ID>", client+"/"+object)
		}
		if slices.ContainsFunc(out, func(a liveAgent) bool { return a.clientID == client }) {
			return nil
		}
		out = append(out, liveAgent{clientID: client, objectID: object})
		return nil
	}
	if c := getenv(envAccAgentClientID); c != "" {
		if err := add(c, getenv(envAccAgentObjectID)); err != nil {
			return nil, fmt.Errorf("%s: %w", envAccAgentClientID, err)
		}
	}
	for _, item := range strings.Split(getenv(envAccAgents), ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		client, object, _ := strings.Cut(item, "/")
		if err := add(client, object); err != nil {
			return nil, fmt.Errorf("%s: %w", envAccAgents, err)
		}
	}
	return out, nil
}

// agentPool hands each test an agent of its own.
type agentPool struct {
	mu     sync.Mutex
	cond   *sync.Cond
	agents []liveAgent
	busy   []bool
}

var (
	livePool     *agentPool
	livePoolErr  error
	livePoolOnce sync.Once
	// liveParallel records the tests newLiveAccEnv made parallel, so that accTest does not call
	// t.Parallel a second time.
	liveParallel sync.Map
)

func theAgentPool() (*agentPool, error) {
	livePoolOnce.Do(func() {
		agents, err := parseLiveAgents(os.Getenv)
		if err == nil && len(agents) == 0 {
			err = fmt.Errorf("no agents: set %s or %s", envAccAgents, envAccAgentClientID)
		}
		if err != nil {
			livePoolErr = err
			return
		}
		p := &agentPool{agents: agents, busy: make([]bool, len(agents))}
		p.cond = sync.NewCond(&p.mu)
		livePool = p
	})
	return livePool, livePoolErr
}

// acquire waits until an agent that ok accepts is free and takes it. Agents other than the first
// are preferred, because only the first can be registered with LKPS.
func (p *agentPool) acquire(ok func(i int) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for i := len(p.agents) - 1; i >= 0; i-- {
			if !p.busy[i] && ok(i) {
				p.busy[i] = true
				return i
			}
		}
		p.cond.Wait()
	}
}

func (p *agentPool) release(i int) {
	p.mu.Lock()
	p.busy[i] = false
	p.mu.Unlock()
	p.cond.Broadcast()
}

// accTest runs a test case. Against the emulator the test runs in parallel with the others; in the
// live mode newLiveAccEnv already made it parallel before it waited for an agent.
func accTest(t *testing.T, tc resource.TestCase) {
	t.Helper()
	if tc.ProtoV6ProviderFactories == nil && !slices.ContainsFunc(tc.Steps, func(s resource.TestStep) bool { return s.ProtoV6ProviderFactories != nil }) {
		tc.ProtoV6ProviderFactories = testAccProtoV6ProviderFactories // this provider, served in the test process
	}
	if _, ok := liveParallel.Load(t); ok {
		resource.Test(t, tc)
		return
	}
	resource.ParallelTest(t, tc)
}

// newLiveAccEnv takes an agent for the test (the first agent, whose secret LKPS_ACC_AGENT_CLIENT_SECRET
// holds, when withSecret) and n client applications from the environment.
func newLiveAccEnv(t *testing.T, n int, withSecret bool) *accEnv {
	t.Helper()
	for _, v := range []string{"ARM_TENANT_ID", "ARM_CLIENT_ID", "ARM_CLIENT_SECRET"} {
		if os.Getenv(v) == "" {
			t.Fatalf("%s must be set for acceptance tests against a live tenant (%s or %s is set)", v, envAccAgents, envAccAgentClientID)
		}
	}
	pool, err := theAgentPool()
	if err != nil {
		t.Fatal(err)
	}
	var clients []string
	for _, c := range strings.Split(os.Getenv(envAccClientIDs), ",") {
		if c = strings.TrimSpace(strings.ToLower(c)); c != "" {
			clients = append(clients, c)
		}
	}
	if len(clients) < n {
		t.Skipf("this test needs %d client applications; %s names %d", n, envAccClientIDs, len(clients))
	}
	if withSecret && os.Getenv(envAccAgentSecret) == "" {
		t.Skipf("registers the first agent with LKPS: set %s to a client secret of %s", envAccAgentSecret, pool.agents[0].clientID)
	}
	// Parallel before waiting for an agent: a test waiting in the sequential phase would keep the
	// holders of the agents paused (go test starts parallel tests only after it).
	t.Parallel()
	liveParallel.Store(t, true)
	t.Cleanup(func() { liveParallel.Delete(t) })

	i := pool.acquire(func(i int) bool { return !withSecret || i == 0 })
	t.Cleanup(func() { pool.release(i) })
	agent := pool.agents[i]

	env := &accEnv{
		agent:         agent.clientID,
		agentObjectID: agent.objectID,
		tenantID:      strings.ToLower(os.Getenv("ARM_TENANT_ID")),
		clients:       clients[:n],
		providerBlock: `provider "lkps" {}`,
		graphBaseURL:  environments.PublicGraphBaseURL,
	}
	if u := os.Getenv("LKPS_GRAPH_BASE_URL"); u != "" {
		env.graphBaseURL = u
	}
	opts := &azidentity.ClientSecretCredentialOptions{}
	if host := os.Getenv("LKPS_AUTHORITY_HOST"); host != "" {
		opts.ClientOptions = azcore.ClientOptions{Cloud: cloudFor(host)}
		opts.DisableInstanceDiscovery = true
	}
	env.credential, err = azidentity.NewClientSecretCredential(os.Getenv("ARM_TENANT_ID"), os.Getenv("ARM_CLIENT_ID"), os.Getenv("ARM_CLIENT_SECRET"), opts)
	if err != nil {
		t.Fatal(err)
	}

	before := env.readApp(t, env.agent)
	if env.agentObjectID == "" {
		env.agentObjectID = strings.ToLower(before.ObjectID)
	} else if !strings.EqualFold(before.ObjectID, env.agentObjectID) {
		t.Fatalf("the agent %s has the object ID %s, not %s as the environment says", env.agent, before.ObjectID, env.agentObjectID)
	}
	if s, ok := before.ScopeByValue(environments.ClientScopeValue); ok {
		t.Fatalf("the agent %s already exposes %s (scope %s): the acceptance tests need agents without it. "+
			"Remove it (a previous run may have been interrupted) or name another agent.", env.agent, environments.ClientScopeValue, s.ID)
	}
	if s, ok := before.Scope(stableScopeID(env.agent)); ok {
		t.Fatalf("the agent %s has a scope with the provider's scope ID %s (value %q), probably left by an interrupted run; remove it",
			env.agent, s.ID, s.Value)
	}
	env.hadDefaultURI = containsFold(before.IdentifierURIs, defaultIdentifierURI(env.agent))
	t.Cleanup(func() { env.restoreAgent(t, before) })
	return env
}

// restoreAgent puts the agent back as before (what the tests' resources and out-of-band edits may
// have changed: scopes, identifier URIs, pre-authorizations) and checks that it is.
func (e *accEnv) restoreAgent(t *testing.T, before model.Application) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := e.outOfBand(t).client
	ref := model.ByAppID(e.agent)
	read := func() model.Application {
		app, err := c.GetApplication(ctx, ref)
		if err != nil {
			t.Errorf("restoring the agent %s: %v", e.agent, err)
		}
		return app
	}
	report := func(what string, err error) {
		if err != nil {
			t.Errorf("restoring the agent %s: %s: %v", e.agent, what, err)
		}
	}
	now := read()
	// Pre-authorizations first (a scope can only be removed without references), then scopes, then URIs.
	for _, p := range now.PreAuthorized {
		was, _ := before.PreAuthorization(p.AppID)
		for _, id := range p.DelegatedPermissionIDs {
			if !containsFold(was.DelegatedPermissionIDs, id) {
				report("removing a pre-authorization of "+p.AppID, c.RemovePreAuthorization(ctx, ref, p.AppID, id))
			}
		}
	}
	for _, s := range now.Scopes {
		if _, ok := before.Scope(s.ID); !ok {
			_, err := c.DeleteScopeAndURI(ctx, ref, s.ID, "")
			report("removing the scope "+s.ID, err)
		}
	}
	for _, s := range before.Scopes {
		cur, ok := now.Scope(s.ID)
		switch {
		case !ok:
			_, _, err := c.ExposeScope(ctx, ref, "", s)
			report("re-creating the scope "+s.ID, err)
		case cur != s:
			_, err := c.UpdateScope(ctx, ref, s)
			report("restoring the scope "+s.ID, err)
		}
	}
	for _, p := range before.PreAuthorized {
		cur, _ := now.PreAuthorization(p.AppID)
		for _, id := range p.DelegatedPermissionIDs {
			if !containsFold(cur.DelegatedPermissionIDs, id) {
				_, err := c.AddPreAuthorization(ctx, ref, p.AppID, id)
				report("restoring a pre-authorization of "+p.AppID, err)
			}
		}
	}
	for _, u := range now.IdentifierURIs {
		if !containsFold(before.IdentifierURIs, u) {
			_, err := c.RemoveIdentifierURI(ctx, ref, u)
			report("removing the identifier URI "+u, err)
		}
	}
	for _, u := range before.IdentifierURIs {
		if !containsFold(now.IdentifierURIs, u) {
			_, err := c.EnsureIdentifierURI(ctx, ref, u)
			report("restoring the identifier URI "+u, err)
		}
	}
	if err := sameManagedContent(before, read()); err != nil {
		t.Errorf("the agent %s was not left as found: %v", e.agent, err)
	}
}

// sameManagedContent compares what the tests may touch on an application, ignoring order and case
// of IDs.
func sameManagedContent(a, b model.Application) error {
	norm := func(app model.Application) (uris, scopes, pre []string) {
		for _, u := range app.IdentifierURIs {
			uris = append(uris, strings.ToLower(u))
		}
		for _, s := range app.Scopes {
			s.ID = strings.ToLower(s.ID)
			scopes = append(scopes, fmt.Sprintf("%+v", s))
		}
		for _, p := range app.PreAuthorized {
			for _, id := range p.DelegatedPermissionIDs {
				pre = append(pre, strings.ToLower(p.AppID+"/"+id))
			}
		}
		slices.Sort(uris)
		slices.Sort(scopes)
		slices.Sort(pre)
		return uris, scopes, pre
	}
	au, as, ap := norm(a)
	bu, bs, bp := norm(b)
	switch {
	case !slices.Equal(au, bu):
		return fmt.Errorf("identifier URIs %v, were %v", bu, au)
	case !slices.Equal(as, bs):
		return fmt.Errorf("scopes %v, were %v", bs, as)
	case !slices.Equal(ap, bp):
		return fmt.Errorf("pre-authorizations %v, were %v", bp, ap)
	}
	return nil
}

// envOr returns the environment variable, or def when it is empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func TestParseLiveAgents(t *testing.T) {
	env := map[string]string{
		envAccAgentClientID: "AAAAAAAA-0000-4000-8000-000000000001",
		envAccAgentObjectID: "bbbbbbbb-0000-4000-8000-000000000001",
		envAccAgents:        " aaaaaaaa-0000-4000-8000-000000000001 , cccccccc-0000-4000-8000-000000000002/DDDDDDDD-0000-4000-8000-000000000002,eeeeeeee-0000-4000-8000-000000000003,",
	}
	got, err := parseLiveAgents(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := []liveAgent{
		{"aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000001"},
		{"cccccccc-0000-4000-8000-000000000002", "dddddddd-0000-4000-8000-000000000002"},
		{"eeeeeeee-0000-4000-8000-000000000003", ""},
	}
	if !slices.Equal(got, want) {
		t.Errorf("agents = %+v, want %+v", got, want)
	}
	env[envAccAgents] = "not-a-guid"
	if _, err := parseLiveAgents(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), envAccAgents) {
		t.Errorf("a malformed list must be refused naming %s, got %v", envAccAgents, err)
	}
}
