package contracttest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	abs "github.com/microsoft/kiota-abstractions-go"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/directory"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/policies"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

// The contract tests of the rows of the emulator's fidelity page (templates/guides/emulator-fidelity.md)
// for soft delete, the tenant's app management policy, identifier URIs and bad input: each sends the
// request msgraph-sdk-go sends and checks what the SDK decodes.

func (g *graphClient) deletedItems() *directory.DeletedItemsRequestBuilder {
	return directory.NewDeletedItemsRequestBuilderInternal(map[string]string{}, g.adapter)
}

func (g *graphClient) appPolicy() *policies.DefaultAppManagementPolicyRequestBuilder {
	return policies.NewDefaultAppManagementPolicyRequestBuilderInternal(map[string]string{}, g.adapter)
}

func withIdentifierURIs(uris ...string) models.Applicationable {
	app := models.NewApplication()
	app.SetIdentifierUris(uris)
	return app
}

// identifierURIPolicy is a PATCH of the default app management policy that sets one identifier URI
// restriction. msgraph-sdk-go v1.89.0's v1.0 models have no identifierUris in
// appManagementApplicationConfiguration, so it goes as additional data, the way a client of those models
// has to send it.
func identifierURIPolicy(restriction, state string) models.TenantAppManagementPolicyable {
	r := absser.NewUntypedObject(map[string]absser.UntypedNodeable{"state": absser.NewUntypedString(state)})
	conf := models.NewAppManagementApplicationConfiguration()
	conf.SetAdditionalData(map[string]any{"identifierUris": absser.NewUntypedObject(map[string]absser.UntypedNodeable{restriction: r})})
	p := models.NewTenantAppManagementPolicy()
	p.SetIsEnabled(ptr(true))
	p.SetApplicationRestrictions(conf)
	return p
}

// restrictionState reads applicationRestrictions.identifierUris.<restriction>.state from a policy the SDK
// decoded (as additional data, see identifierURIPolicy).
func restrictionState(p models.TenantAppManagementPolicyable, restriction string) string {
	conf := p.GetApplicationRestrictions()
	if conf == nil {
		return ""
	}
	// The SDK decodes an unknown object as a map of its properties, strings as *string.
	uris, _ := conf.GetAdditionalData()["identifierUris"].(map[string]any)
	r, _ := uris[restriction].(map[string]any)
	if st, ok := r["state"].(*string); ok && st != nil {
		return *st
	}
	return ""
}

func TestSDKIdentifierURIsWithTheDefaultPolicy(t *testing.T) {
	t.Parallel()
	_, g := deployerGraph(t)
	agent := g.byAppID(emulator.DefaultAgentAppID)
	// A tenant that never changed its app management policy accepts api://<string>.
	if err := patch(t, agent, withIdentifierURIs("api://lkps-agent")); err != nil {
		t.Fatalf("api://<string>: %v", err)
	}
	// A value without a scheme is refused.
	odataError(t, patch(t, agent, withIdentifierURIs("lkps-agent")), http.StatusBadRequest, graphapi.CodeHostNameNotVerified)
	// An https host that is not a verified domain is refused whatever the policy.
	uri := "https://example.com/agent"
	oe := odataError(t, patch(t, agent, withIdentifierURIs(uri)), http.StatusBadRequest, graphapi.CodeHostNameNotVerified)
	if want := "Values of identifierUris property must use a verified domain of the organization or its subdomain: '" + uri + "'"; *oe.GetMessage() != want {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
}

func TestSDKAppManagementPolicy(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	admin, _ := adminClient(t, ts, graphapi.RolePolicyReadWriteApplicationConfig)
	deployer := newGraphClient(t, ts, ts.DeployerClientID, ts.DeployerSecret)

	p, err := admin.appPolicy().Get(ctx(t), nil)
	if err != nil {
		t.Fatalf("GET policy: %v", err)
	}
	if p.GetIsEnabled() == nil || *p.GetIsEnabled() || p.GetApplicationRestrictions() == nil {
		t.Fatalf("default policy: enabled %v, restrictions %v", p.GetIsEnabled(), p.GetApplicationRestrictions())
	}
	// Reading and changing the policy needs the Policy permissions.
	_, err = deployer.appPolicy().Get(ctx(t), nil)
	odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)
	_, err = deployer.appPolicy().Patch(ctx(t), identifierURIPolicy("uriAdditionWithoutUniqueTenantIdentifier", "enabled"), nil)
	odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)

	if _, err := admin.appPolicy().Patch(ctx(t), identifierURIPolicy("uriAdditionWithoutUniqueTenantIdentifier", "enabled"), nil); err != nil {
		t.Fatalf("PATCH policy: %v", err)
	}
	p, err = admin.appPolicy().Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := restrictionState(p, "uriAdditionWithoutUniqueTenantIdentifier"); !*p.GetIsEnabled() || st != "enabled" {
		t.Fatalf("policy after PATCH: isEnabled %v, state %q", *p.GetIsEnabled(), st)
	}

	agent := deployer.byAppID(emulator.DefaultAgentAppID)
	oe := odataError(t, patch(t, agent, withIdentifierURIs("api://lkps-agent")), http.StatusBadRequest, graphapi.CodeUniqueTenantIdentifierPolicy)
	if want := fmt.Sprintf(graphapi.MsgUniqueTenantIdentifierPolicyF, "api://lkps-agent"); *oe.GetMessage() != want {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	if err := patch(t, agent, withIdentifierURIs("api://"+ts.TenantID()+"/lkps-agent")); err != nil {
		t.Fatalf("api://<tenantId>/<string> under uriAdditionWithoutUniqueTenantIdentifier: %v", err)
	}

	if _, err := admin.appPolicy().Patch(ctx(t), identifierURIPolicy("nonDefaultUriAddition", "enabled"), nil); err != nil {
		t.Fatal(err)
	}
	uri := "api://" + ts.TenantID() + "/other"
	oe = odataError(t, patch(t, agent, withIdentifierURIs(uri)), http.StatusBadRequest, graphapi.CodeNonDefaultURIPolicy)
	if want := fmt.Sprintf(graphapi.MsgNonDefaultURIPolicyF, uri); *oe.GetMessage() != want {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	if err := patch(t, agent, withIdentifierURIs("api://"+emulator.DefaultAgentAppID)); err != nil {
		t.Fatalf("api://<appId> under nonDefaultUriAddition: %v", err)
	}
}

func TestSDKSoftDeleteRestoreAndPurge(t *testing.T) {
	t.Parallel()
	ts, g := deployerGraph(t)
	uri := "api://" + ts.TenantID() + "/soft-deleted"
	body := models.NewApplication()
	body.SetDisplayName(ptr("soft-deleted"))
	body.SetIdentifierUris([]string{uri})
	created, err := g.collection().Post(ctx(t), body, nil)
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	id := *created.GetId()
	if err := g.byObjectID(id).Delete(ctx(t), nil); err != nil {
		t.Fatalf("DELETE: %v", err)
	}
	list, err := g.deletedItems().GraphApplication().Get(ctx(t), nil)
	if err != nil {
		t.Fatalf("list deleted applications: %v", err)
	}
	if len(list.GetValue()) != 1 || *list.GetValue()[0].GetId() != id || list.GetValue()[0].GetDeletedDateTime() == nil {
		t.Fatalf("deleted applications: %d", len(list.GetValue()))
	}
	item, err := g.deletedItems().ByDirectoryObjectId(id).Get(ctx(t), nil)
	if err != nil {
		t.Fatalf("get deleted item: %v", err)
	}
	if app, ok := item.(models.Applicationable); !ok || *app.GetAppId() != *created.GetAppId() {
		t.Fatalf("deleted item decodes as %T", item)
	}
	// The identifier URI stays reserved while the application is soft-deleted.
	again := models.NewApplication()
	again.SetDisplayName(ptr("again"))
	again.SetIdentifierUris([]string{uri})
	_, err = g.collection().Post(ctx(t), again, nil)
	oe := odataError(t, err, http.StatusBadRequest, graphapi.CodeRequestBadRequest)
	if *oe.GetMessage() != graphapi.MsgIdentifierURIExists {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	restored, err := g.deletedItems().ByDirectoryObjectId(id).Restore().Post(ctx(t), nil)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if app, ok := restored.(models.Applicationable); !ok || len(app.GetIdentifierUris()) != 1 || app.GetIdentifierUris()[0] != uri {
		t.Fatalf("restored %T", restored)
	}
	if _, err := g.byObjectID(id).Get(ctx(t), nil); err != nil {
		t.Fatalf("GET after restore: %v", err)
	}
	// Permanent delete frees the URI.
	if err := g.byObjectID(id).Delete(ctx(t), nil); err != nil {
		t.Fatal(err)
	}
	if err := g.deletedItems().ByDirectoryObjectId(id).Delete(ctx(t), nil); err != nil {
		t.Fatalf("permanent delete: %v", err)
	}
	_, err = g.deletedItems().ByDirectoryObjectId(id).Get(ctx(t), nil)
	odataError(t, err, http.StatusNotFound, graphapi.CodeNotFound)
	if _, err := g.collection().Post(ctx(t), again, nil); err != nil {
		t.Fatalf("re-create after the permanent delete: %v", err)
	}
}

func TestSDKBadInput(t *testing.T) {
	t.Parallel()
	_, g := deployerGraph(t)
	agent := g.byAppID(emulator.DefaultAgentAppID)
	before, err := agent.Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}

	oe := odataError(t, patch(t, agent, scopesPatch(newScope(strings.Repeat("a", 121), true))), http.StatusBadRequest, graphapi.CodeRequestBadRequest)
	if *oe.GetMessage() != "Invalid value specified for property 'value' of resource 'PermissionScope'." {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	unknown := models.NewApplication()
	unknown.SetAdditionalData(map[string]any{"noSuchProperty": ptr("x")})
	oe = odataError(t, patch(t, agent, unknown), http.StatusBadRequest, graphapi.CodeRequestBadRequest)
	if *oe.GetMessage() != "Property 'noSuchProperty' does not exist as a declared property or extension property." {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	wrongType := models.NewApplication()
	wrongType.SetAdditionalData(map[string]any{"signInAudience": ptr(int32(3))})
	odataError(t, patch(t, agent, wrongType), http.StatusBadRequest, graphapi.CodeBadRequest)

	// Malformed JSON, sent through the SDK's request adapter.
	info := abs.NewRequestInformation()
	info.Method = abs.PATCH
	info.UrlTemplate = "{+baseurl}/applications(appId='{appId}')"
	info.PathParameters = map[string]string{"baseurl": g.adapter.GetBaseUrl(), "appId": emulator.DefaultAgentAppID}
	info.SetStreamContentAndContentType([]byte(`{"displayName":`), "application/json")
	err = g.adapter.SendNoContent(ctx(t), info, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	oe = odataError(t, err, http.StatusBadRequest, graphapi.CodeBadRequest)
	if !strings.HasPrefix(*oe.GetMessage(), "Unable to read JSON request payload.") {
		t.Fatalf("message = %q", *oe.GetMessage())
	}

	// A pre-authorization of a scope id the application does not have.
	oe = odataError(t, patch(t, agent, preAuthPatch(emulator.DefaultClientAppID, unknownApp)), http.StatusBadRequest, graphapi.CodeRequestBadRequest)
	if *oe.GetMessage() != graphapi.MsgUnknownPermissionID {
		t.Fatalf("message = %q", *oe.GetMessage())
	}

	after, err := agent.Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.GetApi().GetOauth2PermissionScopes()) != len(before.GetApi().GetOauth2PermissionScopes()) ||
		*after.GetDisplayName() != *before.GetDisplayName() || len(after.GetApi().GetPreAuthorizedApplications()) != len(before.GetApi().GetPreAuthorizedApplications()) {
		t.Fatal("a refused request changed the application")
	}
}

// Rows of the fidelity page without a contract test of their own: the service principal list with
// $filter and the applications an identity owns, through kiota's request adapter with msgraph-sdk-go's
// models (the serviceprincipals package is too expensive to compile here).

func TestSDKServicePrincipalList(t *testing.T) {
	t.Parallel()
	ts, g := deployerGraph(t)
	filter := url.QueryEscape("appId in ('" + emulator.DefaultAgentAppID + "','" + emulator.DefaultClientAppID + "')")
	got, err := g.send(ctx(t), abs.GET, ts.GraphBaseURL+"/v1.0/servicePrincipals?$filter="+filter, models.CreateServicePrincipalCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("list service principals: %v", err)
	}
	seen := map[string]bool{}
	for _, sp := range as[models.ServicePrincipalCollectionResponseable](t, got).GetValue() {
		seen[*sp.GetAppId()] = true
	}
	if len(seen) != 2 || !seen[emulator.DefaultAgentAppID] || !seen[emulator.DefaultClientAppID] {
		t.Fatalf("service principals = %v", seen)
	}
}

func TestSDKOwnedApplications(t *testing.T) {
	t.Parallel()
	ts, g := deployerGraph(t)
	deployer := application(t, ts, ts.DeployerClientID)
	got, err := g.send(ctx(t), abs.GET, ts.GraphBaseURL+"/v1.0/servicePrincipals/"+deployer.ServicePrincipalID+"/ownedObjects/microsoft.graph.application",
		models.CreateApplicationCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("owned applications: %v", err)
	}
	apps := as[models.ApplicationCollectionResponseable](t, got).GetValue()
	found := false
	for _, a := range apps {
		found = found || *a.GetAppId() == emulator.DefaultAgentAppID
	}
	if !found {
		t.Fatalf("the deployer owns the agent, got %d applications", len(apps))
	}
	// /me needs a signed-in user: an app-only token is refused with Graph's 400.
	_, err = g.send(ctx(t), abs.GET, ts.GraphBaseURL+"/v1.0/me/ownedObjects/microsoft.graph.application", models.CreateApplicationCollectionResponseFromDiscriminatorValue)
	odataError(t, err, 400, "BadRequest")
}
