package provider

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// This file tests the provider as one of several writers of an agent application: two Terraform
// workspaces applied at the same moment, a third writer editing between requests, and writes whose
// answer is lost (graph-behaviour.md, "Other writers").

// TestAccMultiWriter_twoWorkspaces applies two working directories at the same moment, each
// pre-authorizing 15 different clients on one agent, under a 2 s replication lag with 50% stale
// reads: both applies succeed, Graph holds all 30, both next plans are empty, and destroying one
// leaves the other's 15. LKPS_ACC_CONCURRENCY_RUNS repeats it.
func TestAccMultiWriter_twoWorkspaces(t *testing.T) {
	runTwoWorkspaces(t, func(run int) faults.Config {
		return faults.Config{ReplicaLag: 2 * time.Second, StaleReadProbability: 0.5, Seed: uint64(run)}
	})
}

// TestAccMultiWriter_twoWorkspacesThrottled is the two-workspace test with 20% of the requests
// answered 429 with Retry-After: 9 under a 1 s lag: a writer waiting out the 9 s must not resend a
// body built before the other writer's entries (the stale-resend hole), so Graph holds 30 of 30.
func TestAccMultiWriter_twoWorkspacesThrottled(t *testing.T) {
	runTwoWorkspaces(t, func(run int) faults.Config {
		return faults.Config{ReplicaLag: time.Second, StaleReadProbability: 0.5, ThrottleProbability: 0.2,
			RetryAfterSeconds: 9, Seed: uint64(100 + run)}
	})
}

// runTwoWorkspaces applies two working directories at the same moment, each pre-authorizing 15
// different clients on one agent (concurrent_writers = true in both), under the faults of the run:
// both applies succeed, Graph holds all 30, both next plans are empty, and destroying one leaves the
// other's 15. LKPS_ACC_CONCURRENCY_RUNS repeats it.
func runTwoWorkspaces(t *testing.T, profile func(run int) faults.Config) {
	runs := envInt("LKPS_ACC_CONCURRENCY_RUNS", 1)
	for run := 1; run <= runs; run++ {
		t.Run(fmt.Sprintf("run%d", run), func(t *testing.T) {
			env := newAccEnv(t, 30)
			env.requireEmulator(t)
			cfg := profile(run)
			env.declareLag(cfg.ReplicaLag)
			env.declareConcurrentWriters() // two workspaces apply at once
			cli := newCLIWorkspaces(t)
			env.outOfBand(t).createScope(t, env.agent, sharedScope)
			teamA, teamB := env.clients[:15], env.clients[15:]
			wsA := cli.workspace(t, "team-a", teamConfig(env, sharedScope.ID, teamA))
			wsB := cli.workspace(t, "team-b", teamConfig(env, sharedScope.ID, teamB))
			// The platform team created the scope well before the client teams apply: past the lag.
			time.Sleep(cfg.ReplicaLag + 500*time.Millisecond)
			env.emu.injectFaults(t, cfg)

			walls := cli.runAtOnce(t, []string{wsA, wsB}, "apply", "-auto-approve", "-parallelism=10", "-no-color")
			if t.Failed() {
				return
			}
			t.Logf("concurrent applies: team-a %.1f s, team-b %.1f s; injected %v", walls[0].Seconds(), walls[1].Seconds(), env.emu.ts.Admin().Injected())
			if err := env.preauthorizedExactly(t, env.clients, sharedScope.ID); err != nil {
				t.Fatalf("after both applies: %v", err)
			}
			// Under the same faults, each workspace's next plan is empty.
			cli.mustRun(t, wsA, 0, "plan", "-detailed-exitcode", "-parallelism=10", "-no-color")
			cli.mustRun(t, wsB, 0, "plan", "-detailed-exitcode", "-parallelism=10", "-no-color")
			env.emu.clearFaults(t)
			cli.mustRun(t, wsA, 0, "destroy", "-auto-approve", "-parallelism=10", "-no-color")
			if err := env.preauthorizedExactly(t, teamB, sharedScope.ID); err != nil {
				t.Fatalf("after destroying team-a: %v", err)
			}
			cli.mustRun(t, wsB, 0, "destroy", "-auto-approve", "-parallelism=10", "-no-color")
			if err := env.preauthorizedExactly(t, nil, sharedScope.ID); err != nil {
				t.Fatalf("after destroying both: %v", err)
			}
		})
	}
}

// TestAccMultiWriter_thirdWriter applies 30 clients while the emulator's foreign writer adds and
// removes entries of its own on the same agent, between the provider's requests: every managed entry
// is present at the end, and every entry the foreign writer added and did not remove is still there.
func TestAccMultiWriter_thirdWriter(t *testing.T) {
	env := newAccEnv(t, 30)
	env.requireEmulator(t)
	env.declareConcurrentWriters() // the foreign writer works at the same time
	foreign := faults.Config{Latency: 20 * time.Millisecond, ForeignWriterRate: 10, ForeignWriterApp: env.agent, Seed: 30}
	var report emulator.ForeignWriterReport
	checkForeign := func() error {
		app := env.emu.application(t, env.agent)
		for _, e := range report.Present {
			if _, ok := app.PreAuthorization(e.ClientAppID); !ok {
				return fmt.Errorf("the foreign writer's entry %s is gone", e.ClientAppID)
			}
		}
		for _, e := range report.Removed {
			if _, ok := app.PreAuthorization(e.ClientAppID); ok {
				return fmt.Errorf("the foreign writer's removed entry %s is back", e.ClientAppID)
			}
		}
		return nil
	}
	foreignClients := func() []string {
		var out []string
		for _, e := range report.Present {
			out = append(out, e.ClientAppID)
		}
		return out
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		CheckDestroy: func(*terraformState) error {
			if err := checkForeign(); err != nil {
				return err
			}
			return env.preauthorizedExactly(t, foreignClients(), "")
		},
		Steps: []resource.TestStep{{
			PreConfig: func() {
				// The foreign writer pre-authorizes its clients for the application's first scope:
				// another team's scope, which this workspace does not manage.
				env.outOfBand(t).createScope(t, env.agent, model.PermissionScope{
					ID: "0f0f0f0f-0000-4000-8000-000000000030", Value: "other_scope", Type: "User",
					AdminConsentDisplayName: "Other", AdminConsentDescription: "Other.", Enabled: true,
				})
				env.emu.injectFaults(t, foreign)
			},
			Config: preauthConfig(env, env.clients),
			Check: func(*terraformState) error {
				env.emu.clearFaults(t) // stops the foreign writer; it settles its own entries
				report = env.emu.ts.Admin().ForeignWriter()
				t.Logf("foreign writer: %d edits, %d repairs, %d entries kept, %d removed",
					report.Edits, report.Repairs, len(report.Present), len(report.Removed))
				if report.Edits == 0 {
					return errors.New("the foreign writer made no edit during the apply")
				}
				if err := checkForeign(); err != nil {
					return err
				}
				return env.preauthorizedExactly(t, append(slicesClone(env.clients), foreignClients()...), "")
			},
		}},
	})
}

// TestAccMultiWriter_ambiguousWrites applies 60 clients while 10% of Graph's committed PATCHes are
// answered with 503, 504 or a dropped connection, on top of replication lag, 409s and 429s: 60/60,
// no duplicate entries, the next plan empty, destroy exact. LKPS_ACC_CONCURRENCY_RUNS repeats it.
func TestAccMultiWriter_ambiguousWrites(t *testing.T) {
	profile := faultProfileHostile
	profile.AmbiguousWriteProbability = 0.1
	runs := envInt("LKPS_ACC_CONCURRENCY_RUNS", 1)
	for run := 1; run <= runs; run++ {
		t.Run(fmt.Sprintf("run%d", run), func(t *testing.T) {
			env := newAccEnv(t, 60)
			env.requireEmulator(t)
			env.declareLag(profile.ReplicaLag) // one writer: the defaults otherwise
			profile.Seed = uint64(run) * 7919
			noDuplicates := func() error {
				seen := map[string]bool{}
				for _, p := range env.emu.application(t, env.agent).PreAuthorized {
					k := strings.ToLower(p.AppID)
					if seen[k] {
						return fmt.Errorf("client %s has two entries", p.AppID)
					}
					seen[k] = true
					ids := map[string]bool{}
					for _, id := range p.DelegatedPermissionIDs {
						if ids[strings.ToLower(id)] {
							return fmt.Errorf("client %s holds permission %s twice", p.AppID, id)
						}
						ids[strings.ToLower(id)] = true
					}
				}
				return nil
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				CheckDestroy: func(*terraformState) error {
					env.emu.clearFaults(t)
					if err := noDuplicates(); err != nil {
						return err
					}
					return env.preauthorizedExactly(t, nil, "")
				},
				Steps: []resource.TestStep{{
					PreConfig: func() { env.emu.injectFaults(t, profile) },
					Config:    preauthConfig(env, env.clients),
					Check: func(*terraformState) error {
						injected := env.emu.ts.Admin().Injected()
						t.Logf("apply with ambiguous writes: injected %v; provider Graph client: %s", injected,
							formatStats(builtGraphClients.take(env.graphBaseURL)))
						if err := noDuplicates(); err != nil {
							return err
						}
						return env.preauthorizedExactly(t, env.clients, stableScopeID(env.agent))
					},
				}},
			})
		})
	}
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// TestAccMultiWriter_commandAfterCommandUnderLag: a command started right after another (a
// pipeline's plan after its apply, a destroy right after an apply, also with -refresh=false) sees
// every write the previous command reported, under a 2 s replication lag with 50% stale reads.
func TestAccMultiWriter_commandAfterCommandUnderLag(t *testing.T) {
	env := newAccEnv(t, 30)
	env.requireEmulator(t)
	env.declareLag(2 * time.Second) // sequential commands: no concurrent_writers
	cli := newCLIWorkspaces(t)
	ws := cli.workspace(t, "pipeline", clientsConfig(env, env.clients))
	env.emu.injectFaults(t, faults.Config{ReplicaLag: 2 * time.Second, StaleReadProbability: 0.5, Seed: 77})
	apply := []string{"apply", "-auto-approve", "-parallelism=10", "-no-color"}
	destroy := []string{"destroy", "-auto-approve", "-parallelism=10", "-no-color"}
	scope := stableScopeID(env.agent)

	cli.mustRun(t, ws, 0, apply...)
	cli.mustRun(t, ws, 0, "plan", "-detailed-exitcode", "-no-color")
	cli.mustRun(t, ws, 0, "plan", "-detailed-exitcode", "-refresh=false", "-no-color")
	cli.mustRun(t, ws, 0, append(destroy, "-refresh=false")...)
	if err := env.preauthorizedExactly(t, nil, ""); err != nil {
		t.Fatalf("after apply, plan and destroy -refresh=false: %v", err)
	}
	cli.mustRun(t, ws, 0, apply...)
	cli.mustRun(t, ws, 0, destroy...)
	if err := env.preauthorizedExactly(t, nil, ""); err != nil {
		t.Fatalf("after apply then destroy: %v", err)
	}
	cli.mustRun(t, ws, 0, apply...)
	cli.mustRun(t, ws, 0, append(apply, "-refresh=false")...)
	if err := env.preauthorizedExactly(t, env.clients, scope); err != nil {
		t.Fatalf("after apply then apply -refresh=false: %v", err)
	}
	cli.mustRun(t, ws, 0, destroy...)
	if err := env.preauthorizedExactly(t, nil, ""); err != nil {
		t.Fatalf("after the last destroy: %v", err)
	}
}
