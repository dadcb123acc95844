package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startForExports runs the emulator until its exports are written, returns them, and stops it.
func startForExports(t *testing.T, args ...string) (exports, stderr string) {
	t.Helper()
	envFile := filepath.Join(t.TempDir(), "env")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- run(ctx, append(args, "--env-file", envFile, "--log-level", "warn"), &out, &errOut)
	}()
	var raw []byte
	for i := 0; i < 500 && !bytes.Contains(raw, []byte("# stop it with")); i++ {
		time.Sleep(20 * time.Millisecond)
		raw, _ = os.ReadFile(envFile)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v (%s)", err, errOut.String())
	}
	return string(raw), errOut.String()
}

// The port survives a restart with --port-file, so exports loaded in an open shell keep working; a
// remembered port that another process took gives way to a free one, which is remembered instead.
func TestPortFileKeepsThePortAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	portFile := filepath.Join(dir, "port")
	args := []string{"--cert-dir", filepath.Join(dir, "certs"), "--port-file", portFile}
	first, _ := startForExports(t, args...)
	port := rememberedPort(portFile)
	if port == 0 || !strings.Contains(first, "127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("port file holds %d; exports:\n%s", port, first)
	}
	second, _ := startForExports(t, args...)
	if second != first {
		t.Errorf("the restart changed the exports:\n%s\n---\n%s", first, second)
	}

	var lc net.ListenConfig
	taken, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	third, stderr := startForExports(t, args...)
	if strings.Contains(third, "127.0.0.1:"+strconv.Itoa(port)) || !strings.Contains(stderr, "is in use") {
		t.Errorf("with port %d taken: exports\n%s\nstderr %s", port, third, stderr)
	}
	if got := rememberedPort(portFile); got == port || got == 0 || !strings.Contains(third, "127.0.0.1:"+strconv.Itoa(got)) {
		t.Errorf("port file holds %d after the fallback (was %d)", got, port)
	}
}
