package provider

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// savedPlanFindings searches a saved plan file for the secrets and for anything that looks like a token:
// its raw bytes, every entry of the zip archive it is (the plan, the state snapshots, the configuration
// snapshot; compressed entries are searched decompressed), and `terraform show -json` of it. It returns
// what it found, by place, and the number of zip entries searched.
func savedPlanFindings(t *testing.T, planFile, showJSON string, secrets []string) ([]string, int) {
	t.Helper()
	raw, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	search := func(where string, data []byte) {
		for i, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				found = append(found, fmt.Sprintf("secret %d in %s", i, where))
			}
		}
		if jwtPattern.Match(data) {
			found = append(found, "a token in "+where)
		}
	}
	search("the raw plan file", raw)
	search("terraform show -json", []byte(showJSON))
	entries := planFileEntries(t, raw)
	for _, e := range entries {
		search("plan file entry "+e.name, e.data)
	}
	return found, len(entries)
}

// planFileEntry is one entry of a saved plan file, decompressed.
type planFileEntry struct {
	name string
	data []byte
}

// planFileEntries returns the entries of a saved plan file, a zip archive; a plan file that is not one
// fails the test.
func planFileEntries(t *testing.T, raw []byte) []planFileEntry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("the saved plan is not a zip archive: %v", err)
	}
	var entries []planFileEntry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, planFileEntry{f.Name, data})
	}
	return entries
}

// TestAccAgentRegistration_noSecretsInSavedPlan runs the documented pipeline layout with the real
// terraform binary: `terraform plan -out`, the plan file kept, `terraform apply <planfile>`. With the
// secrets in ephemeral, sensitive variables (as every example declares them), neither the agent's
// secret, nor the provider's, nor any token appears in the saved plan: not in `terraform show -json`,
// not in the file's bytes, not inside its zip entries. The same configuration with variables that are
// only sensitive is planned first, to show that the search finds the secret when Terraform stores it.
func TestAccAgentRegistration_noSecretsInSavedPlan(t *testing.T) {
	r := newRegistrationEnv(t, true)
	r.requireEmulator(t)
	w := newCLIWorkspaces(t)
	ts := r.emu.ts
	secrets := []string{r.secret, ts.DeployerSecret}
	config := func(ephemeral bool) string {
		return fmt.Sprintf(`terraform {
  required_providers {
    lkps = { source = "bayer/lkps" }
  }
}

variable "provider_secret" {
  type      = string
  sensitive = true
  ephemeral = %[1]t
}

variable "agent_secret" {
  type      = string
  sensitive = true
  ephemeral = %[1]t
}

provider "lkps" {
  tenant_id      = %[2]q
  client_id      = %[3]q
  client_secret  = var.provider_secret
  use_cli        = false
  authority_host = %[4]q
  graph_base_url = %[5]q
  lkps_base_url  = %[6]q
}

resource "lkps_agent_registration" "test" {
  agent_client_id                = %[7]q
  agent_client_secret_wo         = var.agent_secret
  agent_client_secret_wo_version = 1
}
`, ephemeral, ts.TenantID(), ts.DeployerClientID, ts.AuthorityHost, ts.GraphBaseURL, ts.LKPSBaseURLs[r.route.Key()], r.agent)
	}
	w.env = []string{"TF_VAR_provider_secret=" + ts.DeployerSecret, "TF_VAR_agent_secret=" + r.secret}
	run := func(work string, args ...string) string {
		t.Helper()
		code, out, _, err := w.run(work, args...)
		if err != nil || code != 0 {
			t.Fatalf("terraform %s: exit %d, %v\n%s", strings.Join(args, " "), code, err, out)
		}
		return out
	}
	plan := func(ephemeral bool) (found []string, entries int) {
		t.Helper()
		work := w.workspace(t, fmt.Sprintf("ephemeral-%t", ephemeral), config(ephemeral))
		run(work, "plan", "-out=tfplan", "-input=false", "-no-color")
		show := run(work, "show", "-json", "tfplan")
		if !strings.Contains(show, `"lkps_agent_registration"`) || !strings.Contains(show, r.agent) {
			t.Fatalf("the saved plan does not plan the registration; nothing to search:\n%s", show)
		}
		return savedPlanFindings(t, filepath.Join(work, "tfplan"), show, secrets)
	}

	// Only sensitive: Terraform keeps both secrets in the plan file. This is what the examples avoid, and
	// it shows that the search below would notice.
	found, _ := plan(false)
	t.Logf("only sensitive: %s", strings.Join(found, "; "))
	for _, want := range []string{"secret 0 in plan file entry tfplan", "secret 1 in plan file entry tfplan"} {
		if !strings.Contains(strings.Join(found, "\n"), want) {
			t.Fatalf("with non-ephemeral variables the search did not find %s (found: %q); it cannot prove their absence", want, found)
		}
	}

	// Ephemeral and sensitive: nothing.
	found, entries := plan(true)
	t.Logf("ephemeral and sensitive: %d findings in the raw file, %d zip entries and terraform show -json", len(found), entries)
	if len(found) > 0 {
		t.Errorf("the saved plan leaks with ephemeral variables: %s", strings.Join(found, "; "))
	}
	if entries < 2 {
		t.Errorf("the plan file held %d zip entries; expected the plan and the configuration snapshot", entries)
	}

	// The saved plan still applies: the ephemeral values are given again and reach the write-only attribute.
	run(filepath.Join(w.dir, "ephemeral-true"), "apply", "-input=false", "-no-color", "tfplan")
	if err := r.expectStoredFlag(t, true)(nil); err != nil {
		t.Fatalf("applying the saved plan did not register the agent: %v", err)
	}
}
