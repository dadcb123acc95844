package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
)

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"--help"}, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run --help = %v, want flag.ErrHelp", err)
	}
	for _, name := range []string{
		"host", "port", "seed", "state", "cert-dir", "system-roots", "env-file", "environment", "region", "token-lifetime", "rand-seed",
		"latency", "replica-lag", "stale-read-probability", "conflict-probability", "conflict-next-writes",
		"throttle-probability", "throttle-next", "retry-after", "unavailable-probability", "unavailable-next",
		"ambiguous-write-probability", "ambiguous-write-next", "foreign-writer-rate", "foreign-writer-app",
		"fault-seed", "log-level", "port-file",
	} {
		if !strings.Contains(stderr.String(), "-"+name+" ") && !strings.Contains(stderr.String(), "-"+name+"\n") {
			t.Errorf("--help does not document -%s", name)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("--help wrote to stdout: %q", stdout.String())
	}
}

func TestInvalidArgumentsFailBeforeStarting(t *testing.T) {
	cases := map[string][]string{
		"unknown environment": {"--environment", "staging", "--cert-dir", t.TempDir()},
		"unknown region":      {"--region", "apac", "--cert-dir", t.TempDir()},
		"bad log level":       {"--log-level", "loud", "--cert-dir", t.TempDir()},
		"not loopback":        {"--host", "0.0.0.0", "--cert-dir", t.TempDir()},
		"bad probability":     {"--throttle-probability", "1.5", "--cert-dir", t.TempDir()},
		"missing seed":        {"--seed", "/nonexistent/seed.json", "--cert-dir", t.TempDir()},
		"extra argument":      {"serve"},
	}
	for name, args := range cases {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), args, &stdout, &stderr); err == nil {
			t.Errorf("%s: run(%q) succeeded", name, args)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: printed exports before failing: %q", name, stdout.String())
		}
	}
}

func TestExportsNameTheTrustBundle(t *testing.T) {
	dir := t.TempDir()
	roots := filepath.Join(dir, "roots.pem")
	// The "system roots": the self-signed certificate of an unrelated local test server.
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	if err := os.WriteFile(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	certDir, envFile := filepath.Join(dir, "certs"), filepath.Join(dir, "env")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var stdout, stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"--cert-dir", certDir, "--env-file", envFile, "--system-roots", roots, "--log-level", "warn"}, &stdout, &stderr)
	}()
	var exports []byte
	for i := 0; i < 300 && !bytes.Contains(exports, []byte("# stop it with")); i++ {
		time.Sleep(20 * time.Millisecond)
		exports, _ = os.ReadFile(envFile)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	bundle := filepath.Join(certDir, emulator.CABundleFileName)
	for _, want := range []string{
		"export SSL_CERT_FILE='" + bundle + "'\n",
		"export CURL_CA_BUNDLE='" + bundle + "'\n",
		"# stop it with: kill " + strconv.Itoa(os.Getpid()) + "\n",
	} {
		if !strings.Contains(string(exports), want) {
			t.Errorf("exports lack %q:\n%s", want, exports)
		}
	}
	if stdout.String() != string(exports) {
		t.Errorf("printed exports differ from --env-file:\n%s\n---\n%s", stdout.String(), exports)
	}
	raw, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(raw)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("a server trusted by the system roots is refused with the exported bundle: %v", err)
	}
	_ = resp.Body.Close()
}
