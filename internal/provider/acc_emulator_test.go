package provider

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// TestMain makes the process trust the emulators' test CA before anything opens a TLS connection: the
// provider runs in this process during acceptance tests and uses the system trust store, which Go
// reads once, from SSL_CERT_FILE. In the live mode the CA is added to what the process trusts.
func TestMain(m *testing.M) {
	graphClientBuilt = builtGraphClients.add
	bundle := ""
	if os.Getenv("TF_ACC") != "" {
		caFile := emulator.TestCAFile()
		var err error
		if liveMode() {
			// Some tests start emulators of their own in the live mode too; the live endpoints stay trusted.
			caFile, err = trustBundleWith(caFile)
			bundle = caFile
		}
		if err == nil {
			err = os.Setenv("SSL_CERT_FILE", caFile)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if bundle != "" {
		_ = os.Remove(bundle)
	}
	os.Exit(code)
}

// trustBundleWith writes a PEM bundle of what the process trusts now (SSL_CERT_FILE, else the
// system bundle) and the certificates in caFile, and returns its path.
func trustBundleWith(caFile string) (string, error) {
	var bundle []byte
	for _, f := range []string{os.Getenv("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"} {
		if f == "" {
			continue
		}
		if b, err := os.ReadFile(f); err == nil {
			bundle = b
			break
		}
	}
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return "", err
	}
	out, err := os.CreateTemp("", "lkps-acc-trust-*.pem")
	if err != nil {
		return "", err
	}
	defer out.Close()
	if _, err := out.Write(append(append(bundle, '\n'), ca...)); err != nil {
		return "", err
	}
	return out.Name(), nil
}

// builtGraphClients remembers the Graph clients the in-process provider builds, by Graph base URL
// (one emulator, so one test, each).
var builtGraphClients = &graphClientRegistry{clients: map[string][]*graph.Client{}}

type graphClientRegistry struct {
	mu      sync.Mutex
	clients map[string][]*graph.Client
}

func (r *graphClientRegistry) add(baseURL string, c *graph.Client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clients[baseURL] = append(r.clients[baseURL], c)
}

// stats sums the counters of every client built for baseURL since the last call, and forgets them.
func (r *graphClientRegistry) take(baseURL string) core.Stats {
	r.mu.Lock()
	clients := r.clients[baseURL]
	delete(r.clients, baseURL)
	r.mu.Unlock()
	sum := core.Stats{Retries: map[core.RetryReason]int64{}}
	for _, c := range clients {
		s := c.Stats()
		sum.Gets += s.Gets
		sum.Patches += s.Patches
		sum.ConfirmReads += s.ConfirmReads
		sum.Batches += s.Batches
		sum.Mutations += s.Mutations
		sum.SharedReads += s.SharedReads
		for k, v := range s.Retries {
			sum.Retries[k] += v
		}
	}
	return sum
}

// formatStats renders Graph client counters for a test log.
func formatStats(s core.Stats) string {
	reasons := make([]string, 0, len(s.Retries))
	for k, v := range s.Retries {
		reasons = append(reasons, fmt.Sprintf("%v=%d", k, v))
	}
	sort.Strings(reasons)
	return fmt.Sprintf("GETs=%d (confirmation reads %d, shared %d) PATCHes=%d batches=%d mutations=%d retries=%d [%s]",
		s.Gets, s.ConfirmReads, s.SharedReads, s.Patches, s.Batches, s.Mutations, s.TotalRetries(), strings.Join(reasons, " "))
}

// accEmulator is the emulator side of an acceptance test.
type accEmulator struct {
	ts *emulator.TestServer

	// declaredLag is the graph_replication_lag the provider block declares: what this emulator
	// guarantees (0s, lag-free, unless the test injects a replica lag and declares it first);
	// providerDefaults leaves the Graph settings out of the block (the provider's defaults, 3 s);
	// concurrentWriters sets concurrent_writers.
	declaredLag       time.Duration
	providerDefaults  bool
	concurrentWriters bool

	mu       sync.Mutex
	sampling chan struct{}
	samples  []model.Application
	done     chan struct{}
}

// newEmulatorAccEnv starts an emulator for the test, with a fresh agent application (no identifier
// URI, no scopes, owned by the seed's deployer) and n client applications.
func newEmulatorAccEnv(t *testing.T, n int) *accEnv {
	t.Helper()
	ts := emulator.NewTestServer(t)
	admin := ts.Admin()
	agent, err := admin.CreateApplication(emulator.SeedApplication{
		DisplayName: "acceptance test agent",
		Owners:      []string{ts.DeployerClientID},
		Secrets:     []emulator.SeedSecret{{Value: "agent-secret-" + t.Name(), DisplayName: "test"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	env := &accEnv{
		emu:           &accEmulator{ts: ts},
		agent:         strings.ToLower(agent.Application.AppID),
		agentObjectID: strings.ToLower(agent.Application.ID),
		tenantID:      strings.ToLower(ts.TenantID()),
		graphBaseURL:  ts.GraphBaseURL,
		httpClient:    ts.Client,
	}
	for i := 0; i < n; i++ {
		c, err := admin.CreateApplication(emulator.SeedApplication{DisplayName: fmt.Sprintf("acceptance test client %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		env.clients = append(env.clients, strings.ToLower(c.Application.AppID))
	}
	env.buildProviderBlock()
	env.credential, err = azidentity.NewClientSecretCredential(ts.TenantID(), ts.DeployerClientID, ts.DeployerSecret,
		&azidentity.ClientSecretCredentialOptions{
			ClientOptions:            azcore.ClientOptions{Cloud: cloudFor(ts.AuthorityHost), Transport: ts.Client},
			DisableInstanceDiscovery: true,
		})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// buildProviderBlock writes the provider block that reaches the test's emulator, with its Graph settings.
func (e *accEnv) buildProviderBlock() {
	ts := e.emu.ts
	graphSettings := ""
	if !e.emu.providerDefaults {
		graphSettings = fmt.Sprintf("\n  graph_replication_lag = %q", e.emu.declaredLag.String())
	}
	if e.emu.concurrentWriters { // also on the default lag: the figures of two concurrent workspaces
		graphSettings += "\n  concurrent_writers    = true"
	}
	e.providerBlock = "\n" + strings.TrimSuffix(emulatorProvider(ts, ts.LKPSBaseURLs["nonprod/eu"], "", graphSettings), "\n")
}

// emulatorProvider is a provider block that reaches the emulator ts, and LKPS at lkpsBaseURL unless it is
// empty, signed in as the deployer: with its secret, or as signIn says (HCL lines such as
// "client_secret = var.provider_secret"). extra lines (other settings) end the block.
func emulatorProvider(ts *emulator.TestServer, lkpsBaseURL, signIn string, extra ...string) string {
	if signIn == "" {
		signIn = fmt.Sprintf("client_secret = %q", ts.DeployerSecret)
	}
	lkps := ""
	if lkpsBaseURL != "" {
		lkps = fmt.Sprintf("\n  lkps_base_url  = %q", lkpsBaseURL)
	}
	return fmt.Sprintf("\nprovider \"lkps\" {\n  tenant_id      = %q\n  client_id      = %q\n  %s\n  use_cli        = false\n"+
		"  authority_host = %q\n  graph_base_url = %q%s%s\n}\n", ts.TenantID(), ts.DeployerClientID, signIn, ts.AuthorityHost,
		ts.GraphBaseURL, lkps, strings.Join(extra, ""))
}

// providerSecretVariable is a provider block's sign-in with the deployer's secret from the variable
// provider_secret, declared before it.
const providerSecretVariable = "client_secret = var.provider_secret"

// gitHubOIDCSignIn is a provider block's sign-in as the deployer with the emulator's GitHub Actions token.
func gitHubOIDCSignIn(t *testing.T, ts *emulator.TestServer) string {
	t.Helper()
	issuer, ok := ts.Entra().OIDCIssuer("github")
	if !ok {
		t.Fatal("the emulator has no github issuer")
	}
	return fmt.Sprintf("use_oidc = true\n  oidc_request_url = %q\n  oidc_request_token = %q",
		ts.Entra().OIDCIssuerTokenRequestURL("github"), issuer.RequestToken)
}

// declareLag makes the provider block declare lag as graph_replication_lag, before the test injects a
// replica lag of up to that much. Call it before building configurations.
func (e *accEnv) declareLag(lag time.Duration) {
	e.emu.declaredLag = lag
	e.buildProviderBlock()
}

// declareConcurrentWriters sets concurrent_writers = true: the test runs several writers at once.
func (e *accEnv) declareConcurrentWriters() {
	e.emu.concurrentWriters = true
	e.buildProviderBlock()
}

// useProviderDefaults leaves graph_replication_lag and concurrent_writers out of the provider block.
func (e *accEnv) useProviderDefaults() {
	if e.emu == nil {
		return // a live tenant's provider block has the defaults already
	}
	e.emu.providerDefaults = true
	e.buildProviderBlock()
}

// lagBound is the lag bound the provider block declares.
func (e *accEmulator) lagBound() time.Duration {
	if e.providerDefaults {
		return core.DefaultReplicationLag
	}
	return e.declaredLag
}

// application reads the emulator's store directly (the primary replica), never through Graph.
func (e *accEmulator) application(t *testing.T, appID string) model.Application {
	t.Helper()
	rec, err := e.ts.Admin().Application(appID)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	return recordToApplication(rec.Application)
}

// recordToApplication converts the emulator's stored document to the provider's plain struct.
func recordToApplication(a directory.Application) model.Application {
	out := model.Application{ObjectID: a.ID, AppID: a.AppID, IdentifierURIs: append([]string(nil), a.IdentifierURIs...)}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for _, s := range a.API.OAuth2PermissionScopes {
		out.Scopes = append(out.Scopes, model.PermissionScope{
			ID: s.ID, Value: str(s.Value), Type: str(s.Type),
			AdminConsentDisplayName: str(s.AdminConsentDisplayName), AdminConsentDescription: str(s.AdminConsentDescription),
			UserConsentDisplayName: str(s.UserConsentDisplayName), UserConsentDescription: str(s.UserConsentDescription),
			Enabled: s.IsEnabled,
		})
	}
	for _, p := range a.API.PreAuthorizedApplications {
		out.PreAuthorized = append(out.PreAuthorized, model.PreAuthorizedApplication{
			AppID: p.AppID, DelegatedPermissionIDs: append([]string(nil), p.DelegatedPermissionIDs...),
		})
	}
	return out
}

func (e *accEmulator) deleteApplication(t *testing.T, appID string) {
	t.Helper()
	if err := e.ts.Admin().DeleteApplication(appID); err != nil {
		t.Fatalf("emulator: %v", err)
	}
}

// faultProfileHostile is what the concurrency test applies under: replication lag with frequent stale
// reads, 409 Directory_ConcurrencyViolation bursts, 429 throttling and a little latency.
var faultProfileHostile = faults.Config{
	Latency:              5 * time.Millisecond,
	ReplicaLag:           2 * time.Second,
	StaleReadProbability: 0.5,
	ConflictProbability:  0.15,
	ThrottleProbability:  0.05,
	RetryAfterSeconds:    1,
	Seed:                 20261122,
}

func (e *accEmulator) injectFaults(t *testing.T, cfg faults.Config) {
	t.Helper()
	if bound := e.lagBound(); cfg.ReplicaLag > bound {
		t.Fatalf("the test injects %s of replica lag, above the lag bound of %s its provider block declares: "+
			"call declareLag first (a bound below the real lag is a configuration the provider does not support)", cfg.ReplicaLag, bound)
	}
	if err := e.ts.Admin().SetFaults(cfg); err != nil {
		t.Fatalf("emulator: %v", err)
	}
}

func (e *accEmulator) clearFaults(*testing.T) { e.ts.Admin().ClearFaults() }

// faultSummary reports the emulator's request counters, sorted, for the test log.
func (e *accEmulator) faultSummary(*testing.T) string {
	counters := e.ts.Admin().Counters()
	keys := make([]string, 0, len(counters))
	for k := range counters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, counters[k]))
	}
	return strings.Join(parts, " ")
}

// markHistory starts sampling the application's stored state every millisecond, so that a test can
// tell whether some state (a disabled scope) existed at any moment. The provider confirms every write
// over several reads tens of milliseconds apart, so any state it writes lasts far longer than one
// sampling period.
func (e *accEmulator) markHistory(t *testing.T, appID string) {
	t.Helper()
	e.stopSampling()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.samples = nil
	stop, done := make(chan struct{}), make(chan struct{})
	e.sampling, e.done = stop, done
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var last int64 = -1
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				rec, err := e.ts.Admin().Application(appID)
				if err != nil || rec.Version == last {
					continue
				}
				last = rec.Version
				app := recordToApplication(rec.Application)
				e.mu.Lock()
				e.samples = append(e.samples, app)
				e.mu.Unlock()
			}
		}
	}()
	t.Cleanup(e.stopSampling)
}

func (e *accEmulator) stopSampling() {
	e.mu.Lock()
	stop, done := e.sampling, e.done
	e.sampling = nil
	e.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// historySinceMark stops sampling and returns every distinct stored state of the application seen.
func (e *accEmulator) historySinceMark(t *testing.T) []model.Application {
	t.Helper()
	e.stopSampling()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.samples) == 0 {
		t.Fatal("the sampler saw no state of the application")
	}
	return append([]model.Application(nil), e.samples...)
}
