package provider

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// Destroying a registration warns that LKPS keeps it. With enforce_client_authz = false the warning says
// plainly that every client on the Ocelot Client Access List can still start sessions, and its first
// remedy is to register with enforcement on; with enforcement on, its first remedy is the
// pre-authorizations. Read from the provider's log; not parallel: the log settings are process-wide.
func TestAccAgentRegistration_destroyWarningMatchesFlag(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	const summary = "The Agent Stays Registered with LKPS"
	for _, tt := range []struct {
		flag       string
		want, not  string
		firstFixOf string
	}{
		{flag: "false", want: "every client application on the Client Access List of", firstFixOf: "register the agent again with enforce_client_authz = true",
			not: "remove the clients from the agent's pre-authorized applications"},
		{flag: "true", want: "Only the clients pre-authorized for the agent's access_as_client scope can still start sessions",
			firstFixOf: "remove the clients from the agent's pre-authorized applications", not: "every client application on the Client Access List"},
	} {
		t.Run("enforce_client_authz="+tt.flag, func(t *testing.T) {
			logFile := filepath.Join(t.TempDir(), "provider.log")
			t.Setenv("TF_ACC_LOG_PATH", logFile)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: r.registrationConfig("  enforce_client_authz = " + tt.flag)}},
			})
			log, _ := logSince(t, logFile, 0)
			if rpcs := warningRPCs(log, summary); !strings.Contains(strings.Join(rpcs, " "), "ApplyResourceChange") {
				t.Fatalf("no %q warning at destroy (warnings in %v)", summary, rpcs)
			}
			entry := warningEntry(log, summary)
			first := strings.Index(entry, "- ")
			if !strings.Contains(entry, tt.want) || first < 0 || !strings.HasPrefix(entry[first+2:], tt.firstFixOf) || strings.Contains(entry[:min(len(entry), 2000)], tt.not) {
				t.Errorf("the destroy warning for enforce_client_authz = %s does not say %q with the first remedy %q (and not %q):\n%s",
					tt.flag, tt.want, tt.firstFixOf, tt.not, entry[:min(len(entry), 2000)])
			}
		})
	}
}

// warningEntry returns the log entry that records the warning with summary, detail included ("" if none).
func warningEntry(log, summary string) string {
	starts := logEntryStart.FindAllStringIndex(log, -1)
	for i, st := range starts {
		end := len(log)
		if i+1 < len(starts) {
			end = starts[i+1][0]
		}
		if entry := log[st[0]:end]; strings.Contains(entry, "Response contains warning diagnostic") && strings.Contains(entry, summary) {
			return entry
		}
	}
	return ""
}
