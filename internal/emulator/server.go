package emulator

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/counters"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/lkpsapi"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// Config configures a Server. The zero value serves the default seed on 127.0.0.1 with a port the
// system picks, with a fresh CA.
type Config struct {
	// Host is the loopback address to listen on; empty means 127.0.0.1. Non-loopback addresses are refused.
	Host string
	// Port is the TCP port; 0 picks a free one.
	Port int
	// InMemory serves requests without a listener, through HTTPClient's transport only (memory.go).
	InMemory bool
	// Seed is the initial state; nil means DefaultSeed().
	Seed *Seed
	// StateFile, if set, is loaded at start when it exists (instead of the seed) and written on Close and
	// every StateSaveInterval.
	StateFile string
	// StateSaveInterval is how often the state file is rewritten while running; zero means 5 seconds.
	StateSaveInterval time.Duration
	// CertDir, if set, is where the CA is loaded from (or generated into) and the server certificate written.
	CertDir string
	// CA signs the server certificate when CertDir is empty; nil generates a fresh CA.
	CA *CA
	// Faults is the initial fault configuration.
	Faults faults.Config
	// RandSeed seeds the directory's stale-read choices.
	RandSeed uint64
	// Now is the clock of tokens, the directory and LKPS; nil means time.Now.
	Now func() time.Time
	// TokenLifetime is the lifetime of access tokens; zero means one hour.
	TokenLifetime time.Duration
	// SigningKey signs access tokens; nil generates a 2048-bit key (most of the start-up time).
	SigningKey *rsa.PrivateKey
	// Logger receives one line per request at debug level and lifecycle events at info level; nil discards.
	Logger *slog.Logger
}

// Server is a running emulator.
type Server struct {
	cfg      Config
	seed     *Seed
	ca       *CA
	baseURL  string
	listener net.Listener
	http     *http.Server
	logger   *slog.Logger

	dir    *directory.Directory
	entra  *entra.Service
	graph  *graphapi.API
	lkps   *lkpsapi.Service
	faults *faults.Injector
	// foreign is the foreign writer (faults.Config.ForeignWriterRate).
	foreign *foreignWriter

	// requests is the one request counter (router.go counts, the admin API reads).
	requests counters.Set

	admin *Admin

	stopSaver chan struct{}
	saverDone chan struct{}
	closeOnce sync.Once
	closeErr  error
	serveErr  chan error
}

// Start builds the emulator from cfg, binds its listener and starts serving in the background.
func Start(cfg Config) (*Server, error) {
	s, err := newServer(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.InMemory {
		s.serveErr <- http.ErrServerClosed
	} else {
		go func() { s.serveErr <- s.http.ServeTLS(s.listener, "", "") }()
	}
	if s.cfg.StateFile != "" {
		go s.saveLoop()
	} else {
		close(s.saverDone)
	}
	s.logger.Info("lkps-emulator started", "url", s.baseURL)
	return s, nil
}

func newServer(cfg Config) (*Server, error) {
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if ip := net.ParseIP(cfg.Host); cfg.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("emulator: host %q is not a loopback address; the emulator only listens on loopback", cfg.Host)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StateSaveInterval <= 0 {
		cfg.StateSaveInterval = 5 * time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	seed := cfg.Seed
	if seed == nil {
		seed = DefaultSeed()
	}
	ca := cfg.CA
	if cfg.CertDir != "" {
		loaded, err := LoadOrCreateCA(cfg.CertDir)
		if err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
		ca = loaded
	}
	if ca == nil {
		generated, err := NewCA()
		if err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
		ca = generated
	}
	leaf, err := ca.IssueServerCertificate(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	if cfg.CertDir != "" {
		if err := writeServerCertificate(cfg.CertDir, leaf); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
	}

	s := &Server{
		cfg: cfg, seed: seed, ca: ca, logger: logger,
		stopSaver: make(chan struct{}), saverDone: make(chan struct{}), serveErr: make(chan error, 1),
	}
	s.dir = directory.New(directory.Config{TenantID: seed.TenantID, VerifiedDomains: seed.VerifiedDomains, Now: cfg.Now, RandSeed: cfg.RandSeed})

	state, fromFile, err := s.initialState()
	if err != nil {
		return nil, err
	}
	if err := s.dir.Restore(state.Directory); err != nil {
		return nil, fmt.Errorf("emulator: restore directory: %w", err)
	}

	inj, err := faults.New(cfg.Faults)
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	s.faults = inj
	inj.OnSet(func(c faults.Config) { s.dir.SetReplication(c.ReplicaLag, c.EffectiveStaleReadProbability()) })
	s.foreign = &foreignWriter{s: s}
	inj.OnSet(s.foreign.configure)

	s.entra, err = entra.New(entra.Config{
		TenantID:      s.dir.TenantID(),
		BaseURL:       s.URL,
		Directory:     entraDirectory{dir: s.dir, baseURL: s.URL},
		Now:           cfg.Now,
		TokenLifetime: cfg.TokenLifetime,
		SigningKey:    cfg.SigningKey,
		Issuers:       seed.issuers(),
	})
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	s.graph, err = graphapi.New(graphapi.Config{
		Directory: s.dir,
		Auth:      graphAuthenticator{svc: s.entra},
		Faults:    inj,
		BaseURL:   s.GraphBaseURL,
		Now:       cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	s.lkps = lkpsapi.New(lkpsapi.Config{
		Verifier:  s.entra,
		Directory: agentDirectory{dir: s.dir},
		Now:       cfg.Now,
		Initial:   state.lkps(),
	})
	s.admin = &Admin{s: s}

	if cfg.InMemory {
		s.baseURL = inMemoryBaseURL
		return s, nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)))
	if err != nil {
		return nil, fmt.Errorf("emulator: listen: %w", err)
	}
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		_ = ln.Close()
		return nil, fmt.Errorf("emulator: listener address %v is not TCP", ln.Addr())
	}
	s.listener = ln
	port := addr.Port
	s.baseURL = "https://" + net.JoinHostPort(cfg.Host, strconv.Itoa(port))
	s.http = &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{leaf}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	if fromFile {
		logger.Info("state loaded", "file", cfg.StateFile)
	}
	return s, nil
}

// URL returns the base URL, e.g. "https://127.0.0.1:4443" (also the authority host).
func (s *Server) URL() string { return s.baseURL }

// AuthorityHost returns the Entra ID authority host (the base URL).
func (s *Server) AuthorityHost() string { return s.baseURL }

// GraphBaseURL returns the Microsoft Graph base URL without version, "<base>/graph".
func (s *Server) GraphBaseURL() string { return s.baseURL + "/graph" }

// LKPSBaseURL returns the LKPS base URL of an environment and region, "<base>/lkps/<env>/<region>".
func (s *Server) LKPSBaseURL(env environments.Environment, region environments.Region) string {
	return s.baseURL + "/lkps/" + string(env) + "/" + string(region)
}

// TenantID returns the emulator's tenant id.
func (s *Server) TenantID() string { return s.dir.TenantID() }

// CAPEM returns the PEM certificate of the CA that signed the server certificate.
func (s *Server) CAPEM() []byte { return s.ca.CertPEM() }

// CAFile returns the path of the CA certificate in the certificate directory, or "" without one.
func (s *Server) CAFile() string {
	if s.cfg.CertDir == "" {
		return ""
	}
	return filepath.Join(s.cfg.CertDir, CAFileName)
}

// CA returns the CA that signed the server certificate.
func (s *Server) CA() *CA { return s.ca }

// Seed returns the seed the emulator resets to.
func (s *Server) Seed() *Seed { return s.seed }

// Admin returns the admin API for direct use from Go.
func (s *Server) Admin() *Admin { return s.admin }

// Entra returns the token service (to mint or verify tokens).
func (s *Server) Entra() *entra.Service { return s.entra }

// Directory returns the tenant directory.
func (s *Server) Directory() *directory.Directory { return s.dir }

// HTTPClient returns a client that trusts the emulator's CA (and nothing else).
func (s *Server) HTTPClient() *http.Client {
	if s.cfg.InMemory {
		return &http.Client{Timeout: 30 * time.Second, Transport: memoryTransport{h: s.Handler()}}
	}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: s.ca.Pool(), MinVersion: tls.VersionTLS12},
			MaxIdleConnsPerHost: 32,
			ForceAttemptHTTP2:   true,
		},
	}
}

// Close stops the server (waiting up to ctx for requests in flight) and writes the state file if one is
// configured. It is safe to call more than once.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.foreign.halt(false)
		close(s.stopSaver)
		<-s.saverDone
		var err error
		if s.http != nil {
			err = s.http.Shutdown(ctx)
		}
		if serveErr := <-s.serveErr; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("serve: %w", serveErr))
		}
		if s.cfg.StateFile != "" {
			if saveErr := s.SaveState(); saveErr != nil {
				err = errors.Join(err, saveErr)
			}
		}
		s.closeErr = err
		s.logger.Info("lkps-emulator stopped", "url", s.baseURL)
	})
	return s.closeErr
}
