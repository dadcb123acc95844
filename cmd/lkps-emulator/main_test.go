package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run([]string{"--help"}, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run --help = %v, want flag.ErrHelp", err)
	}
	for _, name := range []string{
		"host", "port", "seed", "state", "cert-dir", "env-file", "environment", "region", "token-lifetime", "rand-seed",
		"latency", "replica-lag", "stale-read-probability", "conflict-probability", "conflict-next-writes",
		"throttle-probability", "throttle-next", "retry-after", "unavailable-probability", "unavailable-next",
		"fault-seed", "log-level",
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
		if err := run(args, &stdout, &stderr); err == nil {
			t.Errorf("%s: run(%q) succeeded", name, args)
		}
		if stdout.Len() != 0 {
			t.Errorf("%s: printed exports before failing: %q", name, stdout.String())
		}
	}
}
