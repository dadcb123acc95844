package main

import (
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
)

// addIssuerExports adds, for each test OIDC issuer of the emulator, the URL and bearer token with which
// a pipeline step gets a token of it, as GitHub Actions gives a job ACTIONS_ID_TOKEN_REQUEST_URL and
// ACTIONS_ID_TOKEN_REQUEST_TOKEN: LKPS_EMULATOR_OIDC_<NAME>_REQUEST_URL and
// LKPS_EMULATOR_OIDC_<NAME>_REQUEST_TOKEN (NAME in upper case, "-" as "_"). A GET of the URL with the
// token as a Bearer token answers {"value": "<token>"}, whose subject is the issuer's default subject;
// such a token is what a federated credential trusts. The pipeline guides' CI check stands these in for
// the CI system's issuer. Only issuers whose request token the seed fixes (`lkps-emulator seed
// --federated` writes one) are exported, so that the exports stay the same across restarts.
//
// For an Azure DevOps issuer (kind "azureDevOps") the URL is the value of Azure Pipelines'
// SYSTEM_OIDCREQUESTURI and the token that of SYSTEM_ACCESSTOKEN: a POST of
// "<URL>?api-version=7.1&serviceConnectionId=<id>" answers {"oidcToken": "<token>"};
// LKPS_EMULATOR_OIDC_<NAME>_SERVICE_CONNECTION_ID names its first service connection.
func addIssuerExports(srv *emulator.Server, vars map[string]string) {
	for _, seeded := range srv.Seed().FederatedIssuers {
		if seeded.RequestToken == "" {
			continue
		}
		name := seeded.Name
		iss, ok := srv.Entra().OIDCIssuer(name)
		if !ok {
			continue
		}
		key := "LKPS_EMULATOR_OIDC_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		vars[key+"_REQUEST_TOKEN"] = iss.RequestToken
		if iss.Kind == entra.IssuerKindAzureDevOps {
			vars[key+"_REQUEST_URL"] = srv.Entra().AzureDevOpsOIDCRequestURI(name)
			if len(iss.ServiceConnections) > 0 {
				vars[key+"_SERVICE_CONNECTION_ID"] = iss.ServiceConnections[0].ID
			}
			continue
		}
		vars[key+"_REQUEST_URL"] = srv.Entra().OIDCIssuerURL(name) + "/token"
	}
}
