package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// portalSetup makes the agent look as the LKPS guide's portal steps leave it, done by hand: an
// Application ID URI, an access_as_client scope with a portal-chosen ID and texts, clients[:5]
// pre-authorized for it, and another team's scope on the same agent that clients[4] (whose entry then
// holds both IDs) and clients[5] (only that one) are pre-authorized for.
func portalSetup(t *testing.T, env *accEnv) model.PermissionScope {
	t.Helper()
	oob := env.outOfBand(t)
	scope := model.PermissionScope{
		ID: "3f0e9a52-6c1b-4d7e-9a2f-5b8c7d6e4f31", Value: "access_as_client", Type: "User",
		AdminConsentDisplayName: "Access the agent as a client", AdminConsentDescription: "Lets client applications start LKPS sessions with the agent.",
		Enabled: true,
	}
	other := model.PermissionScope{
		ID: "8d2b4c6e-1a3f-4e5d-b7c9-0e1f2a3b4c5d", Value: "reports.read", Type: "Admin",
		AdminConsentDisplayName: "Read reports", AdminConsentDescription: "Another team's permission.", Enabled: true,
	}
	oob.ensureIdentifierURI(t, env.agent, "api://"+env.agent)
	oob.createScope(t, env.agent, scope)
	oob.createScope(t, env.agent, other)
	for _, c := range env.clients[:5] {
		oob.addPreAuthorization(t, env.agent, c, scope.ID)
	}
	oob.addPreAuthorization(t, env.agent, env.clients[4], other.ID)
	oob.addPreAuthorization(t, env.agent, env.clients[5], other.ID)
	return scope
}

// TestAccAdopt_queryGenerateConfigImportEmptyPlan is the guide "Adopting an agent set up in the
// portal", run as written: examples/guides/adopt with `terraform query -generate-config-out`, then the
// plan (imports only), the apply, and a plan that must be empty, with Graph unchanged throughout.
func TestAccAdopt_queryGenerateConfigImportEmptyPlan(t *testing.T) {
	bin, version := cliPath(t, "1.14.0", "terraform query and list resources")
	env := newAccEnv(t, 6)
	env.requireEmulator(t)
	portalSetup(t, env)
	before := env.readApp(t, env.agent)
	patchesBefore := env.emu.ts.Admin().Counter(graphapi.RoutePatchApplication)

	reattach := serveProviders(t, map[string]func() tfprotov6.ProviderServer{"registry.terraform.io/bayer/lkps": lkpsServer})
	c := newCLI(t, bin, reattach)
	for _, name := range []string{"main.tf", "adopt.tfquery.hcl"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "guides", "adopt", name))
		if err != nil {
			t.Fatal(err)
		}
		c.write(name, string(b))
	}
	// The emulator's endpoints and credentials, merged into the example's provider block.
	c.write("emulator_override.tf", env.providerBlock)
	c.write("terraform.tfvars", fmt.Sprintf("agent_client_id = %q\n", env.agent))

	c.run([]int{0}, "init", "-input=false", "-no-color")
	query, _ := c.run([]int{0}, "query", "-no-color", "-generate-config-out=adopt.tf")
	t.Logf("Terraform %s\n$ terraform query -generate-config-out=adopt.tf\n%s", version, query)
	for _, want := range env.clients[:5] {
		if !strings.Contains(query, want) {
			t.Errorf("the query output does not list client %s", want)
		}
	}
	if strings.Contains(query, env.clients[5]) {
		t.Errorf("the query output lists %s, which is pre-authorized only for another scope", env.clients[5])
	}
	if !strings.Contains(query, "acceptance test client 0 ("+env.clients[0]+")") {
		t.Errorf("the display names do not show the client application's name")
	}
	generated := c.read("adopt.tf")
	t.Logf("generated adopt.tf:\n%s", generated)

	plan, _ := c.run([]int{0}, "plan", "-no-color", "-input=false")
	t.Logf("$ terraform plan\n%s", plan)
	if !strings.Contains(plan, "Plan: 6 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Errorf("the plan of the generated configuration is not 6 imports and nothing else")
	}
	c.run([]int{0}, "apply", "-no-color", "-input=false", "-auto-approve")
	after, code := c.run([]int{0, 2}, "plan", "-no-color", "-input=false", "-detailed-exitcode")
	t.Logf("$ terraform plan -detailed-exitcode (after the import; exit code %d)\n%s", code, after)
	if code != 0 {
		t.Errorf("the plan after the import is not empty")
	}
	state, _ := c.run([]int{0}, "state", "list")
	if n := len(strings.Fields(state)); n != 6 {
		t.Errorf("the state holds %d resources, want 6 (the scope and 5 clients):\n%s", n, state)
	}
	if now := env.readApp(t, env.agent); !reflect.DeepEqual(before, now) {
		t.Errorf("adoption changed the application:\nbefore %+v\nnow    %+v", before, now)
	}
	if p := env.emu.ts.Admin().Counter(graphapi.RoutePatchApplication); p != patchesBefore {
		t.Errorf("adoption sent %d PATCH requests to Graph", p-patchesBefore)
	}
	if dir := os.Getenv("LKPS_ADOPT_TRANSCRIPT_DIR"); dir != "" {
		transcript := fmt.Sprintf("# Terraform %s\n\n$ terraform query -generate-config-out=adopt.tf\n%s\n# adopt.tf\n%s\n$ terraform plan\n%s\n$ terraform apply -auto-approve\n\n$ terraform plan -detailed-exitcode  # exit %d\n%s",
			version, query, generated, plan, code, after)
		if err := os.WriteFile(filepath.Join(dir, "adopt-transcript.txt"), []byte(transcript), 0o600); err != nil {
			t.Error(err)
		}
	}
}
