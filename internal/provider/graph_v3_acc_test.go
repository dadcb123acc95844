package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Acceptance tests of the Graph engine's v3 rules with the real terraform binary: the default mode
// meeting another writer, and an apply interrupted with SIGINT.

// TestAccGraph_foreignWriterInDefaultMode applies 60 clients with the default settings (no
// concurrent_writers) while the emulator's foreign writer edits the same agent: the run sees the other
// writer, settles by itself, warns once naming the application and the setting, and every managed
// entry and every entry the foreign writer kept is there at the end. A run sees the other writer only
// when one of its edits lands between a PATCH of the run and the run's next read (one that lands before
// the PATCH is overwritten unseen: the WriteReuse window of the default mode). At -parallelism=10 the
// sixty clients took few rounds, and in two of about a dozen CI runs no edit fell into those gaps;
// -parallelism=2 makes several times the rounds, so the gaps the other writer meets are many.
func TestAccGraph_foreignWriterInDefaultMode(t *testing.T) {
	env := newAccEnv(t, 60)
	env.requireEmulator(t)
	cli := newCLIWorkspaces(t)
	ws := cli.workspace(t, "work", clientsConfig(env, env.clients))
	// The foreign writer pre-authorizes its clients for another team's scope, which this workspace does
	// not manage.
	env.outOfBand(t).createScope(t, env.agent, model.PermissionScope{
		ID: "0f0f0f0f-0000-4000-8000-000000000041", Value: "other_scope", Type: "User",
		AdminConsentDisplayName: "Other", AdminConsentDescription: "Other.", Enabled: true,
	})
	env.emu.injectFaults(t, faults.Config{Latency: 20 * time.Millisecond, ForeignWriterRate: 15, ForeignWriterApp: env.agent, Seed: 41})
	code, out, _, err := cli.run(ws, "apply", "-auto-approve", "-parallelism=2", "-no-color")
	env.emu.clearFaults(t) // stops the foreign writer; it settles its own entries
	if err != nil || code != 0 {
		t.Fatalf("apply: exit %d, %v:\n%s", code, err, out)
	}
	report := env.emu.ts.Admin().ForeignWriter()
	if report.Edits == 0 {
		t.Fatal("the foreign writer made no edit during the apply")
	}
	const summary = "Another writer changed the agent application during this run"
	if n := strings.Count(out, summary); n != 1 {
		t.Fatalf("the warning %q appears %d times, want once:\n%s", summary, n, out)
	}
	for _, phrase := range []string{env.agentObjectID, "concurrent_writers = true", envConcurrentWriters} {
		if !strings.Contains(out, phrase) {
			t.Errorf("the warning does not name %q:\n%s", phrase, out)
		}
	}
	want := slicesClone(env.clients)
	for _, e := range report.Present {
		want = append(want, e.ClientAppID)
	}
	if err := env.preauthorizedExactly(t, want, ""); err != nil {
		t.Fatalf("after the apply beside another writer: %v", err)
	}
	cli.mustRun(t, ws, 0, "destroy", "-auto-approve", "-parallelism=10", "-no-color")
}

// TestAccGraph_interruptedApplyConverges interrupts an apply of 1 scope + 60 clients with SIGINT, as a
// CI cancel does, while the clients are being created, under a 1 s replication lag, at several
// moments: the next apply converges without asking for an import, Graph holds 60/60, the plan after
// it is empty and destroy removes everything.
func TestAccGraph_interruptedApplyConverges(t *testing.T) {
	for _, at := range []int{1, 20, 45} {
		t.Run(fmt.Sprintf("after%dentries", at), func(t *testing.T) {
			t.Parallel()
			env := newAccEnv(t, 60)
			env.requireEmulator(t)
			env.declareLag(time.Second)
			cli := newCLIWorkspaces(t)
			ws := cli.workspace(t, "work", clientsConfig(env, env.clients))
			env.emu.injectFaults(t, faults.Config{Latency: 20 * time.Millisecond, ReplicaLag: time.Second, StaleReadProbability: 0.5, Seed: uint64(at)})
			apply := []string{"apply", "-auto-approve", "-parallelism=10", "-no-color"}
			code, out := cli.runInterrupted(t, ws, func() bool {
				return len(env.emu.application(t, env.agent).PreAuthorized) >= at
			}, apply...)
			t.Logf("interrupted apply: exit %d, %d of 60 entries in Graph", code, len(env.emu.application(t, env.agent).PreAuthorized))
			if strings.Contains(out, "Error: Unexpected") {
				t.Errorf("the interrupted apply reported an unexpected error:\n%s", out)
			}
			code, out, _, err := cli.run(ws, apply...)
			if err != nil || code != 0 {
				t.Fatalf("the apply after the interrupted one: exit %d, %v:\n%s", code, err, out)
			}
			if strings.Contains(out, "import") {
				t.Errorf("the apply after the interrupted one mentions an import:\n%s", out)
			}
			if err := env.preauthorizedExactly(t, env.clients, stableScopeID(env.agent)); err != nil {
				t.Fatal(err)
			}
			cli.mustRun(t, ws, 0, "plan", "-detailed-exitcode", "-parallelism=10", "-no-color")
			cli.mustRun(t, ws, 0, "destroy", "-auto-approve", "-parallelism=10", "-no-color")
			if err := env.preauthorizedExactly(t, nil, ""); err != nil {
				t.Fatalf("after destroy: %v", err)
			}
		})
	}
}

// runInterrupted runs terraform in work and sends it SIGINT once when ready reports true (polled every
// 5 ms), as a CI system cancelling a job does; it returns the exit code and output.
func (w *cliWorkspaces) runInterrupted(t *testing.T, work string, ready func() bool, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := w.command(ctx, work, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	interrupted := false
	for {
		select {
		case err := <-done:
			if !interrupted {
				t.Fatalf("terraform finished before the moment to interrupt it:\n%s", out.String())
			}
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode(), out.String()
			}
			if err != nil {
				t.Fatal(err)
			}
			return 0, out.String()
		case <-tick.C:
			if !interrupted && ready() {
				if err := cmd.Process.Signal(os.Interrupt); err != nil {
					t.Fatal(err)
				}
				interrupted = true
			}
		}
	}
}
