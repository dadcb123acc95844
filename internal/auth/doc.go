// Package auth chooses and builds the azidentity credential the provider authenticates with, from the
// provider's authentication settings and the azuread provider's ARM_* environment variables.
//
// The package is compatible with hashicorp/terraform-provider-azuread so that existing pipelines work
// unchanged. Facts taken from that provider (read, not copied):
//
//   - terraform-provider-azuread internal/provider/provider.go: every authentication attribute reads one
//     ARM_* variable (schema EnvDefaultFunc); oidc_request_url and oidc_request_token fall back to
//     ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN (MultiEnvDefaultFunc); use_cli
//     defaults to true, use_msi, use_oidc and use_aks_workload_identity to false; OIDC is enabled by
//     use_oidc or use_aks_workload_identity; client certificate and client secret are always enabled.
//   - terraform-provider-azuread internal/provider/helpers.go: client_id_file_path, client_secret_file_path
//     and oidc_token_file_path are read and trimmed, and a value that differs from the inline setting is a
//     "mismatch" error; with use_aks_workload_identity the AZURE_TENANT_ID, AZURE_CLIENT_ID and
//     AZURE_FEDERATED_TOKEN_FILE variables set by the AKS workload identity webhook supply the tenant, the
//     client and the OIDC token, and a different explicit value is again a mismatch error.
//   - hashicorp/go-azure-sdk sdk/auth/auth.go NewAuthorizerFromCredentials: methods are tried in the order
//     client certificate, client secret, OIDC token, GitHub OIDC (request URL + request token), managed
//     identity, Azure CLI; the first whose settings are complete wins.
//   - hashicorp/go-azure-sdk sdk/auth/github_oidc_authorizer.go: the GitHub ID token is fetched with a GET of
//     the request URL with audience=api://AzureADTokenExchange added when absent, an
//     "Authorization: Bearer <request token>" header, and read from the JSON field "value".
//   - hashicorp/go-azure-sdk sdk/auth/managed_identity_authorizer.go: a custom MSI endpoint is called
//     IMDS-style (GET ?api-version=2018-02-01&resource=...&client_id=..., header "Metadata: true").
//
// This package is stricter than azuread where azuread silently falls through to another method: an
// explicitly enabled method whose settings are incomplete is an error, not a surprise login as someone else.
//
// Use: FromEnv(os.Getenv) and the provider's configuration give two Settings; Merge them (configuration
// wins per setting); NewCredential resolves the method (Resolve, pure apart from reading the files the
// settings name) and builds the azidentity credential with the Options' authority host, transport,
// User-Agent and default tenant. NewAgentCredential does the same for an agent application's own client
// secret or certificate. UnverifiedClaims reads an issued token's appid/azp, oid, aud, tid, exp, idtyp and scp.
package auth
