package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
)

// The provider's Microsoft Graph settings: the replication lag bound every window derives from, and
// whether other writers share the agents. Nothing else of the Graph layer is tunable from outside.

const (
	envGraphReplicationLag = "LKPS_GRAPH_REPLICATION_LAG"
	envConcurrentWriters   = "LKPS_CONCURRENT_WRITERS"
	// maxGraphReplicationLag bounds the setting: a longer bound makes every first write wait that
	// long, and Entra ID replicates within seconds.
	maxGraphReplicationLag = 5 * time.Minute
	sharingGuide           = "the guide \"Sharing an agent between workspaces, pipelines and tools\""
)

// graphSettings are the resolved settings.
type graphSettings struct {
	// lag is graph.Config.ReplicationLag: 0 for the default, negative for a lag-free directory.
	lag               time.Duration
	concurrentWriters bool
}

func graphSettingsSchema() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"graph_replication_lag": schema.StringAttribute{
			Optional: true,
			MarkdownDescription: "The longest time, as a duration such as `3s` or `1500ms`, that Microsoft Graph's replicas may lag " +
				"behind a write. Every consistency guarantee of the provider derives from it: a run builds its first write " +
				"of an agent, and decides that something is missing or changed, only on a read started this long after " +
				"the terraform command started, so that it sees what earlier commands did; with `concurrent_writers` the " +
				"last write of a run waits twice this long plus one second. A longer value costs up to that much time " +
				"once per run (no more than it saves: a command that has already run that long waits nothing). Set below " +
				"the tenant's real lag it weakens every guarantee that rests on it: a destroy straight after an apply may " +
				"build on a replica without the apply's changes, and a plan may report just-created objects as gone. " +
				"`0s` declares a directory without lag, as the local emulator is unless told otherwise. A run that observes " +
				"a longer lag widens the bound for the rest of the run. Defaults to the `" + envGraphReplicationLag + "` " +
				"environment variable, else `3s`.",
			Validators: []validator.String{durationValidator{max: maxGraphReplicationLag}},
		},
		"concurrent_writers": schema.BoolAttribute{
			Optional: true,
			MarkdownDescription: "Whether other writers (another workspace or pipeline, a monorepo's run triggers, the Azure " +
				"portal) may change the same agents' app registrations while this provider applies. When true, the last " +
				"write of every run, and of every dependency level, waits twice `graph_replication_lag` plus one second " +
				"and restores any change of this run that another writer overwrote; every writer must set it to protect " +
				"its own entries. When false, only an agent on which the run sees another writer's change is protected " +
				"this way, with a warning. See " + sharingGuide + ". Defaults to the `" + envConcurrentWriters + "` " +
				"environment variable, else `false`.",
		},
	}
}

// resolveGraphSettings applies the environment variables under the configuration.
func resolveGraphSettings(lag types.String, concurrent types.Bool, getenv func(string) string) (graphSettings, diag.Diagnostics) {
	var diags diag.Diagnostics
	var s graphSettings
	raw, attr := lag.ValueString(), "graph_replication_lag"
	if !isSet(lag) {
		raw, attr = strings.TrimSpace(getenv(envGraphReplicationLag)), envGraphReplicationLag
	}
	if raw != "" {
		d, err := parseLagBound(raw)
		if err != nil {
			if attr == envGraphReplicationLag {
				diags.AddError("Invalid "+envGraphReplicationLag, fmt.Sprintf("The environment variable %s is %q: %s.", envGraphReplicationLag, raw, err))
			} else {
				diags.AddAttributeError(path.Root(attr), "Invalid graph_replication_lag", err.Error()+".")
			}
			return s, diags
		}
		s.lag = d
		if d == 0 {
			s.lag = -1 // declared lag-free; zero would mean the default in graph.Config
		}
	}
	if isSet(concurrent) {
		s.concurrentWriters = concurrent.ValueBool()
	} else if v := strings.TrimSpace(getenv(envConcurrentWriters)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			diags.AddError("Invalid "+envConcurrentWriters, fmt.Sprintf("The environment variable %s is %q: set it to true or false.", envConcurrentWriters, v))
			return s, diags
		}
		s.concurrentWriters = b
	}
	return s, diags
}

// parseLagBound parses a replication lag bound: a Go duration from 0 to maxGraphReplicationLag.
func parseLagBound(raw string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(raw))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration; write it like 3s, 1500ms or 0s", raw)
	}
	if d < 0 || d > maxGraphReplicationLag {
		return 0, fmt.Errorf("%s is outside 0s to %s", d, maxGraphReplicationLag)
	}
	return d, nil
}

// durationValidator checks a lag bound at validate time.
type durationValidator struct{ max time.Duration }

func (v durationValidator) Description(context.Context) string {
	return fmt.Sprintf("a duration from 0s to %s", v.max)
}

func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if !isSet(req.ConfigValue) {
		return
	}
	if _, err := parseLagBound(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+req.Path.String(), err.Error()+".")
	}
}

// addGraphNotices turns the Graph client's notices into warnings of the operation that is ending; kind is
// how the provider signs in (what to grant when Graph refused a read).
func addGraphNotices(notices []core.Notice, kind auth.Kind, diags *diag.Diagnostics) {
	for _, n := range notices {
		switch n.Kind {
		case core.NoticeForeignWriter:
			diags.AddWarning("Another writer changed the agent application during this run",
				fmt.Sprintf("While this run wrote the application with object ID %s, another writer (another workspace or "+
					"pipeline, a tool, the Azure portal) changed it too. This run waited for its changes to replicate and "+
					"restored any the other writer overwrote, so nothing of this run was lost. If the application is "+
					"shared like this on purpose, set concurrent_writers = true (or %s=true) in the provider block of "+
					"every writer, so that each protects its own changes from the start: see %s.", n.ObjectID, envConcurrentWriters, sharingGuide))
		case core.NoticeRestoreImpossible:
			diags.AddWarning("A change of this run was overwritten and could not be restored",
				fmt.Sprintf("Another writer overwrote a change this run had made to the application with object ID %s, and "+
					"the application as it is now no longer allows it: %s. Run terraform plan to see what differs "+
					"from the configuration, and find the other writer (see %s).", n.ObjectID, n.Detail, sharingGuide))
		case core.NoticeNotConfirmed:
			var grant string
			if n.Forbidden {
				grant = "\n\n" + authorizationRule(kind)
			}
			diags.AddWarning("A change of this run is not shown by Microsoft Graph",
				fmt.Sprintf("Microsoft Graph accepted a change of this run to the application with object ID %s, so the "+
					"resource is recorded as changed, but the reads that followed did not show it: %s. Run terraform plan "+
					"to see what differs from the configuration, and apply again; if another writer keeps overwriting the "+
					"application, see %s.%s", n.ObjectID, n.Detail, sharingGuide, grant))
		}
	}
}
