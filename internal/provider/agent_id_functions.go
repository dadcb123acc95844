package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"

	"github.com/bayer/terraform-provider-lkps/internal/agentid"
)

// The provider-defined functions scope_id and identifier_uri (Terraform 1.8+, OpenTofu 1.7+): the IDs
// lkps_agent_client_scope gives an agent, computed from its client ID without managing the scope. Both
// call internal/agentid, the derivation the resource uses.

// agentClientIDParameter is the one parameter of both functions.
var agentClientIDParameter = function.StringParameter{
	Name: "agent_client_id",
	Description: "The client (application) ID of the agent's app registration, a GUID in any case, such as " +
		"426758d8-100a-4420-9ae2-5f17e44f7df4.",
}

// runAgentIDFunction reads the client ID, derives with derive and sets the result; a client ID that is
// not a GUID is an error on the argument.
func runAgentIDFunction(ctx context.Context, req function.RunRequest, resp *function.RunResponse, derive func(string) (string, error)) {
	var clientID string
	resp.Error = function.ConcatFuncErrors(resp.Error, req.Arguments.Get(ctx, &clientID))
	if resp.Error != nil {
		return
	}
	out, err := derive(clientID)
	if err != nil {
		resp.Error = function.ConcatFuncErrors(resp.Error, function.NewArgumentFuncError(0, "Invalid agent_client_id: "+err.Error()+"."))
		return
	}
	resp.Error = function.ConcatFuncErrors(resp.Error, resp.Result.Set(ctx, out))
}

// agentIDFunction is one of the functions: its name, its definition's texts and the derivation it runs.
type agentIDFunction struct {
	name, summary, description string
	derive                     func(string) (string, error)
}

func (f agentIDFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = f.name
}

func (f agentIDFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary:             f.summary,
		MarkdownDescription: f.description,
		Parameters:          []function.Parameter{agentClientIDParameter},
		Return:              function.StringReturn{},
	}
}

func (f agentIDFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	runAgentIDFunction(ctx, req, resp, f.derive)
}

// newScopeIDFunction returns provider::lkps::scope_id.
func newScopeIDFunction() function.Function {
	return agentIDFunction{
		name:    "scope_id",
		summary: "The stable ID of the access_as_client scope that lkps_agent_client_scope creates for an agent.",
		description: "Returns the ID, in lower case, that `lkps_agent_client_scope` gives the `access_as_client` scope " +
			"it creates on the agent with the given client ID: the same value as the resource's `scope_id`, known without " +
			"managing the scope or reading its state. The ID is derived from the client ID (a UUID version 5), so it is " +
			"known at plan time and never changes. It matches only scopes this provider created: a scope added in the " +
			"Azure portal or by the azuread provider has a random ID, which only the agent's app registration (or the " +
			"`lkps_agent_client_scope` resource that adopted it) can tell. The function fails when the argument is not a GUID.",
		derive: agentid.ScopeID,
	}
}

// newIdentifierURIFunction returns provider::lkps::identifier_uri.
func newIdentifierURIFunction() function.Function {
	return agentIDFunction{
		name:    "identifier_uri",
		summary: "The default Application ID URI of an agent: api:// followed by its client ID.",
		description: "Returns `api://<agent client ID>` in lower case: the Azure portal's default Application ID " +
			"URI, and the `identifier_uri` that `lkps_agent_client_scope` adds when its `identifier_uri` is not set. " +
			"The function fails when the argument is not a GUID.",
		derive: agentid.IdentifierURI,
	}
}
