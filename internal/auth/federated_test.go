package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// The provider's OIDC token is presented as client assertion for the other application: same token,
// other client_id, same tenant.
func TestFederatedCredentialForUsesTheProvidersToken(t *testing.T) {
	f := newFakeEntra(t)
	_, m := f.newCredential(t, Settings{UseOIDC: ptr(true), ClientID: ptr(clientA), OIDCToken: ptr("static-id-token")})
	cred, as, err := FederatedCredentialFor(context.Background(), m, clientB, f.options())
	if err != nil {
		t.Fatal(err)
	}
	if as.Kind != KindOIDCToken || as.ClientID != clientB || m.ClientID != clientA {
		t.Errorf("method %v (provider's %v)", as, m)
	}
	if !strings.Contains(as.Reason, "exchanged for a token of application "+clientB) {
		t.Errorf("reason %q", as.Reason)
	}
	req := f.tokenRequest(t, cred, clientB, tenantA)
	checkAssertion(t, req, "static-id-token")
}

// A provider that does not sign in with an OIDC token has none to exchange, and says how it signs in.
func TestFederatedCredentialForWithoutOIDC(t *testing.T) {
	f := newFakeEntra(t)
	_, m := f.newCredential(t, Settings{ClientID: ptr(clientA), ClientSecret: ptr("s3cret")})
	_, _, err := FederatedCredentialFor(context.Background(), m, clientB, f.options())
	var no *NoOIDCError
	if !errors.As(err, &no) || !strings.Contains(err.Error(), "it signs in with client secret") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("err = %v, want a NoOIDCError naming the client secret method", err)
	}
	if _, _, err := FederatedCredentialFor(context.Background(), Method{}, clientB, f.options()); !errors.As(err, &no) {
		t.Errorf("zero method: err = %v", err)
	}
}

func TestKindFederated(t *testing.T) {
	for k, want := range map[Kind]bool{
		KindOIDCToken: true, KindOIDCTokenFile: true, KindGitHubOIDC: true, KindAKSWorkloadIdentity: true,
		KindClientSecret: false, KindClientCertificate: false, KindManagedIdentity: false, KindAzureCLI: false,
	} {
		if k.Federated() != want {
			t.Errorf("%s.Federated() = %t", k, !want)
		}
	}
}
