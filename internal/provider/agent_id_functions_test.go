package provider

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// runFunction calls a provider function's Run with one string argument.
func runFunction(f function.Function, arg string) (string, *function.FuncError) {
	resp := function.RunResponse{Result: function.NewResultData(types.StringUnknown())}
	f.Run(context.Background(), function.RunRequest{Arguments: function.NewArgumentsData([]attr.Value{types.StringValue(arg)})}, &resp)
	if resp.Error != nil {
		return "", resp.Error
	}
	v, ok := resp.Result.Value().(types.String)
	if !ok {
		return "", function.NewFuncError("the result is not a string")
	}
	return v.ValueString(), nil
}

// The functions give what the scope resource computes, for any case of the input, in lower case, and
// refuse what is not a GUID with an error on the argument that says so.
func TestAgentIDFunctions(t *testing.T) {
	const agent = "426758D8-100a-4420-9AE2-5f17e44f7df4"
	lower := strings.ToLower(agent)
	if got, err := runFunction(newScopeIDFunction(), agent); err != nil || got != stableScopeID(lower) || got != strings.ToLower(got) {
		t.Errorf("scope_id(%s) = %q, %v; want %s", agent, got, err, stableScopeID(lower))
	}
	if got, err := runFunction(newIdentifierURIFunction(), agent); err != nil || got != defaultIdentifierURI(lower) || got != "api://"+lower {
		t.Errorf("identifier_uri(%s) = %q, %v; want api://%s", agent, got, err, lower)
	}
	for _, f := range []function.Function{newScopeIDFunction(), newIdentifierURIFunction()} {
		_, err := runFunction(f, "my-agent")
		if err == nil {
			t.Fatalf("%T accepted my-agent", f)
		}
		if err.FunctionArgument == nil || *err.FunctionArgument != 0 {
			t.Errorf("%T: the error is not on the argument: %v", f, err)
		}
		if !strings.Contains(err.Text, `Invalid agent_client_id: "my-agent" is not a client (application) ID: expected a GUID`) {
			t.Errorf("%T: error text %q", f, err.Text)
		}
	}
}

var functionSkip = []tfversion.TerraformVersionCheck{skipBelow("1.8.0", "provider-defined functions arrived in Terraform 1.8")}

// exampleFile reads a file of examples/.
func exampleFile(t *testing.T, parts ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", "..", "examples"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// One configuration creates the scope with lkps_agent_client_scope and compares what the resource
// computed (and Graph holds) with the functions' results for an upper-case spelling of the client ID;
// then the documented examples run beside it: identifier_uri's output and scope_id's pre-authorization.
func TestAccFunctions_matchTheScopeResource(t *testing.T) {
	env := newAccEnv(t, 1)
	compare := `
resource "lkps_agent_client_scope" "test" {
  agent_client_id = var.agent_client_id
}

output "scope_id" {
  value = provider::lkps::scope_id(upper(var.agent_client_id))
}

output "scope_id_matches_resource" {
  value = provider::lkps::scope_id(upper(var.agent_client_id)) == lkps_agent_client_scope.test.scope_id
}

output "identifier_uri_matches_resource" {
  value = provider::lkps::identifier_uri(upper(var.agent_client_id)) == lkps_agent_client_scope.test.identifier_uri
}
`
	vars := config.Variables{"agent_client_id": config.StringVariable(env.agent)}
	matches := []statecheck.StateCheck{
		statecheck.ExpectKnownOutputValue("scope_id_matches_resource", knownvalue.Bool(true)),
		statecheck.ExpectKnownOutputValue("identifier_uri_matches_resource", knownvalue.Bool(true)),
		statecheck.ExpectKnownOutputValue("scope_id", knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f-]{36}$`))),
	}
	accTest(t, resource.TestCase{
		TerraformVersionChecks: functionSkip,
		CheckDestroy:           env.checkNoClientScope(t),
		Steps: []resource.TestStep{
			{
				Config:          env.config(compare + exampleFile(t, "functions", "identifier_uri", "function.tf")),
				ConfigVariables: vars,
				ConfigStateChecks: append(matches,
					statecheck.ExpectKnownOutputValue("agent_identifier_uri", knownvalue.StringExact("api://"+env.agent))),
				Check: func(*terraformState) error {
					// What Graph holds is what the function computes.
					s, ok := env.readApp(t, env.agent).ScopeByValue("access_as_client")
					want, _ := runFunction(newScopeIDFunction(), strings.ToUpper(env.agent))
					if !ok || !strings.EqualFold(s.ID, want) {
						t.Errorf("Graph's access_as_client scope is %+v (found %t), scope_id() gives %s", s, ok, want)
					}
					return nil
				},
			},
			{
				Config: env.config(compare + exampleFile(t, "functions", "scope_id", "function.tf")),
				ConfigVariables: config.Variables{
					"agent_client_id": config.StringVariable(env.agent),
					"my_client_id":    config.StringVariable(env.clients[0]),
				},
				ConfigStateChecks: matches,
				Check: func(*terraformState) error {
					return env.preauthorizedExactly(t, env.clients[:1], stableScopeID(env.agent))
				},
			},
		},
	})
}

// A client ID that is not a GUID fails the plan with the function's message.
func TestAccFunctions_notAGUID(t *testing.T) {
	env := newAccEnv(t, 0)
	accTest(t, resource.TestCase{
		TerraformVersionChecks: functionSkip,
		Steps: []resource.TestStep{
			{
				Config:      env.config(`output "x" { value = provider::lkps::scope_id("my-agent") }`),
				ExpectError: regexp.MustCompile(wrapTolerant(`Invalid agent_client_id: "my-agent" is not a client \(application\) ID`)),
			},
			{
				Config:      env.config(`output "x" { value = provider::lkps::identifier_uri("426758d8-100a-4420-9ae2") }`),
				ExpectError: regexp.MustCompile(wrapTolerant(`expected a GUID in the form 00000000-0000-0000-0000-000000000000`)),
			},
		},
	})
}
