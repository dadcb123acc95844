package provider

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

// TestFigures60Clients measures the scenario: one scope and 60 pre-authorized clients with 50 ms
// of injected Graph latency, applied with Terraform's default -parallelism=10, by the real terraform
// binary and the built provider. It reports the wall time of apply, plan (refresh) and destroy and the
// Graph GET and PATCH counts of each, from the emulator's counters. It asserts correctness only (all 60
// present, the plan empty, destroy complete), never time. Run with LKPS_FIGURES=1 (make figures).
func TestFigures60Clients(t *testing.T) {
	if os.Getenv("LKPS_FIGURES") == "" {
		t.Skip("set LKPS_FIGURES=1 to measure (make figures)")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			t.Skip("no terraform binary")
		}
	}
	const clients = 60
	dir := t.TempDir()
	build := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(dir, "terraform-provider-lkps"), "../..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	env := newEmulatorAccEnv(t, clients)
	if err := os.WriteFile(filepath.Join(dir, "dev.tfrc"), []byte(fmt.Sprintf(
		"provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n", "bayer/lkps", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(dir, "work")
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	var ids strings.Builder
	for i, c := range env.clients {
		fmt.Fprintf(&ids, "    c%02d = %q\n", i, c)
	}
	config := fmt.Sprintf(`terraform {
  required_providers {
    lkps = { source = "bayer/lkps" }
  }
}
%s
resource "lkps_agent_client_scope" "agent" {
  agent_client_id = %q
}
resource "lkps_preauthorized_client" "client" {
  for_each        = {
%s  }
  agent_client_id = lkps_agent_client_scope.agent.agent_client_id
  client_id       = each.value
  scope_id        = lkps_agent_client_scope.agent.scope_id
}
`, env.providerBlock, env.agent, ids.String())
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	admin := env.emu.ts.Admin()
	if err := admin.SetFaults(faults.Config{Latency: 50 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}

	run := func(phase string, wantExit int, args ...string) string {
		t.Helper()
		admin.ResetCounters()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, tf, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(),
			"TF_CLI_CONFIG_FILE="+filepath.Join(dir, "dev.tfrc"), "CHECKPOINT_DISABLE=1",
			"SSL_CERT_FILE="+emulator.TestCAFile(), "TF_IN_AUTOMATION=1")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		start := time.Now()
		err := cmd.Run()
		elapsed := time.Since(start)
		code := 0
		if ee, ok := err.(*exec.ExitError); ok { //nolint:errorlint // exec returns it unwrapped
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("%s: %v", phase, err)
		}
		if code != wantExit {
			t.Fatalf("%s exited %d, want %d:\n%s", phase, code, wantExit, out.String())
		}
		c := admin.Counters()
		return fmt.Sprintf("| %-7s | %6.1f s | %4d | %4d |", phase, elapsed.Seconds(), c[graphapi.RouteGetApplication], c[graphapi.RoutePatchApplication])
	}
	rows := []string{
		"| phase   | wall     | GETs | PATCHes |",
		"|---------|----------|------|---------|",
		run("apply", 0, "apply", "-auto-approve", "-parallelism=10", "-no-color"),
	}
	if err := env.preauthorizedExactly(t, env.clients, stableScopeID(env.agent)); err != nil {
		t.Fatal(err)
	}
	rows = append(rows, run("plan", 0, "plan", "-detailed-exitcode", "-parallelism=10", "-no-color"))
	rows = append(rows, run("destroy", 0, "destroy", "-auto-approve", "-parallelism=10", "-no-color"))
	if err := env.preauthorizedExactly(t, nil, ""); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d pre-authorized clients, 50 ms injected Graph latency, -parallelism=10:\n%s", clients, strings.Join(rows, "\n"))
}
