package emulator

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

var testKey struct {
	once sync.Once
	key  *rsa.PrivateKey
	err  error
}

// testSigningKey returns the process-wide token signing key of test servers. Sharing it saves an RSA key
// generation per test; tokens still do not cross servers because each server's issuer has its own port.
func testSigningKey() (*rsa.PrivateKey, error) {
	testKey.once.Do(func() { testKey.key, testKey.err = rsa.GenerateKey(rand.Reader, 2048) })
	return testKey.key, testKey.err
}

// Option adjusts the configuration of a test server.
type Option func(*Config)

// WithSeed starts the test server from seed instead of DefaultSeed().
func WithSeed(seed *Seed) Option { return func(c *Config) { c.Seed = seed } }

// WithFaults starts the test server with faults turned on.
func WithFaults(f faults.Config) Option { return func(c *Config) { c.Faults = f } }

// WithClock makes the test server use now as its clock (tokens, directory replication, LKPS).
func WithClock(now func() time.Time) Option { return func(c *Config) { c.Now = now } }

// WithRandSeed seeds the directory's stale-read choices.
func WithRandSeed(seed uint64) Option { return func(c *Config) { c.RandSeed = seed } }

// WithTokenLifetime sets the lifetime of issued access tokens.
func WithTokenLifetime(d time.Duration) Option { return func(c *Config) { c.TokenLifetime = d } }

// WithInMemory serves the test server without a listener, through ts.Client only (for tests in a
// testing/synctest bubble).
func WithInMemory() Option { return func(c *Config) { c.InMemory = true } }

// WithStateFile makes the test server load and save a state file.
func WithStateFile(path string) Option { return func(c *Config) { c.StateFile = path } }

// TestServer is an emulator started for one test, with everything a test needs to reach it.
type TestServer struct {
	*Server

	// URL is the base URL, e.g. "https://127.0.0.1:41234"; it is also the authority host.
	URL string
	// GraphBaseURL is "<URL>/graph" (clients append "/v1.0").
	GraphBaseURL string
	// AuthorityHost is the Entra ID authority host (the base URL).
	AuthorityHost string
	// LKPSBaseURLs maps a route key ("nonprod/eu") to its LKPS base URL "<URL>/lkps/nonprod/eu".
	LKPSBaseURLs map[string]string
	// CAPEM is the PEM certificate of the CA the server certificate chains to.
	CAPEM []byte
	// CAFile is a file holding CAPEM: the process-wide test CA file (see TestCAFile).
	CAFile string
	// Client is an HTTP client that trusts the emulator.
	Client *http.Client
	// DeployerClientID and DeployerSecret are the credentials of the seed's deployer (empty when the
	// seed has none).
	DeployerClientID, DeployerSecret string

	t testing.TB
}

// NewTestServer starts an isolated emulator for the test and stops it in t.Cleanup. Servers are
// independent, so parallel tests may each start one. Every test server's certificate is signed by the
// process-wide test CA (TestCAFile).
func NewTestServer(t testing.TB, opts ...Option) *TestServer {
	t.Helper()
	ca, err := TestCA()
	if err != nil {
		t.Fatalf("emulator: test CA: %v", err)
	}
	key, err := testSigningKey()
	if err != nil {
		t.Fatalf("emulator: test signing key: %v", err)
	}
	cfg := Config{CA: ca, SigningKey: key}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := Start(cfg)
	if err != nil {
		t.Fatalf("emulator: start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("emulator: close: %v", err)
		}
	})
	ts := &TestServer{
		Server:        srv,
		URL:           srv.URL(),
		GraphBaseURL:  srv.GraphBaseURL(),
		AuthorityHost: srv.AuthorityHost(),
		LKPSBaseURLs:  map[string]string{},
		CAPEM:         srv.CAPEM(),
		CAFile:        TestCAFile(),
		Client:        srv.HTTPClient(),
		t:             t,
	}
	for _, e := range environments.All() {
		ts.LKPSBaseURLs[e.Key()] = srv.LKPSBaseURL(e.Environment, e.Region)
	}
	if d, ok := srv.Seed().Deployer(); ok {
		ts.DeployerClientID = d.AppID
		ts.DeployerSecret = d.Secrets[0].Value
	}
	return ts
}

// ProviderEnv returns the environment variables that point the provider at this emulator with the
// default route (nonprod/eu) and the seed's deployer identity.
func (ts *TestServer) ProviderEnv() map[string]string {
	return providerEnv(ts.Server, ts.CAFile, environments.DefaultEnvironment, environments.DefaultRegion)
}

// Token mints an access token for appID and audience, failing the test on error.
func (ts *TestServer) Token(appID, audience string) string {
	ts.t.Helper()
	tok, err := ts.Admin().MintToken(appID, audience, 0)
	if err != nil {
		ts.t.Fatalf("emulator: %v", err)
	}
	return tok
}

// GraphToken mints a Microsoft Graph access token (aud https://graph.microsoft.com) for appID.
func (ts *TestServer) GraphToken(appID string) string {
	return ts.Token(appID, environments.PublicGraphBaseURL)
}

// LKPSToken mints an LKPS access token for appID with the audience of env.
func (ts *TestServer) LKPSToken(appID string, env environments.Environment) string {
	return ts.Token(appID, environments.MustLookup(env, environments.DefaultRegion).LKPSAudience)
}
