package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// The figures of the issues (make figures): the real terraform binary and the built provider against
// one emulator with 50 ms of injected Graph latency, -parallelism=10. Each scenario reports the wall
// time and the Graph GET and PATCH counts of every phase, from the emulator's counters. They assert
// correctness only (everything present, plans empty, destroy complete), never time. Run with
// LKPS_FIGURES=1.

const figuresLatency = 50 * time.Millisecond

// cliWorkspaces runs the real terraform binary with the provider built from this repository (a dev
// override), for tests that need several terraform processes at once.
type cliWorkspaces struct {
	tf, dir string
	// env is added to the environment of every run (e.g. TF_VAR_… values).
	env []string
}

func newCLIWorkspaces(t *testing.T) *cliWorkspaces {
	t.Helper()
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			t.Skip("no terraform binary")
		}
	}
	dir := t.TempDir()
	build := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(dir, "terraform-provider-lkps"), "../..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	// bayer/lkpsfloor is the platform figures' plugin floor (testdata/pluginfloor), built by the scenario
	// that uses it.
	if err := os.WriteFile(filepath.Join(dir, "dev.tfrc"), []byte(fmt.Sprintf(
		"provider_installation {\n  dev_overrides {\n    %q = %q\n    %q = %q\n  }\n  direct {}\n}\n",
		"bayer/lkps", dir, "bayer/lkpsfloor", dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	return &cliWorkspaces{tf: tf, dir: dir}
}

// runAtOnce runs terraform with args in every workspace at the same time and returns each run's wall
// time; a run that fails fails the test.
func (w *cliWorkspaces) runAtOnce(t *testing.T, workspaces []string, args ...string) []time.Duration {
	t.Helper()
	var wg sync.WaitGroup
	walls := make([]time.Duration, len(workspaces))
	for i, ws := range workspaces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out, elapsed, err := w.run(ws, args...)
			walls[i] = elapsed
			if err != nil || code != 0 {
				t.Errorf("concurrent %s in %s: exit %d, %v:\n%s", args[0], filepath.Base(ws), code, err, out)
			}
		}()
	}
	wg.Wait()
	return walls
}

// workspace creates a working directory holding config.
func (w *cliWorkspaces) workspace(t *testing.T, name, config string) string {
	t.Helper()
	work := filepath.Join(w.dir, name)
	if err := os.MkdirAll(work, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	return work
}

// command is terraform in work with the dev override, the emulator's CA and w.env.
func (w *cliWorkspaces) command(ctx context.Context, work string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, w.tf, args...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+filepath.Join(w.dir, "dev.tfrc"), "CHECKPOINT_DISABLE=1",
		"SSL_CERT_FILE="+emulator.TestCAFile(), "TF_IN_AUTOMATION=1")
	cmd.Env = append(cmd.Env, w.env...)
	return cmd
}

// run runs terraform in work and returns its exit code, output and wall time.
func (w *cliWorkspaces) run(work string, args ...string) (int, string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := w.command(ctx, work, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), elapsed, nil
	}
	return 0, out.String(), elapsed, err
}

// mustRun runs terraform and fails the test unless it exits with want.
func (w *cliWorkspaces) mustRun(t *testing.T, work string, want int, args ...string) time.Duration {
	t.Helper()
	code, out, elapsed, err := w.run(work, args...)
	if err != nil {
		t.Fatalf("terraform %s in %s: %v", args[0], filepath.Base(work), err)
	}
	if code != want {
		t.Fatalf("terraform %s in %s exited %d, want %d:\n%s", args[0], filepath.Base(work), code, want, out)
	}
	return elapsed
}

// teamConfig pre-authorizes clients for an existing scope of the agent: a client team's workspace
// (the platform team's workspace owns the scope).
func teamConfig(env *accEnv, scopeID string, clients []string) string {
	var ids strings.Builder
	for _, c := range clients {
		fmt.Fprintf(&ids, "    %q,\n", c)
	}
	return fmt.Sprintf(`terraform {
  required_providers {
    lkps = { source = "bayer/lkps" }
  }
}
%s
locals {
  clients = [
%s  ]
}
resource "lkps_preauthorized_client" "client" {
  for_each        = toset(local.clients)
  agent_client_id = %q
  client_id       = each.value
  scope_id        = %q
}
`, env.providerBlock, ids.String(), env.agent, scopeID)
}

// sharedScope is the agent's scope, created out of band by "the platform team".
var sharedScope = model.PermissionScope{
	ID: "5c09e5c0-0000-4000-8000-000000000015", Value: "access_as_client", Type: "User",
	AdminConsentDisplayName: "Access the agent", AdminConsentDescription: "Lets clients start sessions.", Enabled: true,
}

// figures is one scenario: an emulator, a workspace and the table of measured phases.
type figures struct {
	t     *testing.T
	env   *accEnv
	cli   *cliWorkspaces
	work  string
	rows  []string
	walls map[string]time.Duration
}

func newFigures(t *testing.T, clients int) *figures {
	t.Helper()
	if os.Getenv("LKPS_FIGURES") == "" {
		t.Skip("set LKPS_FIGURES=1 to measure (make figures)")
	}
	env := newEmulatorAccEnv(t, clients)
	env.useProviderDefaults() // the figures are of the default settings
	return &figures{t: t, env: env, cli: newCLIWorkspaces(t), walls: map[string]time.Duration{},
		rows: []string{"| phase | wall | GETs | PATCHes |", "|---|---|---|---|"}}
}

// graphGETs counts every Graph GET of the counters: single applications, filtered lists of
// applications, and service principals (single and filtered lists).
func graphGETs(c map[string]int64) int64 {
	return c[graphapi.RouteGetApplication] + c[graphapi.RouteListApplications] +
		c[graphapi.RouteGetServicePrincipal] + c[graphapi.RouteListServicePrincipals]
}

// graphRoutes keeps the Graph routes of the counters (those that were used), for the log.
func graphRoutes(c map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for route, n := range c {
		if strings.HasPrefix(route, "graph ") && n > 0 {
			out[route] = n
		}
	}
	return out
}

func (f *figures) faults(cfg faults.Config) {
	f.t.Helper()
	if err := f.env.emu.ts.Admin().SetFaults(cfg); err != nil {
		f.t.Fatal(err)
	}
}

// phase runs terraform in dir, adds a row and returns the wall time; perAgent > 0 adds per-agent
// request counts.
func (f *figures) phase(name, dir string, wantExit, perAgent int, args ...string) time.Duration {
	f.t.Helper()
	admin := f.env.emu.ts.Admin()
	admin.ResetCounters()
	if logs := os.Getenv("LKPS_FIGURES_TF_LOG_DIR"); logs != "" {
		// Where the time goes: Terraform core's debug log of each phase (graph walks, resource starts),
		// one file each. TF_LOG would also turn on the provider's logs, which costs CPU the figures
		// do not measure (plugin_logs.go).
		env := f.cli.env
		f.cli.env = append(slices.Clone(env), "TF_LOG_CORE=DEBUG",
			"TF_LOG_PATH="+filepath.Join(logs, fmt.Sprintf("%s-%s.log", f.t.Name(), strings.ReplaceAll(name, " ", "_"))))
		defer func() { f.cli.env = env }()
	}
	elapsed := f.cli.mustRun(f.t, dir, wantExit, args...)
	c := admin.Counters()
	gets, patches := graphGETs(c), c[graphapi.RoutePatchApplication]
	f.t.Logf("%s: Graph requests by route: %v", name, graphRoutes(c))
	f.walls[name] = elapsed
	row := fmt.Sprintf("| %s | %.1f s | %d | %d |", name, elapsed.Seconds(), gets, patches)
	if perAgent > 0 {
		row = fmt.Sprintf("| %s | %.1f s | %d (%.1f per agent) | %d (%.1f per agent) |", name, elapsed.Seconds(),
			gets, float64(gets)/float64(perAgent), patches, float64(patches)/float64(perAgent))
	}
	f.rows = append(f.rows, row)
	return elapsed
}

func (f *figures) report(title string) {
	f.t.Logf("%s:\n%s", title, strings.Join(f.rows, "\n"))
}

// removeOutOfBand removes the client's entry from the agent, as someone in the portal would.
func (f *figures) removeOutOfBand(agent, client string) {
	f.t.Helper()
	app := f.env.emu.application(f.t, agent)
	var kept []map[string]any
	for _, p := range app.PreAuthorized {
		if !strings.EqualFold(p.AppID, client) {
			kept = append(kept, map[string]any{"appId": p.AppID, "delegatedPermissionIds": p.DelegatedPermissionIDs})
		}
	}
	if kept == nil {
		kept = []map[string]any{}
	}
	body, err := json.Marshal(map[string]any{"api": map[string]any{"preAuthorizedApplications": kept}})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.env.emu.ts.Admin().PatchApplication(agent, body); err != nil {
		f.t.Fatal(err)
	}
}

func clientsConfig(env *accEnv, clients []string) string {
	var ids strings.Builder
	for i, c := range clients {
		fmt.Fprintf(&ids, "    c%02d = %q\n", i, c)
	}
	return fmt.Sprintf(`terraform {
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
}

// TestFigures60Clients: one scope and 60 pre-authorized clients. Apply, plan and destroy without
// faults; a drift plan after 10 entries were removed out of band; then apply and destroy again under
// a 2 s replication lag with 50% stale reads (no 409/429), to compare with the fault-free apply.
func TestFigures60Clients(t *testing.T) {
	const clients = 60
	f := newFigures(t, clients)
	env := f.env
	f.work = f.cli.workspace(t, "work", clientsConfig(env, env.clients))
	f.faults(faults.Config{Latency: figuresLatency})
	apply := []string{"apply", "-auto-approve", "-parallelism=10", "-no-color"}
	plan := []string{"plan", "-detailed-exitcode", "-parallelism=10", "-no-color"}
	destroy := []string{"destroy", "-auto-approve", "-parallelism=10", "-no-color"}

	f.phase("apply", f.work, 0, 0, apply...)
	if err := env.preauthorizedExactly(t, env.clients, stableScopeID(env.agent)); err != nil {
		t.Fatal(err)
	}
	f.phase("plan", f.work, 0, 0, plan...)
	for _, c := range env.clients[:10] {
		f.removeOutOfBand(env.agent, c)
	}
	f.phase("drift plan (10 removed)", f.work, 2, 0, plan...)
	f.phase("destroy", f.work, 0, 0, destroy...)
	if err := env.preauthorizedExactly(t, nil, ""); err != nil {
		t.Fatal(err)
	}

	applies, destroys := []time.Duration{f.walls["apply"]}, []time.Duration{f.walls["destroy"]}
	for round := 2; round <= 3; round++ {
		applies = append(applies, f.phase(fmt.Sprintf("apply %d", round), f.work, 0, 0, apply...))
		destroys = append(destroys, f.phase(fmt.Sprintf("destroy %d", round), f.work, 0, 0, destroy...))
	}
	if err := env.preauthorizedExactly(t, nil, ""); err != nil {
		t.Fatal(err)
	}
	f.mediansRow(applies, destroys)

	f.faults(faults.Config{Latency: figuresLatency, ReplicaLag: 2 * time.Second, StaleReadProbability: 0.5, Seed: 60})
	f.phase("apply, 2 s lag", f.work, 0, 0, apply...)
	if err := env.preauthorizedExactly(t, env.clients, stableScopeID(env.agent)); err != nil {
		t.Fatal(err)
	}
	f.phase("plan, 2 s lag", f.work, 0, 0, plan...)
	f.phase("destroy, 2 s lag", f.work, 0, 0, destroy...)
	if err := env.preauthorizedExactly(t, nil, ""); err != nil {
		t.Fatal(err)
	}
	f.rows = append(f.rows, fmt.Sprintf("| lag apply / no-fault apply | %.2fx | | |",
		f.walls["apply, 2 s lag"].Seconds()/f.walls["apply"].Seconds()))
	f.rows = append(f.rows, fmt.Sprintf("| drift plan - clean plan | %+.1f s | | |",
		(f.walls["drift plan (10 removed)"]-f.walls["plan"]).Seconds()))
	f.report(fmt.Sprintf("%d pre-authorized clients, 50 ms Graph latency, -parallelism=10", clients))
}

// TestFiguresPlatform: the layout platform teams use, 100 agents x (1 scope + 5 clients) with
// for_each over agents x clients. Apply, plan, a drift plan after one entry was removed on each of 10
// agents, destroy; requests per agent.
func TestFiguresPlatform(t *testing.T) {
	const agents, perAgent = 100, 5
	f := newFigures(t, perAgent+1) // the last client is the one line added later
	env := f.env
	admin := env.emu.ts.Admin()
	ids := []string{env.agent}
	for i := 1; i < agents; i++ {
		a, err := admin.CreateApplication(emulator.SeedApplication{
			DisplayName: fmt.Sprintf("platform agent %d", i), Owners: []string{env.emu.ts.DeployerClientID},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strings.ToLower(a.Application.AppID))
	}
	quote := func(list []string) string {
		q := make([]string, len(list))
		for i, s := range list {
			q[i] = fmt.Sprintf("%q", s)
		}
		return strings.Join(q, ",\n    ")
	}
	// The agents, their clients and every (agent, client) pair, as a platform repository lists them.
	layout := fmt.Sprintf(`locals {
  agents  = [
    %s
  ]
  clients = [
    %s
  ]
  pairs = { for p in setproduct(local.agents, local.clients) : "${p[0]}/${p[1]}" => { agent = p[0], client = p[1] } }
}
`, quote(ids), quote(env.clients[:perAgent]))
	resources := `resource "lkps_agent_client_scope" "agent" {
  for_each        = toset(local.agents)
  agent_client_id = each.value
}
resource "lkps_preauthorized_client" "client" {
  for_each        = local.pairs
  agent_client_id = lkps_agent_client_scope.agent[each.value.agent].agent_client_id
  client_id       = each.value.client
  scope_id        = lkps_agent_client_scope.agent[each.value.agent].scope_id
}
`
	config := fmt.Sprintf("terraform {\n  required_providers {\n    lkps = { source = \"bayer/lkps\" }\n  }\n}\n%s\n%s%s",
		env.providerBlock, layout, resources)
	f.work = f.cli.workspace(t, "platform", config)
	f.faults(faults.Config{Latency: figuresLatency})
	f.phase("apply", f.work, 0, agents, "apply", "-auto-approve", "-parallelism=10", "-no-color")
	for _, a := range ids {
		app := env.emu.application(t, a)
		if len(app.PreAuthorized) != perAgent || len(app.Scopes) != 1 {
			t.Fatalf("agent %s: %d entries, %d scopes after apply", a, len(app.PreAuthorized), len(app.Scopes))
		}
	}
	f.phase("plan", f.work, 0, agents, "plan", "-detailed-exitcode", "-parallelism=10", "-no-color")
	for i := range 10 {
		f.removeOutOfBand(ids[i*10], env.clients[i%perAgent])
	}
	f.phase("drift plan (1 removed on 10 agents)", f.work, 2, agents, "plan", "-detailed-exitcode", "-parallelism=10", "-no-color")
	// Repair the drift, then change one line: one more client on one agent.
	f.phase("apply (repairs the drift)", f.work, 0, agents, "apply", "-auto-approve", "-parallelism=10", "-no-color")
	added := env.clients[perAgent]
	if err := os.WriteFile(filepath.Join(f.work, "added.tf"), []byte(fmt.Sprintf(`resource "lkps_preauthorized_client" "added" {
  agent_client_id = lkps_agent_client_scope.agent[%q].agent_client_id
  client_id       = %q
  scope_id        = lkps_agent_client_scope.agent[%q].scope_id
}
`, ids[0], added, ids[0])), 0o600); err != nil {
		t.Fatal(err)
	}
	f.phase("one line changed (one client added), apply", f.work, 0, agents, "apply", "-auto-approve", "-parallelism=10", "-no-color")
	if _, ok := env.emu.application(t, ids[0]).PreAuthorization(added); !ok {
		t.Fatal("the added client is not pre-authorized")
	}
	f.phase("destroy", f.work, 0, agents, "destroy", "-auto-approve", "-parallelism=10", "-no-color")
	for _, a := range ids {
		app := env.emu.application(t, a)
		if len(app.PreAuthorized) != 0 || len(app.Scopes) != 0 {
			t.Fatalf("agent %s: %d entries, %d scopes after destroy", a, len(app.PreAuthorized), len(app.Scopes))
		}
	}
	f.rows = append(f.rows, fmt.Sprintf("| drift plan - clean plan | %+.1f s | | |",
		(f.walls["drift plan (1 removed on 10 agents)"]-f.walls["plan"]).Seconds()))
	if err := os.Remove(filepath.Join(f.work, "added.tf")); err != nil {
		t.Fatal(err)
	}
	// Terraform's own share: the same layout of 600 resources, for_each and references with
	// terraform_data (Terraform's built-in provider: no plugin process, no Graph), so that a figure
	// of a machine whose speed varies from day to day can be read as Terraform's floor plus the
	// provider's cost. Three rounds, the floor and the provider alternated in each, so that a slow
	// minute of the machine falls on both; the ratio is of the medians.
	floor := f.cli.workspace(t, "floor", layout+`resource "terraform_data" "agent" {
  for_each = toset(local.agents)
  input    = each.value
}
resource "terraform_data" "client" {
  for_each = local.pairs
  input    = "${terraform_data.agent[each.value.agent].output}/${each.value.client}"
}
`)
	// The plugin floor: the same resources, with lkps's schemas, served by a plugin process that does
	// nothing else (testdata/pluginfloor): Terraform's floor plus the plugin protocol, without Graph.
	build := exec.CommandContext(t.Context(), "go", "build", "-o", filepath.Join(f.cli.dir, "terraform-provider-lkpsfloor"), "./testdata/pluginfloor")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the plugin floor: %v\n%s", err, out)
	}
	plugin := f.cli.workspace(t, "plugin-floor", "terraform {\n  required_providers {\n    lkps = { source = \"bayer/lkpsfloor\" }\n  }\n}\n"+
		layout+resources)
	var lkpsApply, lkpsDestroy, floorApply, floorDestroy, pluginApply, pluginDestroy []time.Duration
	for round := 1; round <= 3; round++ {
		name := func(what string) string { return fmt.Sprintf("round %d: %s", round, what) }
		floorApply = append(floorApply, f.phase(name("Terraform alone (terraform_data, same layout), apply"), floor, 0, 0, "apply", "-auto-approve", "-parallelism=10", "-no-color"))
		pluginApply = append(pluginApply, f.phase(name("plugin floor (lkps schemas, no Graph), apply"), plugin, 0, 0, "apply", "-auto-approve", "-parallelism=10", "-no-color"))
		lkpsApply = append(lkpsApply, f.phase(name("lkps apply"), f.work, 0, agents, "apply", "-auto-approve", "-parallelism=10", "-no-color"))
		floorDestroy = append(floorDestroy, f.phase(name("Terraform alone, destroy"), floor, 0, 0, "destroy", "-auto-approve", "-parallelism=10", "-no-color"))
		pluginDestroy = append(pluginDestroy, f.phase(name("plugin floor, destroy"), plugin, 0, 0, "destroy", "-auto-approve", "-parallelism=10", "-no-color"))
		lkpsDestroy = append(lkpsDestroy, f.phase(name("lkps destroy"), f.work, 0, agents, "destroy", "-auto-approve", "-parallelism=10", "-no-color"))
	}
	for _, r := range []struct {
		what                string
		lkps, floor, plugin []time.Duration
	}{{"apply", lkpsApply, floorApply, pluginApply}, {"destroy", lkpsDestroy, floorDestroy, pluginDestroy}} {
		l, fl, pl := median(r.lkps).Seconds(), median(r.floor).Seconds(), median(r.plugin).Seconds()
		f.rows = append(f.rows, fmt.Sprintf("| %s, median of 3: lkps / Terraform's floor | %.1f s / %.1f s = %.2fx | | |", r.what, l, fl, l/fl),
			fmt.Sprintf("| %s, median of 3: plugin floor / Terraform's floor; lkps / plugin floor | %.1f s / %.1f s = %.2fx; %.2fx | | |",
				r.what, pl, fl, pl/fl, l/pl))
	}
	f.report(fmt.Sprintf("platform repository: %d agents x (1 scope + %d clients), 50 ms Graph latency, -parallelism=10", agents, perAgent))
}

// TestFiguresTwoWorkspaces: two working directories, 15 different clients each on one agent whose
// scope exists, under 50 ms latency and a 2 s replication lag with 50% stale reads: the wall time of
// one apply alone, then of both applied at the same moment.
func TestFiguresTwoWorkspaces(t *testing.T) {
	f := newFigures(t, 30)
	env := f.env
	env.declareConcurrentWriters() // two workspaces apply at once
	scope := sharedScope
	// The platform team's scope, created through the provider's own package out of band.
	env.outOfBand(t).createScope(t, env.agent, scope)
	wsA := f.cli.workspace(t, "team-a", teamConfig(env, scope.ID, env.clients[:15]))
	wsB := f.cli.workspace(t, "team-b", teamConfig(env, scope.ID, env.clients[15:]))
	f.faults(faults.Config{Latency: figuresLatency, ReplicaLag: 2 * time.Second, StaleReadProbability: 0.5, Seed: 2})
	time.Sleep(2500 * time.Millisecond) // the scope predates the lag
	apply := []string{"apply", "-auto-approve", "-parallelism=10", "-no-color"}
	destroy := []string{"destroy", "-auto-approve", "-parallelism=10", "-no-color"}
	f.phase("team-a apply alone", wsA, 0, 0, apply...)
	f.phase("team-a destroy alone", wsA, 0, 0, destroy...)

	admin := env.emu.ts.Admin()
	admin.ResetCounters()
	walls := f.cli.runAtOnce(t, []string{wsA, wsB}, apply...)
	if t.Failed() {
		return
	}
	c := admin.Counters()
	f.rows = append(f.rows, fmt.Sprintf("| team-a apply, concurrent | %.1f s | %d (both) | %d (both) |", walls[0].Seconds(),
		graphGETs(c), c[graphapi.RoutePatchApplication]))
	f.rows = append(f.rows, fmt.Sprintf("| team-b apply, concurrent | %.1f s | | |", walls[1].Seconds()))
	if err := env.preauthorizedExactly(t, env.clients, scope.ID); err != nil {
		t.Fatal(err)
	}
	f.cli.mustRun(t, wsA, 0, "plan", "-detailed-exitcode", "-no-color")
	f.cli.mustRun(t, wsB, 0, "plan", "-detailed-exitcode", "-no-color")
	f.report("two workspaces x 15 clients on one agent, 50 ms latency, 2 s lag + 50% stale reads")
}

// TestFiguresSmall: the smallest onboarding, one scope and three clients: apply and destroy three times
// (the median is reported), then apply and destroy under a 2 s replication lag with 50% stale reads and
// 5% 429s, which must be exact.
func TestFiguresSmall(t *testing.T) {
	f := newFigures(t, 3)
	env := f.env
	f.work = f.cli.workspace(t, "small", clientsConfig(env, env.clients))
	apply := []string{"apply", "-auto-approve", "-parallelism=10", "-no-color"}
	destroy := []string{"destroy", "-auto-approve", "-parallelism=10", "-no-color"}
	f.faults(faults.Config{Latency: figuresLatency})
	var applies, destroys []time.Duration
	for i := range 3 {
		applies = append(applies, f.phase(fmt.Sprintf("apply %d", i+1), f.work, 0, 0, apply...))
		if err := env.preauthorizedExactly(t, env.clients, stableScopeID(env.agent)); err != nil {
			t.Fatal(err)
		}
		destroys = append(destroys, f.phase(fmt.Sprintf("destroy %d", i+1), f.work, 0, 0, destroy...))
		if err := env.preauthorizedExactly(t, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	f.mediansRow(applies, destroys)
	f.faults(faults.Config{Latency: figuresLatency, ReplicaLag: 2 * time.Second, StaleReadProbability: 0.5,
		ThrottleProbability: 0.05, RetryAfterSeconds: 1, Seed: 3})
	f.phase("apply, 2 s lag + 50% stale + 5% 429", f.work, 0, 0, apply...)
	if err := env.preauthorizedExactly(t, env.clients, stableScopeID(env.agent)); err != nil {
		t.Fatal(err)
	}
	f.cli.mustRun(t, f.work, 0, "plan", "-detailed-exitcode", "-no-color")
	f.phase("destroy, 2 s lag + 50% stale + 5% 429", f.work, 0, 0, destroy...)
	if err := env.preauthorizedExactly(t, nil, ""); err != nil {
		t.Fatal(err)
	}
	f.report("1 scope + 3 clients, 50 ms Graph latency, -parallelism=10")
}

// mediansRow adds the row of the median apply and destroy of repeated rounds.
func (f *figures) mediansRow(applies, destroys []time.Duration) {
	f.rows = append(f.rows, fmt.Sprintf("| apply / destroy, median of %d | %.1f s / %.1f s | | |",
		len(applies), median(applies).Seconds(), median(destroys).Seconds()))
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	slices.Sort(s)
	return s[len(s)/2]
}
