package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

// A tenant whose app management policy restricts identifier URIs refuses api://<name>: the provider says
// which restriction refused it, which forms the tenant allows, and that the default api://<appId> is
// allowed; the default then applies cleanly. In a tenant that never enabled the policy the same URI is
// accepted.
func TestAccAgentClientScope_identifierURIPolicy(t *testing.T) {
	env := newAccEnv(t, 0)
	env.requireEmulator(t)
	custom := fmt.Sprintf(`  identifier_uri = "api://agent-%s"`, env.agent[:8])
	setPolicy := func(state string) func() {
		return func() {
			body := fmt.Sprintf(`{"isEnabled":true,"applicationRestrictions":{"identifierUris":{"uriAdditionWithoutUniqueTenantIdentifier":{"state":%q}}}}`, state)
			if err := env.emu.ts.Admin().PatchAppManagementPolicy([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	accTest(t, resource.TestCase{
		CheckDestroy: env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{
				PreConfig: setPolicy("enabled"),
				Config:    scopeConfig(env, custom),
				ExpectError: regexp.MustCompile(`The tenant's app management policy refused the Application ID URI[\s\S]*` +
					`uriAdditionWithoutUniqueTenantIdentifier[\s\S]*api://<tenant\s+ID>/<name>[\s\S]*` +
					`api://<agent\s+client\s+ID>\s+is\s+always\s+allowed`),
			},
			{
				Config: scopeConfig(env, ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri"), knownvalue.StringExact("api://"+env.agent)),
				},
			},
			{
				PreConfig: setPolicy("disabled"),
				Config:    scopeConfig(env, custom),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(scopeAddr, tfjsonpath.New("identifier_uri"), knownvalue.StringExact("api://agent-"+env.agent[:8])),
				},
			},
		},
	})
}

// The diagnostic of each restriction names it and the forms it allows.
func TestDescribeIdentifierURIPolicyRefusal(t *testing.T) {
	ref := graph.ByAppID("11111111-1111-4111-8111-111111111111")
	for _, tc := range []struct {
		code, message, want string
	}{
		{"InvalidUniqueTenantIdentifierAsPerAppPolicy", "Failed to add identifier URI api://x. All newly added URIs must contain a tenant verified domain, tenant ID, or app ID, as per the default tenant policy of your organization. See https://aka.ms/identifier-uri-addition-error for more information on this error.", "uriAdditionWithoutUniqueTenantIdentifier"},
		{"Request_BadRequest", "The newly added URI api://x must comply with the format 'api://{appId}' or 'api://{tenantId}/{appId}' as per the default app management policy of your organization. If the requestedAccessTokenVersion is set to 2, this restriction may not apply. See https://aka.ms/identifier-uri-addition-error for more information on this error.", "only api://<agent client ID> and api://<tenant ID>/<agent client ID>"},
	} {
		e := &graph.ValidationError{APIError: graph.APIError{StatusCode: 400, Code: tc.code, Message: tc.message}}
		summary, detail := describeGraphError("expose the scope", ref, e, nil)
		if summary != "The tenant's app management policy refused the Application ID URI" || !regexp.MustCompile(regexp.QuoteMeta(tc.want)).MatchString(detail) ||
			!regexp.MustCompile(`api://<agent client ID> is always\s+allowed`).MatchString(detail) {
			t.Errorf("%s: %q\n%s", tc.code, summary, detail)
		}
	}
	other := &graph.ValidationError{APIError: graph.APIError{StatusCode: 400, Code: "HostNameNotOnVerifiedDomain", Message: "Values of identifierUris property must use a verified domain"}}
	if summary, _ := describeGraphError("expose the scope", ref, other, nil); summary != "Microsoft Graph rejected the change" {
		t.Errorf("verified-domain refusal worded as a policy refusal: %q", summary)
	}
}
