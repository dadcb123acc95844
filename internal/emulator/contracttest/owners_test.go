package contracttest

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

func mustURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}

// The application surface as the azuread provider and msgraph-sdk-go use it: owners, users, directory
// objects, service principals by id, domains and /beta. Requests go through the applications request
// builders or, for the other paths, kiota's request adapter with msgraph-sdk-go's models (the users and
// root packages are too expensive to compile here).

// admin is a client holding Application.ReadWrite.All and Directory.Read.All: what adding an owner
// takes (application-post-owners).
func adminClient(t *testing.T, ts *emulator.TestServer, roles ...string) (*graphClient, string) {
	t.Helper()
	const secret = "owners-admin-secret"
	rec, err := ts.Admin().CreateApplication(emulator.SeedApplication{
		DisplayName: "owners admin", Secrets: []emulator.SeedSecret{{Value: secret}}, GraphRoles: roles,
	})
	if err != nil {
		t.Fatal(err)
	}
	return newGraphClient(t, ts, rec.Application.AppID, secret), rec.ServicePrincipalID
}

// adminGraph starts a test server and returns it with a Graph client of a new application holding the
// Graph app roles, and that application's service principal id.
func adminGraph(t *testing.T, roles ...string) (*emulator.TestServer, *graphClient, string) {
	t.Helper()
	ts := emulator.NewTestServer(t)
	g, sp := adminClient(t, ts, roles...)
	return ts, g, sp
}

func refBody(id string) models.ReferenceCreateable {
	b := models.NewReferenceCreate()
	b.SetOdataId(ptr("https://graph.microsoft.com/v1.0/directoryObjects/" + id))
	return b
}

// send issues a request to a path of the Graph base URL (version included) and parses the answer with
// the model's factory; errors are Graph's, as *odataerrors.ODataError.
func (g *graphClient) send(c context.Context, method abs.HttpMethod, url string, factory absser.ParsableFactory) (absser.Parsable, error) {
	req := abs.NewRequestInformation()
	req.Method = method
	req.SetUri(*mustURL(url))
	req.Headers.TryAdd("Accept", "application/json")
	return g.adapter.Send(c, req, factory, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
}

func ownerIDs(t *testing.T, resp models.DirectoryObjectCollectionResponseable) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range resp.GetValue() {
		switch o.(type) {
		case models.Userable:
			out[*o.GetId()] = "user"
		case models.ServicePrincipalable:
			out[*o.GetId()] = "servicePrincipal"
		default:
			out[*o.GetId()] = "other"
		}
	}
	return out
}

func TestSDKApplicationOwnersListAddRemove(t *testing.T) {
	t.Parallel()
	ts, g, adminSP := adminGraph(t, graphapi.RoleApplicationReadWriteAll, graphapi.RoleDirectoryReadAll)
	agent := application(t, ts, emulator.DefaultAgentAppID)
	owners := g.byObjectID(agent.Application.ID).Owners()
	list, err := owners.Get(ctx(t), nil)
	if err != nil {
		t.Fatalf("GET owners: %v", err)
	}
	if got := ownerIDs(t, list); len(got) != 1 || got[agent.Owners[0]] != "servicePrincipal" {
		t.Fatalf("owners = %v, want the deployer's service principal", got)
	}
	// A user of the seed and the caller's own service principal become owners.
	for _, id := range []string{emulator.DefaultUserID, adminSP} {
		if err := owners.Ref().Post(ctx(t), refBody(id), nil); err != nil {
			t.Fatalf("POST owners/$ref %s: %v", id, err)
		}
	}
	list, err = owners.Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ownerIDs(t, list); len(got) != 3 || got[emulator.DefaultUserID] != "user" || got[adminSP] != "servicePrincipal" {
		t.Fatalf("owners = %v", got)
	}
	// Adding an owner twice: Graph's 400.
	err = owners.Ref().Post(ctx(t), refBody(emulator.DefaultUserID), nil)
	if oe := odataError(t, err, http.StatusBadRequest, graphapi.CodeRequestBadRequest); *oe.GetMessage() != "One or more added object references already exist for the following modified properties: 'owners'." {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	// A reference to an object that does not exist: 404, nothing stored.
	err = owners.Ref().Post(ctx(t), refBody(unknownApp), nil)
	odataError(t, err, http.StatusNotFound, graphapi.CodeNotFound)
	// Removing: 204, then 404 for an object that is no longer an owner.
	if err := owners.ByDirectoryObjectId(emulator.DefaultUserID).Ref().Delete(ctx(t), nil); err != nil {
		t.Fatalf("DELETE owners/{id}/$ref: %v", err)
	}
	err = owners.ByDirectoryObjectId(emulator.DefaultUserID).Ref().Delete(ctx(t), nil)
	odataError(t, err, http.StatusNotFound, graphapi.CodeNotFound)
	list, err = owners.Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ownerIDs(t, list); len(got) != 2 {
		t.Fatalf("owners after removal = %v", got)
	}
}

// Permissions per token kind (application-post-owners): Application.ReadWrite.OwnedBy cannot add
// another owner even of an application it owns, and Application.ReadWrite.All needs Directory.Read.All
// besides; removing an owner (application-delete-owners) takes OwnedBy on an owned application.
func TestSDKOwnerPermissions(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	agent := application(t, ts, emulator.DefaultAgentAppID)
	deployer := newGraphClient(t, ts, ts.DeployerClientID, ts.DeployerSecret)
	owners := deployer.byObjectID(agent.Application.ID).Owners()
	if _, err := owners.Get(ctx(t), nil); err != nil {
		t.Fatalf("the deployer (OwnedBy) lists owners: %v", err)
	}
	err := owners.Ref().Post(ctx(t), refBody(emulator.DefaultUserID), nil)
	if oe := odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied); *oe.GetMessage() != graphapi.MsgAccessDenied {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	noDirectory, _ := adminClient(t, ts, graphapi.RoleApplicationReadWriteAll)
	err = noDirectory.byObjectID(agent.Application.ID).Owners().Ref().Post(ctx(t), refBody(emulator.DefaultUserID), nil)
	odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)

	// The deployer owns the agent: OwnedBy removes an owner of it (here itself, the only owner; Graph
	// does not refuse removing the last owner).
	deployerSP := agent.Owners[0]
	if err := owners.ByDirectoryObjectId(deployerSP).Ref().Delete(ctx(t), nil); err != nil {
		t.Fatalf("OwnedBy removing an owner of an owned application: %v", err)
	}
	// Now it owns nothing: removing again is 403 (no longer an owner), not 404.
	err = owners.ByDirectoryObjectId(deployerSP).Ref().Delete(ctx(t), nil)
	odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)
}

// POST /applications with owners@odata.bind: the bound users and service principals own the new
// application besides the caller; an unknown object is a 404 and nothing is created.
func TestSDKCreateWithOwnersBind(t *testing.T) {
	t.Parallel()
	ts, g, adminSP := adminGraph(t, graphapi.RoleApplicationReadWriteAll, graphapi.RoleDirectoryReadAll)
	body := models.NewApplication()
	body.SetDisplayName(ptr("created with owners"))
	body.SetAdditionalData(map[string]any{"owners@odata.bind": []string{
		"https://graph.microsoft.com/v1.0/directoryObjects/" + emulator.DefaultUserID,
	}})
	created, err := g.collection().Post(ctx(t), body, nil)
	if err != nil {
		t.Fatalf("POST applications with owners@odata.bind: %v", err)
	}
	list, err := g.byObjectID(*created.GetId()).Owners().Get(ctx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ownerIDs(t, list); len(got) != 2 || got[emulator.DefaultUserID] != "user" || got[adminSP] != "servicePrincipal" {
		t.Fatalf("owners = %v, want the bound user and the caller", got)
	}
	before := len(ts.Directory().List(directory.Primary))
	bad := models.NewApplication()
	bad.SetDisplayName(ptr("bad owner"))
	bad.SetAdditionalData(map[string]any{"owners@odata.bind": []string{"https://graph.microsoft.com/v1.0/directoryObjects/" + unknownApp}})
	_, err = g.collection().Post(ctx(t), bad, nil)
	odataError(t, err, http.StatusNotFound, graphapi.CodeNotFound)
	if after := len(ts.Directory().List(directory.Primary)); after != before {
		t.Fatalf("%d applications after a refused create, want %d", after, before)
	}
}

// Users, directory objects, service principals by id, and their owners.
func TestSDKUsersDirectoryObjectsServicePrincipals(t *testing.T) {
	t.Parallel()
	ts, g, adminSP := adminGraph(t, graphapi.RoleApplicationReadWriteAll, graphapi.RoleDirectoryReadAll)
	base := ts.GraphBaseURL + "/v1.0"
	u, err := g.send(ctx(t), abs.GET, base+"/users/"+emulator.DefaultUserID, models.CreateUserFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("GET users/{id}: %v", err)
	}
	if user := as[models.Userable](t, u); *user.GetUserPrincipalName() != "emulator.user@bayer.com" {
		t.Fatalf("user = %v", *user.GetUserPrincipalName())
	}
	obj, err := g.send(ctx(t), abs.GET, base+"/directoryObjects/"+emulator.DefaultUserID, models.CreateDirectoryObjectFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("GET directoryObjects/{user id}: %v", err)
	}
	if _, ok := obj.(models.Userable); !ok {
		t.Fatalf("directoryObjects/{user id} decoded as %T, want a user", obj)
	}
	obj, err = g.send(ctx(t), abs.GET, base+"/directoryObjects/"+adminSP, models.CreateDirectoryObjectFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("GET directoryObjects/{service principal id}: %v", err)
	}
	if sp, ok := obj.(models.ServicePrincipalable); !ok || sp.GetAppId() == nil {
		t.Fatalf("directoryObjects/{sp id} decoded as %T", obj)
	}
	sp, err := g.send(ctx(t), abs.GET, base+"/servicePrincipals/"+adminSP, models.CreateServicePrincipalFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("GET servicePrincipals/{id}: %v", err)
	}
	if *as[models.ServicePrincipalable](t, sp).GetId() != adminSP {
		t.Fatal("servicePrincipals/{id} returned another object")
	}
	_, err = g.send(ctx(t), abs.GET, base+"/users/"+unknownApp, models.CreateUserFromDiscriminatorValue)
	odataError(t, err, http.StatusNotFound, graphapi.CodeNotFound)

	// Owners of a service principal: list, add, remove.
	if err := postRef(t, g, base+"/servicePrincipals/"+adminSP+"/owners/$ref", emulator.DefaultUserID); err != nil {
		t.Fatalf("POST servicePrincipals/{id}/owners/$ref: %v", err)
	}
	owners, err := g.send(ctx(t), abs.GET, base+"/servicePrincipals/"+adminSP+"/owners", models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	if got := ownerIDs(t, as[models.DirectoryObjectCollectionResponseable](t, owners)); len(got) != 1 || got[emulator.DefaultUserID] != "user" {
		t.Fatalf("service principal owners = %v", got)
	}
	if _, err := g.send(ctx(t), abs.DELETE, base+"/servicePrincipals/"+adminSP+"/owners/"+emulator.DefaultUserID+"/$ref", nil); err != nil {
		t.Fatalf("DELETE servicePrincipals/{id}/owners/{id}/$ref: %v", err)
	}

	// An app-only caller with only application roles may not read users (user-get: User.Read.All and up).
	deployer := newGraphClient(t, ts, ts.DeployerClientID, ts.DeployerSecret)
	_, err = deployer.send(ctx(t), abs.GET, base+"/users/"+emulator.DefaultUserID, models.CreateUserFromDiscriminatorValue)
	odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)
}

func postRef(t *testing.T, g *graphClient, url, id string) error {
	t.Helper()
	req := abs.NewRequestInformation()
	req.Method = abs.POST
	req.SetUri(*mustURL(url))
	if err := req.SetContentFromParsable(ctx(t), g.adapter, "application/json", refBody(id)); err != nil {
		t.Fatal(err)
	}
	return g.adapter.SendNoContent(ctx(t), req, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
}

func TestSDKDomains(t *testing.T) {
	t.Parallel()
	ts, g, _ := adminGraph(t, graphapi.RoleDirectoryReadAll)
	domains := listDomains(t, ts, g)
	// The seed's verified domain (the default), then the tenant's initial domain (serviceprincipals_test.go).
	if len(domains) != 2 || *domains[0].GetId() != "bayer.com" || !*domains[0].GetIsVerified() || !*domains[0].GetIsDefault() || *domains[0].GetIsInitial() {
		t.Fatalf("domains = %v", domains)
	}
	// Domain.Read.All or Directory.Read.All (domain-list); application roles alone are refused.
	deployer := newGraphClient(t, ts, ts.DeployerClientID, ts.DeployerSecret)
	_, err := deployer.send(ctx(t), abs.GET, ts.GraphBaseURL+"/v1.0/domains", models.CreateDomainCollectionResponseFromDiscriminatorValue)
	odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)
}

// /beta serves the application paths of v1.0, with oauth2RequirePostResponse, which azuread reads and
// writes there (and which msgraph-sdk-go's v1.0 model has too).
func TestSDKBetaApplication(t *testing.T) {
	t.Parallel()
	ts, g := deployerGraph(t)
	agent := application(t, ts, emulator.DefaultAgentAppID)
	beta := ts.GraphBaseURL + "/beta/applications/" + agent.Application.ID
	got, err := g.send(ctx(t), abs.GET, beta+"?$select=oauth2RequirePostResponse", models.CreateApplicationFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("GET beta application: %v", err)
	}
	if v := as[models.Applicationable](t, got).GetOauth2RequirePostResponse(); v == nil || *v {
		t.Fatalf("oauth2RequirePostResponse = %v, want false", v)
	}
	// PATCH on /beta sets it; the rest of the body follows v1.0's rules.
	req := abs.NewRequestInformation()
	req.Method = abs.PATCH
	req.SetUri(*mustURL(beta))
	body := models.NewApplication()
	body.SetOauth2RequirePostResponse(ptr(true))
	if err := req.SetContentFromParsable(ctx(t), g.adapter, "application/json", body); err != nil {
		t.Fatal(err)
	}
	if err := g.adapter.SendNoContent(ctx(t), req, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}); err != nil {
		t.Fatalf("PATCH beta: %v", err)
	}
	got, err = g.send(ctx(t), abs.GET, beta, models.CreateApplicationFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	if v := as[models.Applicationable](t, got).GetOauth2RequirePostResponse(); v == nil || !*v {
		t.Fatalf("after the PATCH oauth2RequirePostResponse = %v", v)
	}
	if *as[models.Applicationable](t, got).GetAppId() != emulator.DefaultAgentAppID {
		t.Fatal("beta GET without $select lacks the v1.0 properties")
	}
	// The owners and service principal paths are served on /beta too.
	if _, err := g.send(ctx(t), abs.GET, ts.GraphBaseURL+"/beta/applications/"+agent.Application.ID+"/owners", models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue); err != nil {
		t.Fatalf("GET beta owners: %v", err)
	}
	if _, err := g.send(ctx(t), abs.GET, ts.GraphBaseURL+"/beta/servicePrincipals(appId='"+emulator.DefaultAgentAppID+"')", models.CreateServicePrincipalFromDiscriminatorValue); err != nil {
		t.Fatalf("GET beta servicePrincipals(appId=): %v", err)
	}
}

// A signed-in user (a delegated token, as from the Azure CLI) adds and removes owners of an
// application it may change: an Application Administrator of any, a member user only of its own.
func TestSDKDelegatedOwners(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	agent := application(t, ts, emulator.DefaultAgentAppID)
	userClient := func(roles ...string) *graphClient {
		tok, err := ts.Admin().MintUserToken(emulator.UserToken{ObjectID: emulator.DefaultUserID, Audience: "https://graph.microsoft.com", DirectoryRoles: roles})
		if err != nil {
			t.Fatal(err)
		}
		return newGraphClientWithAuth(t, ts, absauth.NewBaseBearerTokenAuthenticationProvider(newStaticToken(t, tok)))
	}
	member := userClient().byObjectID(agent.Application.ID).Owners()
	err := member.Ref().Post(ctx(t), refBody(emulator.DefaultUserID), nil)
	odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)
	admin := userClient(graphapi.RoleTemplateApplicationAdministrator).byObjectID(agent.Application.ID).Owners()
	if err := admin.Ref().Post(ctx(t), refBody(emulator.DefaultUserID), nil); err != nil {
		t.Fatalf("an Application Administrator adds an owner: %v", err)
	}
	// Now an owner, the member user removes itself.
	if err := member.ByDirectoryObjectId(emulator.DefaultUserID).Ref().Delete(ctx(t), nil); err != nil {
		t.Fatalf("an owner removes itself: %v", err)
	}
}

// azuread creates an application, then its service principal: POST /servicePrincipals answers 201 for
// an application created through Graph, 409 Request_MultipleObjectsWithSameKeyValue once it exists, and
// after DELETE /servicePrincipals/{id} creates it again.
func TestSDKServicePrincipalCreateDelete(t *testing.T) {
	t.Parallel()
	ts, g, _ := adminGraph(t, graphapi.RoleApplicationReadWriteAll, graphapi.RoleDirectoryReadAll)
	created := createApplication(t, g, "needs a service principal")
	create := func() (models.ServicePrincipalable, error) {
		body := models.NewServicePrincipal()
		body.SetAppId(created.GetAppId())
		body.SetAdditionalData(map[string]any{"owners@odata.bind": []string{"https://graph.microsoft.com/v1.0/directoryObjects/" + emulator.DefaultUserID}})
		return g.postServicePrincipal(t, ts, body)
	}
	sp, err := create()
	if err != nil {
		t.Fatalf("POST servicePrincipals: %v", err)
	}
	if *sp.GetAppId() != *created.GetAppId() || sp.GetId() == nil {
		t.Fatalf("service principal = %v", sp)
	}
	owners, err := g.send(ctx(t), abs.GET, ts.GraphBaseURL+"/v1.0/servicePrincipals/"+*sp.GetId()+"/owners", models.CreateDirectoryObjectCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	if got := ownerIDs(t, as[models.DirectoryObjectCollectionResponseable](t, owners)); len(got) != 1 || got[emulator.DefaultUserID] != "user" {
		t.Fatalf("service principal owners from owners@odata.bind = %v", got)
	}
	_, err = create()
	odataError(t, err, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue")
	if _, err := g.send(ctx(t), abs.DELETE, ts.GraphBaseURL+"/v1.0/servicePrincipals/"+*sp.GetId(), nil); err != nil {
		t.Fatalf("DELETE servicePrincipals/{id}: %v", err)
	}
	if _, err := create(); err != nil {
		t.Fatalf("POST servicePrincipals after the delete: %v", err)
	}
	// A seeded application has its service principal already.
	req := abs.NewRequestInformation()
	req.Method = abs.POST
	req.SetUri(*mustURL(ts.GraphBaseURL + "/v1.0/servicePrincipals"))
	body := models.NewServicePrincipal()
	body.SetAppId(ptr(emulator.DefaultClientAppID))
	if err := req.SetContentFromParsable(ctx(t), g.adapter, "application/json", body); err != nil {
		t.Fatal(err)
	}
	_, err = g.adapter.Send(ctx(t), req, models.CreateServicePrincipalFromDiscriminatorValue, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	odataError(t, err, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue")
}

// as asserts that an SDK answer has the model type the request asked for, failing the test otherwise.
func as[T any](t *testing.T, v absser.Parsable) T {
	t.Helper()
	got, ok := v.(T)
	if !ok {
		t.Fatalf("answer is %T, not the model asked for", v)
	}
	return got
}
