// Command lkps-emulator runs a local, strict stand-in for Entra ID, Microsoft Graph, the Ocelot gateway
// and LKPS on one HTTPS loopback port, and prints the shell exports that point the lkps provider (and
// curl) at it. See internal/emulator/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "lkps-emulator:", err)
		os.Exit(1)
	}
}

// run starts the emulator, prints its exports and serves until ctx is done (SIGINT or SIGTERM).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "seed" {
		return runSeed(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("lkps-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: lkps-emulator [flags]
       lkps-emulator seed --agent <client id> [--client <client id>]... > seed.json   (a --seed file with your IDs)

Runs a local Entra ID token service, Microsoft Graph applications API, Ocelot gateway and LKPS over HTTPS
on one loopback port, then prints the "export" lines that point the lkps provider, azidentity and curl at
it. Stop it with Ctrl-C (SIGINT) or SIGTERM; with --state the state is saved on the way out.

SSL_CERT_FILE and CURL_CA_BUNDLE name ca-bundle.pem in --cert-dir: the system's roots plus the emulator's
CA, so other TLS connections in that shell keep working. The CA may only sign for 127.0.0.0/8, ::1 and
localhost (X.509 name constraints) and lives 7 days; it is replaced on the first start after that.

Flags:
`)
		fs.PrintDefaults()
	}
	defaultCertDir := ""
	if dir, err := os.UserCacheDir(); err == nil {
		defaultCertDir = filepath.Join(dir, "lkps-emulator")
	}
	host := fs.String("host", "127.0.0.1", "loopback `address` to listen on (127.0.0.1, ::1 or localhost)")
	port := fs.Int("port", 0, "TCP `port` to listen on; 0 picks a free port (or the one in --port-file)")
	portFile := fs.String("port-file", "", "`file` remembering the port across restarts: read when --port is 0, written with the port listened on")
	seedFile := fs.String("seed", "", "JSON seed `file` (see internal/emulator/testdata/seed.example.json); empty uses the built-in seed")
	stateFile := fs.String("state", "", "state `file`: loaded at start when it exists, saved every few seconds and on shutdown")
	certDir := fs.String("cert-dir", defaultCertDir, "`directory` holding ca.pem/ca-key.pem (created when absent or near expiry), the server certificate and ca-bundle.pem")
	systemRoots := fs.String("system-roots", "", "PEM `file` of trusted roots to put into ca-bundle.pem before the emulator's CA; empty uses $SSL_CERT_FILE or the system's roots file")
	envFile := fs.String("env-file", "", "also write the export lines to this `file` (mode 0600)")
	env := fs.String("environment", string(environments.DefaultEnvironment), "LKPS `environment` exported as LKPS_ENVIRONMENT and used for LKPS_BASE_URL (nonprod or prod)")
	region := fs.String("region", string(environments.DefaultRegion), "LKPS `region` exported as LKPS_REGION and used for LKPS_BASE_URL (eu or us)")
	tokenLifetime := fs.Duration("token-lifetime", time.Hour, "lifetime of issued access tokens")
	randSeed := fs.Uint64("rand-seed", 1, "seed of the replica choice on reads (same seed and requests, same stale reads)")
	latency := fs.Duration("latency", 0, "fault: latency added to every Graph request")
	replicaLag := fs.Duration("replica-lag", 0, "fault: how long after a write Graph reads may be served from a stale replica")
	staleP := fs.Float64("stale-read-probability", 0, "fault: chance (0-1) that a read within --replica-lag is stale (0 with a lag means 0.5)")
	conflictP := fs.Float64("conflict-probability", 0, "fault: chance (0-1) that a Graph write fails with 409 Directory_ConcurrencyViolation")
	conflictNext := fs.Int("conflict-next-writes", 0, "fault: the next N Graph writes fail with 409 Directory_ConcurrencyViolation")
	throttleP := fs.Float64("throttle-probability", 0, "fault: chance (0-1) that a Graph request fails with 429 TooManyRequests")
	throttleNext := fs.Int("throttle-next", 0, "fault: the next N Graph requests fail with 429 TooManyRequests")
	retryAfter := fs.Int("retry-after", 1, "fault: Retry-After `seconds` sent with 429")
	retryAfterForm := fs.String("retry-after-form", "seconds", "fault: how Retry-After is written: `seconds` (\"1\"), decimal (decimal seconds plus half a second, \"1.500\") or date (an HTTP-date)")
	unavailableP := fs.Float64("unavailable-probability", 0, "fault: chance (0-1) that a Graph request fails with 503")
	unavailableNext := fs.Int("unavailable-next", 0, "fault: the next N Graph requests fail with 503")
	ambiguousP := fs.Float64("ambiguous-write-probability", 0, "fault: chance (0-1) that a Graph PATCH is committed but answered with 503, 504 or a dropped connection")
	ambiguousNext := fs.Int("ambiguous-write-next", 0, "fault: the next N committed Graph PATCHes are answered with 503, 504 or a dropped connection")
	foreignRate := fs.Float64("foreign-writer-rate", 0, "fault: `edits` per second another writer makes to agents' pre-authorized applications (read-modify-write, adding and removing entries of its own)")
	foreignApp := fs.String("foreign-writer-app", "", "fault: limit the foreign writer to this application (`appId or object id`); empty means any application with a scope")
	faultSeed := fs.Uint64("fault-seed", 1, "fault: seed of the probabilistic faults")
	logLevel := fs.String("log-level", "info", "log `level` on stderr: debug (one line per request), info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (run with --help)", fs.Args())
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if *certDir == "" {
		return errors.New("--cert-dir is required: no user cache directory to default to")
	}
	routeEnv, routeRegion := environments.Environment(*env), environments.Region(*region)
	if _, err := environments.Lookup(routeEnv, routeRegion); err != nil {
		return err
	}
	cfg := emulator.Config{
		Host: *host, Port: *port, StateFile: *stateFile, CertDir: *certDir, RandSeed: *randSeed,
		TokenLifetime: *tokenLifetime,
		Logger:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		Faults: faults.Config{
			Latency: *latency, ReplicaLag: *replicaLag, StaleReadProbability: *staleP,
			ConflictProbability: *conflictP, ConflictNextWrites: *conflictNext,
			ThrottleProbability: *throttleP, ThrottleNext: *throttleNext, RetryAfterSeconds: *retryAfter,
			RetryAfterForm:         *retryAfterForm,
			UnavailableProbability: *unavailableP, UnavailableNext: *unavailableNext, Seed: *faultSeed,
			AmbiguousWriteProbability: *ambiguousP, AmbiguousWriteNext: *ambiguousNext,
			ForeignWriterRate: *foreignRate, ForeignWriterApp: *foreignApp,
		},
	}
	if *seedFile != "" {
		seed, err := emulator.LoadSeed(*seedFile)
		if err != nil {
			return err
		}
		cfg.Seed = seed
	}
	srv, err := startOnRememberedPort(*portFile, &cfg.Port, stderr, func() (*emulator.Server, error) { return emulator.Start(cfg) })
	if err != nil {
		return err
	}
	roots := *systemRoots
	if roots == "" {
		roots = emulator.FindSystemRoots()
	}
	bundle, n, err := emulator.WriteTrustBundle(*certDir, roots)
	if err != nil {
		return errors.Join(err, srv.Close(context.Background()))
	}
	if n == 0 {
		fmt.Fprintln(stderr, "lkps-emulator: no system roots file found (set --system-roots): "+
			"SSL_CERT_FILE names a bundle with the emulator's CA alone, so other TLS connections in that shell will fail")
	}
	vars, err := srv.Env(bundle, routeEnv, routeRegion)
	if err != nil {
		return errors.Join(err, srv.Close(context.Background()))
	}
	addIssuerExports(srv, vars)
	lines := emulator.ExportLines(vars) + fmt.Sprintf("# stop it with: kill %d\n", os.Getpid())
	if *envFile != "" {
		if err := os.WriteFile(*envFile, []byte(lines), 0o600); err != nil {
			return errors.Join(fmt.Errorf("write --env-file: %w", err), srv.Close(context.Background()))
		}
	}
	fmt.Fprint(stdout, lines)

	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Close(shutdown)
}
