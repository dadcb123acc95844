package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// planSecretHits counts the occurrences of each secret in a saved plan file: in its raw bytes, in every
// entry of the zip archive it is (compressed entries hide nothing from this), and in `terraform show
// -json` of it. It also returns what it searched, to show that the search sees the action's
// configuration (marker must be found).
func (w *sessionWorld) planSecretHits(t *testing.T, plan, marker string, secrets []string) (hits, searched int) {
	t.Helper()
	raw := w.c.read(plan)
	texts := []string{raw}
	for _, e := range planFileEntries(t, []byte(raw)) {
		texts = append(texts, string(e.data))
	}
	show, _ := w.c.run([]int{0}, "show", "-json", "-no-color", plan)
	texts = append(texts, show)
	found := false
	for _, s := range texts {
		searched += len(s)
		found = found || strings.Contains(s, marker)
		for _, secret := range secrets {
			hits += strings.Count(s, secret)
		}
	}
	if !found {
		t.Fatalf("neither %s nor its show -json contains %q: the search does not see the action's configuration", plan, marker)
	}
	return hits, searched
}

// Saved plans hold no secret (issue 27): the documented examples run from plan files, as a pipeline runs
// them: a plan of the registration whose trigger invokes the action, then plans that invoke the action
// with its secret read from an environment variable, and through an aliased provider that signs in as the
// client with an ephemeral variable. Each plan file and its `terraform show -json` are searched for the
// client's, the agent's and the deployer's secrets: 0 hits; each plan then applies and starts a session.
func TestAccSessionStart_planFileHoldsNoSecret(t *testing.T) {
	w := newSessionWorld(t, true, "")
	ts := w.emu.ts
	w.withTrigger(t)
	// The deployer's secret comes from an ephemeral variable too, so that no secret is in a file here.
	w.c.write("provider.tf", fmt.Sprintf(`
variable "deployer_secret" {
  type      = string
  sensitive = true
  ephemeral = true
}
%s`, emulatorProvider(ts, ts.LKPSBaseURLs[w.route.Key()], "client_secret = var.deployer_secret")))
	w.c.write("terraform.tfvars", fmt.Sprintf("agent_client_id = %q\nclient_id = %q\n", w.agent, w.client))
	// The aliased provider block names only the client: its endpoints come from the environment, as the
	// emulator's exports give them.
	for k, v := range map[string]string{"ARM_TENANT_ID": ts.TenantID(), "ARM_USE_CLI": "false", "LKPS_AUTHORITY_HOST": ts.AuthorityHost,
		"LKPS_GRAPH_BASE_URL": ts.GraphBaseURL, "LKPS_BASE_URL": ts.LKPSBaseURLs[w.route.Key()]} {
		t.Setenv(k, v)
	}
	w.c.env = append(w.c.env, "TF_VAR_deployer_secret="+ts.DeployerSecret, "TF_VAR_agent_secret="+w.agentSecret,
		"TF_VAR_client_secret="+w.clientSecret)
	secrets := []string{w.clientSecret, w.agentSecret, ts.DeployerSecret}
	w.c.run([]int{0}, "init", "-input=false", "-no-color")
	// The aliased provider's example runs in a working directory of its own: the test serves the provider
	// in this process (TF_REATTACH_PROVIDERS), where two provider configurations would share one provider
	// instance, unlike a real run, which starts one plugin process per configuration.
	main := w.c
	aliased := newCLI(t, w.c.bin, serveProviders(t, map[string]func() tfprotov6.ProviderServer{"registry.terraform.io/bayer/lkps": lkpsServer}))
	aliased.env = append(aliased.env, "TF_VAR_client_secret="+w.clientSecret)
	aliased.write("versions.tf", main.read("versions.tf"))
	aliased.write("terraform.tfvars", main.read("terraform.tfvars"))
	aliased.write("variables.tf", "variable \"agent_client_id\" { type = string }\nvariable \"client_id\" { type = string }\n")
	aliased.write("provider_identity.tf", exampleFile(t, "actions", "lkps_session_start", "provider_identity.tf"))
	aliased.run([]int{0}, "init", "-input=false", "-no-color")

	total, bytes := 0, 0
	for i, step := range []struct {
		c            *cli
		plan, marker string
		args         []string
	}{
		{main, "full.tfplan", "LKPS_CLIENT_SECRET", nil},
		{main, "check.tfplan", "LKPS_CLIENT_SECRET", []string{"-invoke=action.lkps_session_start.check"}},
		{aliased, "as_client.tfplan", "use_provider_identity", []string{"-invoke=action.lkps_session_start.as_client"}},
	} {
		w.c = step.c
		out, _ := w.c.run([]int{0}, append([]string{"plan", "-no-color", "-input=false", "-out=" + step.plan}, step.args...)...)
		w.expectOutput(t, out)
		hits, searched := w.planSecretHits(t, step.plan, step.marker, secrets)
		t.Logf("terraform plan %s -out=%s: %d secret hits in %d bytes (the plan file, its zip entries and terraform show -json)",
			strings.Join(step.args, " "), step.plan, hits, searched)
		total, bytes = total+hits, bytes+searched
		out, _ = w.c.run([]int{0}, "apply", "-no-color", "-input=false", step.plan)
		w.expectOutput(t, out, `HTTP 200 from LKPS: session started for client `+w.client)
		if n := w.sessionStarts(200); n != i+1 {
			t.Errorf("after applying %s LKPS started %d sessions, want %d", step.plan, n, i+1)
		}
	}
	w.c = main
	if total != 0 {
		t.Errorf("the saved plans hold %d copies of a secret", total)
	}
	t.Logf("3 saved plans: %d secret hits in %d bytes searched", total, bytes)
}
