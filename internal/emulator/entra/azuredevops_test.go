package entra_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/emutest"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
)

// azidentity's AzurePipelinesCredential, unchanged, gets an Entra token with the default "azure-devops"
// issuer's token for its service connection, trusted by a federated credential with the subject
// sc://<organization>/<project>/<name> and audience api://AzureADTokenExchange.
func TestAzurePipelinesCredentialFederated(t *testing.T) {
	f := newFixture(t)
	ado, ok := f.svc.OIDCIssuer("azure-devops")
	if !ok || ado.Kind != entra.IssuerKindAzureDevOps {
		t.Fatalf("default issuers lack azure-devops: %+v", ado)
	}
	const subject = "sc://bayer/lkps/lkps-deployer"
	c, _ := f.dir.Client(appID)
	c.Federated = []entra.FederatedCredential{{Issuer: f.svc.OIDCIssuerURL("azure-devops"), Subject: subject, Audiences: []string{entra.FederatedAudience}}}
	f.dir.put(c)

	t.Setenv("SYSTEM_OIDCREQUESTURI", f.svc.AzureDevOpsOIDCRequestURI("azure-devops"))
	tok := graphToken(t)(azidentity.NewAzurePipelinesCredential(testTenant, appID, entra.DefaultServiceConnectionID, ado.RequestToken,
		&azidentity.AzurePipelinesCredentialOptions{ClientOptions: f.clientOptions(), DisableInstanceDiscovery: true}))
	if claims, err := f.svc.Verify(tok.Token, entra.GraphAppID, "https://graph.microsoft.com"); err != nil || claims.AppID != appID {
		t.Fatalf("Verify = %+v, %v", claims, err)
	}

	// A wrong System.AccessToken: azidentity sends X-TFS-FedAuthRedirect: Suppress, so a 401.
	tokenRefused(t, "wrong access token (want a 401 from the OIDC endpoint)", "401")(azidentity.NewAzurePipelinesCredential(testTenant, appID, entra.DefaultServiceConnectionID, "not-the-access-token",
		&azidentity.AzurePipelinesCredentialOptions{ClientOptions: f.clientOptions(), DisableInstanceDiscovery: true}))
	// An unknown service connection.
	tokenRefused(t, "unknown service connection (want a 404 from the OIDC endpoint)", "404")(azidentity.NewAzurePipelinesCredential(testTenant, appID, "00000000-0000-0000-0000-00000000beef", ado.RequestToken,
		&azidentity.AzurePipelinesCredentialOptions{ClientOptions: f.clientOptions(), DisableInstanceDiscovery: true}))
}

// The token request's shape and refusals over plain HTTP: the claims of the token, the 302 without
// X-TFS-FedAuthRedirect, the 400 without api-version, GET refused, and GitHub's token path not served.
func TestAzureDevOpsTokenRequest(t *testing.T) {
	f := newFixture(t)
	ado, _ := f.svc.OIDCIssuer("azure-devops")
	base := f.svc.AzureDevOpsOIDCRequestURI("azure-devops")
	client := f.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	do := func(method, u, bearer string, suppress bool) (int, map[string]any, http.Header) {
		t.Helper()
		h := emutest.Bearer(bearer, "")
		if suppress {
			h.Set("X-TFS-FedAuthRedirect", "Suppress")
		}
		r := emutest.Send(t, client, method, u, nil, h)
		var body map[string]any
		_ = json.Unmarshal(r.Body, &body)
		return r.Status, body, r.Header
	}
	q := "?api-version=7.1&serviceConnectionId=" + entra.DefaultServiceConnectionID
	status, body, _ := do(http.MethodPost, base+q, ado.RequestToken, true)
	if status != http.StatusOK {
		t.Fatalf("POST = %d %v", status, body)
	}
	jwt, _ := body["oidcToken"].(string)
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("oidcToken = %q, want a JWT", jwt)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims["iss"] != f.svc.OIDCIssuerURL("azure-devops") || claims["sub"] != "sc://bayer/lkps/lkps-deployer" || claims["aud"] != entra.FederatedAudience {
		t.Errorf("claims = %v", claims)
	}

	if status, _, h := do(http.MethodPost, base+q, "", false); status != http.StatusFound || h.Get("Location") == "" {
		t.Errorf("no access token, no Suppress header: %d, Location %q; want a 302 to sign-in", status, h.Get("Location"))
	}
	if status, body, _ := do(http.MethodPost, base+q, "wrong", true); status != http.StatusUnauthorized || body["typeKey"] == nil {
		t.Errorf("wrong access token: %d %v, want 401 with Azure DevOps' error body", status, body)
	}
	if status, body, _ := do(http.MethodPost, base+"?serviceConnectionId="+entra.DefaultServiceConnectionID, ado.RequestToken, true); status != http.StatusBadRequest || body["typeKey"] != "VssVersionNotSpecifiedException" {
		t.Errorf("no api-version: %d %v, want 400", status, body)
	}
	if status, _, _ := do(http.MethodGet, base+q, ado.RequestToken, true); status != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", status)
	}
	if status, _, _ := do(http.MethodGet, f.svc.OIDCIssuerURL("azure-devops")+"/token?audience=x", ado.RequestToken, false); status != http.StatusNotFound {
		t.Errorf("GitHub's token path on the Azure DevOps issuer: %d, want 404", status)
	}
	// The issuer publishes discovery and keys like every test issuer.
	if status, body, _ := do(http.MethodGet, f.svc.OIDCIssuerURL("azure-devops")+"/.well-known/openid-configuration", "", false); status != http.StatusOK || body["issuer"] != f.svc.OIDCIssuerURL("azure-devops") {
		t.Errorf("discovery: %d %v", status, body)
	}
}

func TestAzureDevOpsIssuerConfigValidated(t *testing.T) {
	for name, iss := range map[string]entra.OIDCIssuer{
		"no organization":    {Name: "ado", Kind: entra.IssuerKindAzureDevOps},
		"bad connection id":  {Name: "ado", Kind: entra.IssuerKindAzureDevOps, Organization: "o", ServiceConnections: []entra.ServiceConnection{{ID: "x", Project: "p", Name: "n"}}},
		"slash in project":   {Name: "ado", Kind: entra.IssuerKindAzureDevOps, Organization: "o", ServiceConnections: []entra.ServiceConnection{{ID: entra.DefaultServiceConnectionID, Project: "p/q", Name: "n"}}},
		"unknown kind":       {Name: "ado", Kind: "gitlab"},
		"github with an org": {Name: "gh", Organization: "o"},
	} {
		_, err := entra.New(entra.Config{
			TenantID: testTenant, BaseURL: func() string { return "https://127.0.0.1" }, Directory: &directory{},
			SigningKey: testKey(t, 0), Issuers: []entra.OIDCIssuer{iss},
		})
		if err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}
