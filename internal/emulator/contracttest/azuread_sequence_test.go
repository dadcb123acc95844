package contracttest

import (
	"net/http"
	"testing"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

// The Graph requests of the guide's azuread example (examples/testing/azuread, "Testing your
// configuration"), in the order hashicorp/azuread v3.9.0 and lkps send them, as recorded from a run of
// terraform apply, plan and destroy against the emulator (TF_LOG_PROVIDER=DEBUG). CI cannot download
// azuread, so this test sends the same requests with msgraph-sdk-go as the deployer the example runs as
// (Application.ReadWrite.OwnedBy):
//
//	POST   /v1.0/applications                       with owners@odata.bind (the deployer), per application
//	PATCH  /v1.0/applications/{id}                  displayName "TERRAFORM_UPDATE_<uuid>", then back
//	GET    /v1.0/applications/{id}, .../owners, /beta/applications/{id}?$select=oauth2RequirePostResponse
//	PATCH  identifierUris and api.oauth2PermissionScopes (lkps_agent_client_scope), then
//	       api.preAuthorizedApplications (lkps_preauthorized_client)
//	DELETE /v1.0/applications/{id}, then GET until 404 (azuread waits for five in a row)
//
// and checks that the deleted applications are then in the deleted items, their URIs reserved.
func TestSDKAzureadOnboardingSequence(t *testing.T) {
	t.Parallel()
	ts, g := deployerGraph(t)
	deployer := application(t, ts, ts.DeployerClientID)

	create := func(name string) models.Applicationable {
		t.Helper()
		body := models.NewApplication()
		body.SetDisplayName(&name)
		body.SetSignInAudience(ptr("AzureADMyOrg"))
		body.SetIdentifierUris([]string{})
		body.SetAdditionalData(map[string]any{"owners@odata.bind": []string{
			ts.GraphBaseURL + "/v1.0/directoryObjects/" + deployer.ServicePrincipalID,
		}})
		created, err := g.collection().Post(ctx(t), body, nil)
		if err != nil {
			t.Fatalf("POST %s: %v", name, err)
		}
		id := *created.GetId()
		for _, n := range []string{"TERRAFORM_UPDATE_4da7ab54-e68a-8e31-a3bc-539bdff8492c", name} {
			upd := models.NewApplication()
			upd.SetDisplayName(&n)
			if _, err := g.byObjectID(id).Patch(ctx(t), upd, nil); err != nil {
				t.Fatalf("PATCH displayName %s: %v", n, err)
			}
		}
		owners, err := g.byObjectID(id).Owners().Get(ctx(t), nil)
		if err != nil || len(owners.GetValue()) != 1 || *owners.GetValue()[0].GetId() != deployer.ServicePrincipalID {
			t.Fatalf("owners of %s: %v", name, err)
		}
		if _, err := g.send(ctx(t), abs.GET, ts.GraphBaseURL+"/beta/applications/"+id+"?$select=oauth2RequirePostResponse", models.CreateApplicationFromDiscriminatorValue); err != nil {
			t.Fatalf("GET beta %s: %v", name, err)
		}
		return created
	}
	agent := create("voice-agent")
	client := create("voice-agent web frontend")

	// lkps: the Application ID URI and the scope in one PATCH, then the pre-authorization.
	agentApp := g.byAppID(*agent.GetAppId())
	scopes := scopesPatch(newScope(scopeValue, true))
	scopes.SetIdentifierUris([]string{"api://" + *agent.GetAppId()})
	if err := patch(t, agentApp, scopes); err != nil {
		t.Fatalf("PATCH scope and URI: %v", err)
	}
	if err := patch(t, agentApp, preAuthPatch(*client.GetAppId(), scopeID)); err != nil {
		t.Fatalf("PATCH pre-authorization: %v", err)
	}

	// terraform destroy: azuread deletes each application and reads it until it is gone.
	for _, app := range []models.Applicationable{client, agent} {
		if err := g.byObjectID(*app.GetId()).Delete(ctx(t), nil); err != nil {
			t.Fatalf("DELETE: %v", err)
		}
		for range 5 {
			_, err := g.byObjectID(*app.GetId()).Get(ctx(t), nil)
			odataError(t, err, http.StatusNotFound, graphapi.CodeNotFound)
		}
	}
	deleted, err := g.deletedItems().GraphApplication().Get(ctx(t), nil)
	if err != nil || len(deleted.GetValue()) != 2 {
		t.Fatalf("deleted applications: %v", err)
	}
	// Applying again creates new applications: api://<new appId> does not collide, the old URI would.
	again := create("voice-agent")
	reuse := models.NewApplication()
	reuse.SetIdentifierUris([]string{"api://" + *agent.GetAppId()})
	_, err = g.byObjectID(*again.GetId()).Patch(ctx(t), reuse, nil)
	oe := odataError(t, err, http.StatusBadRequest, graphapi.CodeRequestBadRequest)
	if *oe.GetMessage() != graphapi.MsgIdentifierURIExists {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
}
