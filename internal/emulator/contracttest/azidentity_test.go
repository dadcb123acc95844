package contracttest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/emutest"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
)

func clientOptions(ts *emulator.TestServer) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: ts.AuthorityHost + "/"},
		Transport: ts.Client,
	}
}

// githubCredential is azidentity's client assertion credential of the deployer with a token of the
// emulator's GitHub issuer for the subject.
func githubCredential(t *testing.T, ts *emulator.TestServer, subject string) *azidentity.ClientAssertionCredential {
	t.Helper()
	assertion := func(context.Context) (string, error) {
		return ts.Entra().MintFederated("github", subject, entra.FederatedAudience, 0)
	}
	cred, err := azidentity.NewClientAssertionCredential(ts.TenantID(), ts.DeployerClientID, assertion, &azidentity.ClientAssertionCredentialOptions{
		ClientOptions: clientOptions(ts), DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// A federated credential in the seed with a relative issuer ("/oidc/github") trusts the emulator's own
// GitHub-like issuer: azidentity's client assertion credential gets a Graph token that works.
func TestAzidentityFederatedCredentialFromSeed(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	cred := githubCredential(t, ts, "repo:bayer/terraform-provider-lkps:ref:refs/heads/main")
	g := credentialClient(t, ts, cred)
	if _, err := g.byAppID(emulator.DefaultAgentAppID).Get(ctx(t), nil); err != nil {
		t.Fatalf("GET with a federated credential: %v", err)
	}

	// Another subject is not trusted.
	bad := githubCredential(t, ts, "repo:someone/else:ref:refs/heads/main")
	if _, err := bad.GetToken(ctx(t), policy.TokenRequestOptions{Scopes: []string{graphScope}}); err == nil {
		t.Fatal("a federated token with an untrusted subject was exchanged")
	}
}

// A certificate registered out of band through the admin API authenticates azidentity's certificate
// credential; the roles granted out of band reach the token.
func TestAzidentityCertificateRegisteredOutOfBand(t *testing.T) {
	t.Parallel()
	ts := emulator.NewTestServer(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048) // azidentity signs client assertions with RSA only

	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "contract test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	cert, der := emutest.SelfSigned(t, tmpl, key)
	rec, err := ts.Admin().CreateApplication(emulator.SeedApplication{
		DisplayName:  "certificate client",
		Certificates: []emulator.SeedCertificate{{PEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	appID := rec.Application.AppID
	cred, err := azidentity.NewClientCertificateCredential(ts.TenantID(), appID, []*x509.Certificate{cert}, key, &azidentity.ClientCertificateCredentialOptions{
		ClientOptions: clientOptions(ts), DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	g := credentialClient(t, ts, cred)
	_, err = g.byAppID(emulator.DefaultAgentAppID).Get(ctx(t), nil)
	odataError(t, err, http.StatusForbidden, graphapi.CodeAccessDenied)

	if err := ts.Admin().GrantGraphRoles(appID, "Application.Read.All"); err != nil {
		t.Fatal(err)
	}
	// A fresh credential (no cached token) gets the new role.
	fresh, err := azidentity.NewClientCertificateCredential(ts.TenantID(), appID, []*x509.Certificate{cert}, key, &azidentity.ClientCertificateCredentialOptions{
		ClientOptions: clientOptions(ts), DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := credentialClient(t, ts, fresh).byAppID(emulator.DefaultAgentAppID).Get(ctx(t), nil); err != nil {
		t.Fatalf("GET after the grant: %v", err)
	}
	got, err := ts.Admin().Application(appID)
	if err != nil || len(got.Application.KeyCredentials) != 1 || got.Application.KeyCredentials[0].Type == nil || *got.Application.KeyCredentials[0].Type != "AsymmetricX509Cert" {
		t.Fatalf("keyCredentials = %+v, %v", got, err)
	}
	if !directory.IsGUID(got.ServicePrincipalID) {
		t.Fatalf("service principal id %q", got.ServicePrincipalID)
	}
}
