package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// Federated reports whether the method presents an OIDC token of an external issuer as client assertion
// (workload identity federation): an OIDC token, a token file, GitHub Actions or AKS workload identity.
func (k Kind) Federated() bool {
	switch k {
	case KindOIDCToken, KindOIDCTokenFile, KindGitHubOIDC, KindAzureDevOpsOIDC, KindAKSWorkloadIdentity:
		return true
	default:
		return false
	}
}

// NoOIDCError says that the provider's identity does not come from an OIDC token, so there is no token
// to exchange for another application's. Method is the provider's method (or the zero Method when the
// provider has no usable identity; Cause then says why).
type NoOIDCError struct {
	Method Method
	Cause  error
}

func (e *NoOIDCError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("the provider has no OIDC token to exchange: its identity could not be set up: %v", e.Cause)
	}
	return fmt.Sprintf("the provider has no OIDC token to exchange: it signs in with %s (%s), not with an OIDC token. "+
		"Configure the provider with use_oidc = true and oidc_token, oidc_token_file_path, or oidc_request_url with "+
		"oidc_request_token (ARM_USE_OIDC, ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH, ACTIONS_ID_TOKEN_REQUEST_URL and "+
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN in GitHub Actions; ado_pipeline_service_connection_id, ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID "+
		"with SYSTEM_OIDCREQUESTURI and SYSTEM_ACCESSTOKEN in Azure DevOps), or use_aks_workload_identity = true",
		e.Method.Kind.Description(), orNone(e.Method.Reason))
}

func (e *NoOIDCError) Unwrap() error { return e.Cause }

func orNone(s string) string {
	if s == "" {
		return "no reason recorded"
	}
	return s
}

// FederatedCredentialFor returns a credential of the application clientID that presents the OIDC token of
// the provider's method m (the same token source: a fixed token, a token file re-read on every request,
// the GitHub Actions token service, or the AKS projected token) to Entra ID as client assertion for
// clientID. Entra ID accepts it only when that application has a federated identity credential matching
// the token's issuer, subject and audience; otherwise it answers AADSTS70021 (no credential),
// AADSTS700211 (issuer), AADSTS700212 (audience) or AADSTS700213 (subject). m must be a method returned by
// NewCredential; a method that is not Federated gives a *NoOIDCError. No token is requested here.
func FederatedCredentialFor(ctx context.Context, m Method, clientID string, opts Options) (azcore.TokenCredential, Method, error) {
	if err := ctx.Err(); err != nil {
		return nil, Method{}, fmt.Errorf("building federated credential: %w", err)
	}
	if !m.Kind.Federated() || m.secrets == nil {
		return nil, Method{}, &NoOIDCError{Method: m}
	}
	clientID = strings.TrimSpace(clientID)
	if clientID == "" {
		return nil, Method{}, configErr(agentClientID, nil, "%s of the application is required", agentClientID)
	}
	as := m
	as.ClientID = clientID
	as.Reason = fmt.Sprintf("the provider's %s, exchanged for a token of application %s through its federated credential",
		m.Kind.Description(), clientID)
	as.Notes = nil
	if err := as.applyOptions(opts); err != nil {
		return nil, Method{}, err
	}
	cred, err := newCredential(as, opts)
	if err != nil {
		return nil, Method{}, fmt.Errorf("building the %s credential of application %s: %w", m.Kind.Description(), clientID, err)
	}
	return cred, as, nil
}
