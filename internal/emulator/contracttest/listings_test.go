package contracttest

import (
	"net/url"
	"testing"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
)

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
