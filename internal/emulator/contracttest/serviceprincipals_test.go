package contracttest

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

// postServicePrincipal sends POST /servicePrincipals with the body, as azuread's service principal
// resource does.
func (g *graphClient) postServicePrincipal(t *testing.T, ts *emulator.TestServer, body models.ServicePrincipalable) (models.ServicePrincipalable, error) {
	t.Helper()
	req := abs.NewRequestInformation()
	req.Method = abs.POST
	req.SetUri(*mustURL(ts.GraphBaseURL + "/v1.0/servicePrincipals"))
	if err := req.SetContentFromParsable(ctx(t), g.adapter, "application/json", body); err != nil {
		t.Fatal(err)
	}
	sp, err := g.adapter.Send(ctx(t), req, models.CreateServicePrincipalFromDiscriminatorValue, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	if err != nil {
		return nil, err
	}
	created, ok := sp.(models.ServicePrincipalable)
	if !ok {
		return nil, fmt.Errorf("answer is %T, not a service principal", sp)
	}
	return created, nil
}

// An application created through Graph has no service principal until a client creates one: Graph
// answers 404 for it, and Entra refuses the application a token with AADSTS7000229 (azidentity reports
// it); once POST /servicePrincipals created it, both work.
func TestSDKServicePrincipalMissingUntilCreated(t *testing.T) {
	t.Parallel()
	ts, g, _ := adminGraph(t, graphapi.RoleApplicationReadWriteAll, graphapi.RoleDirectoryReadAll)
	created := createApplication(t, g, "created without a service principal")
	appID := *created.GetAppId()
	spPath := ts.GraphBaseURL + "/v1.0/servicePrincipals(appId='" + appID + "')"
	_, err := g.send(ctx(t), abs.GET, spPath, models.CreateServicePrincipalFromDiscriminatorValue)
	odataError(t, err, http.StatusNotFound, graphapi.CodeNotFound)

	// A secret (as addPassword would add one; the emulator's Graph does not serve addPassword).
	const secret = "no-sp-secret"
	if _, err := ts.Directory().Update(directory.Ref{AppID: appID}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
		next := cur.Clone()
		next.Secrets = append(next.Secrets, directory.Secret{Value: secret})
		return next, nil
	}); err != nil {
		t.Fatal(err)
	}
	cred, err := azidentity.NewClientSecretCredential(ts.TenantID(), appID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: ts.AuthorityHost + "/"}, Transport: ts.Client},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{graphScope}})
	var authErr *azidentity.AuthenticationFailedError
	if !errors.As(err, &authErr) || authErr.RawResponse.StatusCode != http.StatusUnauthorized || !strings.Contains(err.Error(), "AADSTS7000229") {
		t.Fatalf("token without a service principal: %v, want 401 AADSTS7000229", err)
	}

	body := models.NewServicePrincipal()
	body.SetAppId(&appID)
	if _, err := g.postServicePrincipal(t, ts, body); err != nil {
		t.Fatalf("POST servicePrincipals: %v", err)
	}
	if _, err := g.send(ctx(t), abs.GET, spPath, models.CreateServicePrincipalFromDiscriminatorValue); err != nil {
		t.Fatalf("GET the created service principal: %v", err)
	}
	if _, err := cred.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{graphScope}}); err != nil {
		t.Fatalf("token once the service principal exists: %v", err)
	}
}

// listDomains answers GET /domains sent with g.
func listDomains(t *testing.T, ts *emulator.TestServer, g *graphClient) []models.Domainable {
	t.Helper()
	resp, err := g.send(ctx(t), abs.GET, ts.GraphBaseURL+"/v1.0/domains", models.CreateDomainCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatalf("GET domains: %v", err)
	}
	return as[models.DomainCollectionResponseable](t, resp).GetValue()
}

// GET /domains includes the tenant's initial <name>.onmicrosoft.com domain, verified and initial.
func TestSDKDomainsInitialDomain(t *testing.T) {
	t.Parallel()
	ts, g, _ := adminGraph(t, graphapi.RoleDomainReadAll)
	var initial []string
	for _, d := range listDomains(t, ts, g) {
		if d.GetIsInitial() != nil && *d.GetIsInitial() {
			if !*d.GetIsVerified() || *d.GetIsDefault() {
				t.Errorf("initial domain %s: verified %v, default %v", *d.GetId(), *d.GetIsVerified(), *d.GetIsDefault())
			}
			initial = append(initial, *d.GetId())
		}
	}
	if len(initial) != 1 || !strings.HasSuffix(initial[0], ".onmicrosoft.com") {
		t.Fatalf("initial domains = %v, want one <name>.onmicrosoft.com", initial)
	}
}

// azuread's service principal resource through msgraph-sdk-go's models: POST /servicePrincipals with
// its properties (accountEnabled, appRoleAssignmentRequired, tags, notes, a temporary description), then
// PATCH the description, by id and by appId, then GET (v1.0, and /beta with $select=samlMetadataUrl);
// Application.ReadWrite.OwnedBy without owning it is refused.
func TestSDKServicePrincipalPropertiesAndPatch(t *testing.T) {
	t.Parallel()
	ts, g, _ := adminGraph(t, graphapi.RoleApplicationReadWriteAll, graphapi.RoleDirectoryReadAll)
	created := createApplication(t, g, "azuread service principal")
	body := models.NewServicePrincipal()
	body.SetAppId(created.GetAppId())
	body.SetAccountEnabled(ptr(true))
	body.SetAppRoleAssignmentRequired(ptr(true))
	body.SetTags([]string{"HideApp"})
	body.SetNotes(ptr("team x"))
	body.SetDescription(ptr("TERRAFORM_UPDATE_tmp"))
	sp, err := g.postServicePrincipal(t, ts, body)
	if err != nil {
		t.Fatalf("POST servicePrincipals: %v", err)
	}
	if !*sp.GetAppRoleAssignmentRequired() || *sp.GetNotes() != "team x" || len(sp.GetTags()) != 1 {
		t.Fatalf("created service principal lacks the body's properties")
	}
	patch := func(url string, p models.ServicePrincipalable) error {
		req := abs.NewRequestInformation()
		req.Method = abs.PATCH
		req.SetUri(*mustURL(url))
		if err := req.SetContentFromParsable(ctx(t), g.adapter, "application/json", p); err != nil {
			t.Fatal(err)
		}
		return g.adapter.SendNoContent(ctx(t), req, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	}
	byID := ts.GraphBaseURL + "/v1.0/servicePrincipals/" + *sp.GetId()
	desc := models.NewServicePrincipal()
	desc.SetDescription(ptr("the agent's client"))
	if err := patch(byID, desc); err != nil {
		t.Fatalf("PATCH servicePrincipals/{id}: %v", err)
	}
	enabled := models.NewServicePrincipal()
	enabled.SetAccountEnabled(ptr(false))
	if err := patch(ts.GraphBaseURL+"/v1.0/servicePrincipals(appId='"+*created.GetAppId()+"')", enabled); err != nil {
		t.Fatalf("PATCH servicePrincipals(appId=): %v", err)
	}
	got, err := g.send(ctx(t), abs.GET, byID, models.CreateServicePrincipalFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	read := as[models.ServicePrincipalable](t, got)
	if *read.GetDescription() != "the agent's client" || *read.GetAccountEnabled() || !*read.GetAppRoleAssignmentRequired() ||
		*read.GetNotes() != "team x" || read.GetTags()[0] != "HideApp" || *read.GetAppOwnerOrganizationId() != mustUUID(ts.TenantID()) {
		t.Fatalf("service principal after the PATCHes: description %v, accountEnabled %v", read.GetDescription(), read.GetAccountEnabled())
	}
	if _, err := g.send(ctx(t), abs.GET, ts.GraphBaseURL+"/beta/servicePrincipals/"+*sp.GetId()+"?$select=samlMetadataUrl", models.CreateServicePrincipalFromDiscriminatorValue); err != nil {
		t.Fatalf("GET beta $select=samlMetadataUrl: %v", err)
	}
	bad := models.NewServicePrincipal()
	bad.SetAdditionalData(map[string]any{"colour": "red"})
	odataError(t, patch(byID, bad), http.StatusBadRequest, graphapi.CodeRequestBadRequest)

	deployer := newGraphClient(t, ts, ts.DeployerClientID, ts.DeployerSecret)
	req := abs.NewRequestInformation()
	req.Method = abs.PATCH
	req.SetUri(*mustURL(byID))
	if err := req.SetContentFromParsable(ctx(t), deployer.adapter, "application/json", desc); err != nil {
		t.Fatal(err)
	}
	err = deployer.adapter.SendNoContent(ctx(t), req, abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue})
	odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)
}

// Owners come in pages as msgraph-sdk-go reads them: $top, then @odata.nextLink followed with WithUrl
// until there is none; a $top above 999 is Graph's 400.
func TestSDKOwnersPaging(t *testing.T) {
	t.Parallel()
	ts, g, _ := adminGraph(t, graphapi.RoleApplicationReadAll)
	agent := application(t, ts, emulator.DefaultAgentAppID)
	added := make([]string, 0, 7)
	if _, err := ts.Directory().Update(directory.Ref{ObjectID: agent.Application.ID}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
		next := cur.Clone()
		for range 7 {
			id := directory.NewGUID()
			added = append(added, id)
			next.Owners = append(next.Owners, id)
		}
		return next, nil
	}); err != nil {
		t.Fatal(err)
	}
	want := len(agent.Owners) + len(added)
	owners := g.byObjectID(agent.Application.ID).Owners()
	page, err := owners.Get(ctx(t), &applications.ItemOwnersRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ItemOwnersRequestBuilderGetQueryParameters{Top: ptr(int32(3))},
	})
	if err != nil {
		t.Fatalf("GET owners $top=3: %v", err)
	}
	seen, pages := len(page.GetValue()), 1
	for page.GetOdataNextLink() != nil {
		page, err = owners.WithUrl(*page.GetOdataNextLink()).Get(ctx(t), nil)
		if err != nil {
			t.Fatalf("GET the next page: %v", err)
		}
		seen += len(page.GetValue())
		if pages++; pages > want {
			t.Fatal("no end of pages")
		}
	}
	if seen != want || pages != (want+2)/3 {
		t.Fatalf("%d owners in %d pages, want %d in %d", seen, pages, want, (want+2)/3)
	}
	_, err = owners.Get(ctx(t), &applications.ItemOwnersRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ItemOwnersRequestBuilderGetQueryParameters{Top: ptr(int32(1000))},
	})
	odataError(t, err, http.StatusBadRequest, graphapi.CodeRequestBadRequest)
}
