package provider

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/lkpsapi"
)

// LKPS documents only livekit_url of its register answer. Answers with other timestamp forms, extra or
// missing fields and echoes that differ must not fail an apply after LKPS has stored the registration;
// a proxy's HTML page must be reported as such. The emulator's admin knobs vary the answer.
// Not parallel: the provider log path is process-wide.
func TestAccAgentRegistration_unforeseenAnswers(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	admin := r.emu.ts.Admin()
	logFile := filepath.Join(t.TempDir(), "provider.log")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	offset := 0
	setAnswer := func(a lkpsapi.RegisterAnswer) {
		if err := admin.SetRegisterAnswer(a); err != nil {
			t.Fatal(err)
		}
	}
	const echoWarning = "LKPS Echoed Another enforce_client_authz"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				// Unix seconds and fields nobody asked for: read, and the extras ignored.
				PreConfig: func() {
					setAnswer(lkpsapi.RegisterAnswer{TimestampFormat: lkpsapi.TimestampUnix,
						Extra: map[string]any{"region": "eu", "quota": map[string]any{"sessions": 10}, "tags": []string{"a"}}})
				},
				Config: r.registrationConfig("  enforce_client_authz = false\n  agent_client_secret_wo_version = 1"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("registered_at"),
						knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`))),
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("livekit_url"), knownvalue.StringExact(r.route.LiveKitURL)),
				},
				Check: r.expectStoredFlag(t, false),
			},
			{
				// A timestamp in an unknown form, a missing echo of the agent, and an echoed flag that differs
				// from the one sent: the apply succeeds, registered_at is null, the flag stays as configured,
				// and a warning names enforce_client_authz.
				PreConfig: func() {
					_, offset = logSince(t, logFile, 0)
					setAnswer(lkpsapi.RegisterAnswer{TimestampFormat: lkpsapi.TimestampText, Omit: []string{"agent_entra_app_id"},
						Override: map[string]any{"enforce_client_authz": true}})
				},
				Config: r.registrationConfig("  enforce_client_authz = false\n  agent_client_secret_wo_version = 2"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("registered_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(registrationAddr, tfjsonpath.New("enforce_client_authz"), knownvalue.Bool(false)),
				},
				Check: func(s *terraformState) error {
					if err := r.expectStoredFlag(t, false)(s); err != nil {
						return err
					}
					log, _ := logSince(t, logFile, offset)
					if rpcs := strings.Join(warningRPCs(log, echoWarning), " "); !strings.Contains(rpcs, "ApplyResourceChange") {
						return fmt.Errorf("no %q warning at apply (got it in %q)", echoWarning, rpcs)
					}
					if !strings.Contains(log, "says enforce_client_authz = true where the registration was made with false") {
						return fmt.Errorf("the warning does not name the field and both values")
					}
					return nil
				},
			},
			{
				// A proxy in front of Ocelot answers with its own HTML page.
				PreConfig: func() {
					setAnswer(lkpsapi.RegisterAnswer{})
					if err := admin.SetProxyPage(&lkpsapi.ProxyPage{Status: 502,
						Body: "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>proxy.corp</p></body></html>"}); err != nil {
						t.Fatal(err)
					}
				},
				Config: r.registrationConfig("  enforce_client_authz = false\n  agent_client_secret_wo_version = 3"),
				ExpectError: regexp.MustCompile(`(?s)` + wrapTolerant(`LKPS Server Error.*something between the provider and LKPS answered HTTP 502 with a body of type text/html \("502 Bad Gateway"\)`) +
					`(?s).*` + wrapTolerant(`Ocelot and LKPS answer in JSON, so this page came from a proxy`) + `.*HTTPS_PROXY`),
			},
			{
				PreConfig: func() {
					if err := admin.SetProxyPage(nil); err != nil {
						t.Fatal(err)
					}
				},
				Config: r.registrationConfig("  enforce_client_authz = false\n  agent_client_secret_wo_version = 3"),
			},
		},
	})
}
