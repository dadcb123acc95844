package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// What the resources that edit the agent's app registration (lkps_agent_client_scope and
// lkps_preauthorized_client) share: the agent named by agent_client_id or agent_object_id, its schema
// and validation, and Create's read of the agent for the write.

// agentReference is the part of such a resource's model that names the agent application: exactly one
// of the IDs in the configuration, both in the state.
type agentReference struct {
	AgentClientID guidValue `tfsdk:"agent_client_id"`
	AgentObjectID guidValue `tfsdk:"agent_object_id"`
}

// agentRef names the agent application by whichever of its IDs is known, preferring the client ID.
func (a agentReference) agentRef() model.AppRef { return agentRef(a.AgentClientID, a.AgentObjectID) }

// setAgent records the application's IDs, keeping the model's spelling where it names the same GUID.
func (a *agentReference) setAgent(app model.Application) {
	a.AgentClientID = keepSpelling(a.AgentClientID, app.AppID)
	a.AgentObjectID = keepSpelling(a.AgentObjectID, app.ObjectID)
}

// reference returns the agent reference of a model that embeds it.
func (a *agentReference) reference() *agentReference { return a }

// agentReferenceAttributes adds agent_client_id and agent_object_id to attrs. Both replace the resource
// when they change to another GUID.
func agentReferenceAttributes(attrs map[string]schema.Attribute) map[string]schema.Attribute {
	for name, description := range map[string]string{
		"agent_client_id": "The client ID (application ID) of the agent's app registration, as shown on its Overview page. " +
			"Exactly one of `agent_client_id` and `agent_object_id` must be set.",
		"agent_object_id": "The object ID of the agent's app registration (not of its enterprise application), as an " +
			"alternative to `agent_client_id`.",
	} {
		attrs[name] = schema.StringAttribute{
			MarkdownDescription: description + " " + guidAttributeNote,
			Optional:            true, Computed: true,
			CustomType:    guidType{},
			Validators:    []validator.String{guidValidator()},
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), guidRequiresReplace(true)},
		}
	}
	return attrs
}

// agentReferenced gives a resource the validation of its agent reference.
type agentReferenced struct{}

func (agentReferenced) ConfigValidators(context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(path.MatchRoot("agent_client_id"), path.MatchRoot("agent_object_id")),
	}
}

// agentModel is the model of a resource that edits the agent application.
type agentModel interface {
	timedModel
	reference() *agentReference
}

// createOnAgent is Create of a resource that edits the agent application: within the plan's create
// timeout, it reads the agent application the plan names for the write (graph.Client.GetApplicationForWrite,
// reporting a failure) and runs create with the plan and the application.
func createOnAgent[M any, PM interface {
	*M
	agentModel
}](ctx context.Context, d *providerData, req resource.CreateRequest, resp *resource.CreateResponse, create func(context.Context, *graph.Client, *M, model.Application, *resource.CreateResponse)) {
	var plan M
	d.withGraph(ctx, req.Plan.Get, PM(&plan), opCreate, &resp.Diagnostics, func(ctx context.Context, client *graph.Client) {
		if app, ok := d.agentForWrite(ctx, client, *PM(&plan).reference(), &resp.Diagnostics); ok {
			create(ctx, client, &plan, app, resp)
		}
	})
}

// idAttribute is a resource's id: computed, and kept from the state once known.
func idAttribute(description string) schema.StringAttribute {
	return schema.StringAttribute{
		MarkdownDescription: description,
		Computed:            true,
		PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}
