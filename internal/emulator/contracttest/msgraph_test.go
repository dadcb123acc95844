package contracttest

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/google/uuid"
	abs "github.com/microsoft/kiota-abstractions-go"
	absauth "github.com/microsoft/kiota-abstractions-go/authentication"
	absser "github.com/microsoft/kiota-abstractions-go/serialization"
	kiotaauth "github.com/microsoft/kiota-authentication-azure-go"
	kiotahttp "github.com/microsoft/kiota-http-go"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	"github.com/microsoftgraph/msgraph-sdk-go/applications"
	"github.com/microsoftgraph/msgraph-sdk-go/applicationswithappid"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/emutest"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/faults"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

const (
	scopeID     = "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e01"
	scopeValue  = environments.ClientScopeValue
	unknownApp  = "00000000-1111-4222-8333-444444444444"
	graphScope  = environments.GraphScope
	requestWait = 30 * time.Second
)

var registerSerializers sync.Once

// graphClient is msgraph-sdk-go's applications API as the provider builds it: kiota's request adapter
// with the default middleware (retry, gzip compression) over an azidentity client-secret credential
// pointed at the emulator's token service.
type graphClient struct {
	adapter *kiotahttp.NetHttpRequestAdapter
}

func newGraphClient(t *testing.T, ts *emulator.TestServer, appID, secret string) *graphClient {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(ts.TenantID(), appID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: clientOptions(ts), DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return credentialClient(t, ts, cred)
}

// credentialClient is a Graph client that authenticates with an azidentity credential, as the provider's.
func credentialClient(t *testing.T, ts *emulator.TestServer, cred azcore.TokenCredential) *graphClient {
	t.Helper()
	auth, err := kiotaauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(cred, []string{graphScope}, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return newGraphClientWithAuth(t, ts, auth)
}

// deployerGraph starts a test server and returns it with a Graph client of its deployer.
func deployerGraph(t *testing.T, opts ...emulator.Option) (*emulator.TestServer, *graphClient) {
	t.Helper()
	ts := emulator.NewTestServer(t, opts...)
	return ts, newGraphClient(t, ts, ts.DeployerClientID, ts.DeployerSecret)
}

// application returns an application of the emulator's directory (by appId or object id) as it is now.
func application(t *testing.T, ts *emulator.TestServer, id string) *directory.Record {
	t.Helper()
	rec, err := ts.Admin().Application(id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// createApplication creates an application named name through Graph.
func createApplication(t *testing.T, g *graphClient, name string) models.Applicationable {
	t.Helper()
	app := models.NewApplication()
	app.SetDisplayName(ptr(name))
	created, err := g.collection().Post(ctx(t), app, nil)
	if err != nil {
		t.Fatalf("POST applications: %v", err)
	}
	return created
}

func newGraphClientWithAuth(t *testing.T, ts *emulator.TestServer, auth absauth.AuthenticationProvider) *graphClient {
	t.Helper()
	registerSerializers.Do(func() {
		abs.RegisterDefaultSerializer(func() absser.SerializationWriterFactory { return jsonserialization.NewJsonSerializationWriterFactory() })
		abs.RegisterDefaultDeserializer(func() absser.ParseNodeFactory { return jsonserialization.NewJsonParseNodeFactory() })
	})
	transport, ok := ts.Client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("unexpected transport %T", ts.Client.Transport)
	}
	httpClient := kiotahttp.GetDefaultClient()
	httpClient.Transport = kiotahttp.NewCustomTransportWithParentTransport(transport.Clone(), kiotahttp.GetDefaultMiddlewares()...)
	adapter, err := kiotahttp.NewNetHttpRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
	if err != nil {
		t.Fatal(err)
	}
	adapter.SetBaseUrl(ts.GraphBaseURL + "/v1.0")
	return &graphClient{adapter: adapter}
}

func (g *graphClient) byObjectID(id string) *applications.ApplicationItemRequestBuilder {
	return applications.NewApplicationsRequestBuilderInternal(map[string]string{}, g.adapter).ByApplicationId(id)
}

func (g *graphClient) byAppID(appID string) *applicationswithappid.ApplicationsWithAppIdRequestBuilder {
	return applicationswithappid.NewApplicationsWithAppIdRequestBuilderInternal(map[string]string{}, g.adapter, &appID)
}

func (g *graphClient) collection() *applications.ApplicationsRequestBuilder {
	return applications.NewApplicationsRequestBuilderInternal(map[string]string{}, g.adapter)
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(t.Context(), requestWait)
	t.Cleanup(cancel)
	return c
}

func selectAPI() *applicationswithappid.ApplicationsWithAppIdRequestBuilderGetRequestConfiguration {
	return &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetRequestConfiguration{
		QueryParameters: &applicationswithappid.ApplicationsWithAppIdRequestBuilderGetQueryParameters{Select: []string{"id", "api"}},
	}
}

// newScope returns the access_as_client-style scope with id scopeID.
func newScope(value string, enabled bool) models.PermissionScopeable {
	s := models.NewPermissionScope()
	uid := mustUUID(scopeID)
	s.SetId(&uid)
	s.SetValue(&value)
	s.SetIsEnabled(&enabled)
	typ := "User"
	s.SetTypeEscaped(&typ)
	name, desc := environments.ClientScopeAdminConsentDisplayName, environments.ClientScopeAdminConsentDescription
	s.SetAdminConsentDisplayName(&name)
	s.SetAdminConsentDescription(&desc)
	return s
}

func scopesPatch(scopes ...models.PermissionScopeable) models.Applicationable {
	app := models.NewApplication()
	api := models.NewApiApplication()
	// A nil slice is not serialized at all; an empty one is sent as [] and clears the list.
	api.SetOauth2PermissionScopes(append([]models.PermissionScopeable{}, scopes...))
	app.SetApi(api)
	return app
}

func preAuthPatch(clientAppID string, scopeIDs ...string) models.Applicationable {
	app := models.NewApplication()
	api := models.NewApiApplication()
	entry := models.NewPreAuthorizedApplication()
	entry.SetAppId(&clientAppID)
	entry.SetDelegatedPermissionIds(scopeIDs)
	api.SetPreAuthorizedApplications([]models.PreAuthorizedApplicationable{entry})
	app.SetApi(api)
	return app
}

// odataError asserts err is an *odataerrors.ODataError with the status and code and returns its main error.
func odataError(t *testing.T, err error, status int, code string) odataerrors.MainErrorable {
	t.Helper()
	var oe *odataerrors.ODataError
	if !errors.As(err, &oe) {
		t.Fatalf("error %v (%T) is not an *odataerrors.ODataError", err, err)
	}
	if oe.ResponseStatusCode != status {
		t.Fatalf("status = %d, want %d", oe.ResponseStatusCode, status)
	}
	main := oe.GetErrorEscaped()
	if main == nil || main.GetCode() == nil || *main.GetCode() != code {
		t.Fatalf("code = %v, want %s", main, code)
	}
	if main.GetInnerError() == nil {
		t.Fatal("innerError not decoded")
	}
	return main
}

func TestSDKGetByObjectIDAndAppID(t *testing.T) {
	t.Parallel()
	ts, g := deployerGraph(t)
	agent := application(t, ts, emulator.DefaultAgentAppID)
	app, err := g.byObjectID(agent.Application.ID).Get(ctx(t), nil)
	if err != nil {
		t.Fatalf("GET by object id: %v", err)
	}
	if *app.GetAppId() != emulator.DefaultAgentAppID || *app.GetDisplayName() != "Example LKPS agent" || len(app.GetIdentifierUris()) != 1 {
		t.Fatalf("application = %v %v %v", *app.GetAppId(), *app.GetDisplayName(), app.GetIdentifierUris())
	}
	if app.GetApi() == nil || app.GetApi().GetOauth2PermissionScopes() == nil || app.GetApi().GetPreAuthorizedApplications() == nil {
		t.Fatal("api collections must decode as empty lists, not nil")
	}
	byAppID, err := g.byAppID(emulator.DefaultAgentAppID).Get(ctx(t), selectAPI())
	if err != nil {
		t.Fatalf("GET by appId: %v", err)
	}
	if *byAppID.GetId() != agent.Application.ID || byAppID.GetApi() == nil {
		t.Fatal("GET by appId with $select=id,api returned the wrong shape")
	}
	list, err := g.collection().Get(ctx(t), &applications.ApplicationsRequestBuilderGetRequestConfiguration{
		QueryParameters: &applications.ApplicationsRequestBuilderGetQueryParameters{Filter: ptr("appId eq '" + emulator.DefaultClientAppID + "'")},
	})
	if err != nil {
		t.Fatalf("list with $filter: %v", err)
	}
	if len(list.GetValue()) != 1 || *list.GetValue()[0].GetAppId() != emulator.DefaultClientAppID {
		t.Fatalf("filtered list has %d entries", len(list.GetValue()))
	}
	_, err = g.byAppID(unknownApp).Get(ctx(t), nil)
	oe := odataError(t, err, http.StatusNotFound, graphapi.CodeNotFound)
	if want := "Resource '" + unknownApp + "' does not exist or one of its queried reference-property objects are not present."; *oe.GetMessage() != want {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
}

func TestSDKPatchScopeThenPreAuthorize(t *testing.T) {
	t.Parallel()
	ts, g := deployerGraph(t)
	agent := g.byAppID(emulator.DefaultAgentAppID)

	// Pre-authorizing a scope that does not exist yet fails with Graph's message.
	err := patch(t, agent, preAuthPatch(emulator.DefaultClientAppID, scopeID))
	oe := odataError(t, err, http.StatusBadRequest, graphapi.CodeRequestBadRequest)
	if *oe.GetMessage() != graphapi.MsgUnknownPermissionID {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	if err := patch(t, agent, scopesPatch(newScope(scopeValue, true))); err != nil {
		t.Fatalf("PATCH scope: %v", err)
	}
	if err := patch(t, agent, preAuthPatch(emulator.DefaultClientAppID, scopeID)); err != nil {
		t.Fatalf("PATCH pre-authorization: %v", err)
	}
	got, err := agent.Get(ctx(t), selectAPI())
	if err != nil {
		t.Fatal(err)
	}
	scopes, pre := got.GetApi().GetOauth2PermissionScopes(), got.GetApi().GetPreAuthorizedApplications()
	if len(scopes) != 1 || *scopes[0].GetValue() != scopeValue || !*scopes[0].GetIsEnabled() {
		t.Fatal("the scope did not survive the api.preAuthorizedApplications PATCH")
	}
	if len(pre) != 1 || *pre[0].GetAppId() != emulator.DefaultClientAppID || pre[0].GetDelegatedPermissionIds()[0] != scopeID {
		t.Fatal("pre-authorization not stored")
	}
	if ts.Admin().Counter(graphapi.RoutePatchApplication) != 3 {
		t.Fatalf("PATCH counter = %d", ts.Admin().Counter(graphapi.RoutePatchApplication))
	}
}

func TestSDKDisableBeforeRemove(t *testing.T) {
	t.Parallel()
	_, g := deployerGraph(t)
	agent := g.byAppID(emulator.DefaultAgentAppID)
	if err := patch(t, agent, scopesPatch(newScope(scopeValue, true))); err != nil {
		t.Fatal(err)
	}
	err := patch(t, agent, scopesPatch())
	oe := odataError(t, err, http.StatusBadRequest, graphapi.CodeEnabledEntitlement)
	if *oe.GetMessage() != graphapi.MsgEnabledEntitlement {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	err = patch(t, agent, scopesPatch(newScope("renamed", true)))
	odataError(t, err, http.StatusBadRequest, graphapi.CodeEnabledEntitlement)
	if err := patch(t, agent, scopesPatch(newScope(scopeValue, false))); err != nil {
		t.Fatalf("disable: %v", err)
	}
	if err := patch(t, agent, scopesPatch()); err != nil {
		t.Fatalf("remove after disable: %v", err)
	}
}

func TestSDKAuthorizationAndAuthenticationErrors(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	// The example client holds no Graph role and owns nothing.
	stranger := newGraphClient(t, ts, emulator.DefaultClientAppID, emulator.DefaultClientSecret)
	_, err := stranger.byAppID(emulator.DefaultAgentAppID).Get(ctx(t), nil)
	oe := odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)
	if *oe.GetMessage() != graphapi.MsgAccessDenied {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	// Ownership alone is not enough for an app-only token: with its Application.ReadWrite.OwnedBy role
	// revoked, the deployer still owns the agent but can neither read nor change it.
	if err := ts.Admin().RevokeGraphRoles(emulator.DefaultDeployerAppID, "Application.ReadWrite.OwnedBy"); err != nil {
		t.Fatal(err)
	}
	ownerOnly := newGraphClient(t, ts, ts.DeployerClientID, ts.DeployerSecret)
	if err := patch(t, ownerOnly.byAppID(emulator.DefaultAgentAppID), scopesPatch(newScope(scopeValue, true))); err == nil {
		t.Fatal("an owner without a Graph app role changed the agent")
	} else {
		odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)
	}
	// Application.ReadWrite.OwnedBy plus ownership may change the agent, and read (not change) others.
	if err := ts.Admin().GrantGraphRoles(emulator.DefaultDeployerAppID, "Application.ReadWrite.OwnedBy"); err != nil {
		t.Fatal(err)
	}
	owner := newGraphClient(t, ts, ts.DeployerClientID, ts.DeployerSecret)
	if err := patch(t, owner.byAppID(emulator.DefaultAgentAppID), scopesPatch(newScope(scopeValue, true))); err != nil {
		t.Fatalf("owner PATCH: %v", err)
	}
	if _, err := owner.byAppID(emulator.DefaultClientAppID).Get(ctx(t), nil); err != nil {
		t.Fatalf("OwnedBy GET of another application: %v", err)
	}
	err = patch(t, owner.byAppID(emulator.DefaultClientAppID), scopesPatch(newScope(scopeValue, true)))
	odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)

	// An expired token is a 401 InvalidAuthenticationToken.
	expired, err := ts.Admin().MintToken(ts.DeployerClientID, environments.PublicGraphBaseURL, -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	static := absauth.NewBaseBearerTokenAuthenticationProvider(newStaticToken(t, expired))
	_, err = newGraphClientWithAuth(t, ts, static).byAppID(emulator.DefaultAgentAppID).Get(ctx(t), nil)
	oe = odataError(t, err, http.StatusUnauthorized, graphapi.CodeInvalidToken)
	if *oe.GetMessage() != graphapi.MsgTokenExpired {
		t.Fatalf("message = %q", *oe.GetMessage())
	}
	// A token for LKPS is refused by Graph (wrong audience).
	lkpsTok := ts.LKPSToken(ts.DeployerClientID, environments.NonProd)
	static = absauth.NewBaseBearerTokenAuthenticationProvider(newStaticToken(t, lkpsTok))
	_, err = newGraphClientWithAuth(t, ts, static).byAppID(emulator.DefaultAgentAppID).Get(ctx(t), nil)
	odataError(t, err, http.StatusUnauthorized, graphapi.CodeInvalidToken)
}

func TestSDKHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	ts, g := deployerGraph(t, emulator.WithFaults(faults.Config{ThrottleNext: 1, RetryAfterSeconds: 1}))
	start := time.Now()
	if _, err := g.byAppID(emulator.DefaultAgentAppID).Get(ctx(t), nil); err != nil {
		t.Fatalf("GET through one 429: %v", err)
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Fatalf("the SDK retried after %s, before the 1s Retry-After", elapsed)
	}
	if n := ts.Admin().Counter(graphapi.RouteGetApplication); n != 2 {
		t.Fatalf("GET counter = %d, want 2 (the 429 and the retry)", n)
	}
	if n := ts.Admin().Faults().ThrottleNext; n != 0 {
		t.Fatalf("throttle counter not consumed: %d", n)
	}
}

func TestSDKConflictBurstIsNotRetriedBySDK(t *testing.T) {
	t.Parallel()
	ts, g := deployerGraph(t)
	agent := g.byAppID(emulator.DefaultAgentAppID)
	if err := ts.Admin().SetFaults(faults.Config{ConflictNextWrites: 2}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		err := patch(t, agent, scopesPatch(newScope(scopeValue, true)))
		odataError(t, err, http.StatusConflict, graphapi.CodeConcurrencyViolation)
		if n := ts.Admin().Counter(graphapi.RoutePatchApplication); n != int64(i+1) {
			t.Fatalf("PATCH counter = %d: the SDK's retry handler must not retry 409", n)
		}
	}
	if err := patch(t, agent, scopesPatch(newScope(scopeValue, true))); err != nil {
		t.Fatalf("after the burst: %v", err)
	}
}

func TestSDKObservesStaleReadAfterPatch(t *testing.T) {
	t.Parallel()
	clk := emutest.NewClock(time.Now())
	ts, g := deployerGraph(t, emulator.WithClock(clk.Now))
	agent := g.byAppID(emulator.DefaultAgentAppID)
	if err := ts.Admin().SetFaults(faults.Config{ReplicaLag: 10 * time.Second, StaleReadProbability: 1}); err != nil {
		t.Fatal(err)
	}
	if err := patch(t, agent, scopesPatch(newScope(scopeValue, true))); err != nil {
		t.Fatal(err)
	}
	got, err := agent.Get(ctx(t), selectAPI())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.GetApi().GetOauth2PermissionScopes()); n != 0 {
		t.Fatalf("expected the stale replica without the new scope, got %d scopes", n)
	}
	clk.Advance(11 * time.Second)
	got, err = agent.Get(ctx(t), selectAPI())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.GetApi().GetOauth2PermissionScopes()); n != 1 {
		t.Fatalf("after the lag the write must be visible, got %d scopes", n)
	}
}

func TestSDKCreateAndDelete(t *testing.T) {
	t.Parallel()
	_, g := deployerGraph(t)
	created := createApplication(t, g, "created by msgraph-sdk-go")
	if created.GetId() == nil || created.GetAppId() == nil || created.GetApi() == nil {
		t.Fatal("created application lacks ids or api")
	}
	if err := g.byObjectID(*created.GetId()).Delete(ctx(t), nil); err != nil {
		t.Fatalf("DELETE: %v", err)
	}
	_, err := g.byObjectID(*created.GetId()).Get(ctx(t), nil)
	odataError(t, err, http.StatusNotFound, graphapi.CodeNotFound)
}

// patch sends a PATCH through the appId request builder.
func patch(t *testing.T, b *applicationswithappid.ApplicationsWithAppIdRequestBuilder, body models.Applicationable) error {
	t.Helper()
	_, err := b.Patch(ctx(t), body, nil)
	return err
}

// staticToken is an access token provider that always returns one token.
type staticToken struct {
	token string
	hosts *absauth.AllowedHostsValidator
}

func newStaticToken(t *testing.T, token string) staticToken {
	t.Helper()
	v, err := absauth.NewAllowedHostsValidatorErrorCheck([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return staticToken{token: token, hosts: v}
}

func (s staticToken) GetAuthorizationToken(context.Context, *url.URL, map[string]any) (string, error) {
	return s.token, nil
}

func (s staticToken) GetAllowedHostsValidator() *absauth.AllowedHostsValidator {
	return s.hosts
}

func ptr[T any](v T) *T { return &v }

func mustUUID(s string) uuid.UUID {
	u, err := uuid.Parse(strings.ToLower(s))
	if err != nil {
		panic(err)
	}
	return u
}
