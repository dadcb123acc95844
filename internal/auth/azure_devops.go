package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Azure DevOps workload identity federation: a job asks Azure DevOps for an OIDC ID token of a service
// connection and presents it to Entra ID as client assertion. The request is the one azidentity's
// AzurePipelinesCredential and the azuread provider make: POST <SYSTEM_OIDCREQUESTURI>?api-version=7.1&
// serviceConnectionId=<id>, authorized by the job's access token (System.AccessToken), answering
// {"oidcToken": "<ID token>"}. The token's issuer is https://vstoken.dev.azure.com/<organization ID> and
// its subject sc://<organization>/<project>/<service connection name> (Microsoft Learn, "Connect to
// Azure with an Azure Resource Manager service connection", workload identity federation).

// adoOIDCAPIVersion is the api-version of Azure DevOps' OIDC token request.
const adoOIDCAPIVersion = "7.1"

// azureDevOpsAssertion fetches an ID token of service connection connectionID from Azure DevOps.
func azureDevOpsAssertion(pl runtime.Pipeline, requestURL, requestToken, connectionID string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		u, err := url.Parse(requestURL)
		if err != nil {
			return "", configErr(setOIDCRequestURL, nil, "%s is not a valid URL", setOIDCRequestURL)
		}
		q := u.Query()
		q.Set("api-version", adoOIDCAPIVersion)
		q.Set("serviceConnectionId", connectionID)
		u.RawQuery = q.Encode()
		where := redactURL(requestURL)
		return idTokenRequest{
			token: "Azure DevOps OIDC token", method: http.MethodPost, url: u, where: where, bearer: requestToken, field: "oidcToken",
			// Azure DevOps answers 401 instead of redirecting to a sign-in page when the token is not valid.
			header: map[string]string{"X-TFS-FedAuthRedirect": "Suppress"},
			refused: func(status int) error {
				return fmt.Errorf("the Azure DevOps OIDC endpoint %s answered the token request for service connection %s with HTTP %d; "+
					"check %s (the service connection's ID, from its page in the project settings), that a step of this job "+
					"names that service connection (azureSubscription), and that the step maps the job token "+
					"(env: SYSTEM_ACCESSTOKEN: $(System.AccessToken))", where, connectionID, status, setADOServiceConnectionID)
			},
		}.fetch(ctx, pl)
	}
}
