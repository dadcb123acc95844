package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Failures of a credential at token time, in words that name the fix.

// DocsAuthenticationURL is the provider documentation's section on authentication (see DocsProviderPageURL).
var DocsAuthenticationURL = DocsURL("authentication")

// WaysToAuthenticate lists the ways to give the provider credentials, one per line.
const WaysToAuthenticate = "- a service principal with a client secret: ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID (or client_id, client_secret, tenant_id);\n" +
	"- a service principal with a certificate: ARM_CLIENT_ID and ARM_CLIENT_CERTIFICATE_PATH (or client_certificate_path), with ARM_CLIENT_CERTIFICATE_PASSWORD if it is encrypted;\n" +
	"- workload identity federation (OIDC), e.g. GitHub Actions: ARM_USE_OIDC=true and ARM_CLIENT_ID, or ARM_OIDC_TOKEN / ARM_OIDC_TOKEN_FILE_PATH;\n" +
	"- a managed identity on Azure: ARM_USE_MSI=true (and ARM_CLIENT_ID for a user-assigned identity);\n" +
	"- the Azure CLI: run `az login` (use_cli, on by default)."

// NoCredentialsError says that no way to authenticate is configured: the provider fell back to the
// Azure CLI (use_cli defaults to true), and the CLI is not installed or not signed in.
type NoCredentialsError struct {
	// CLIInstalled is false when no `az` executable was found.
	CLIInstalled bool
	// Cause is the Azure CLI credential's error.
	Cause error
}

// Error says that no credentials were found and how to provide them.
func (e *NoCredentialsError) Error() string {
	cli := "the Azure CLI is not installed"
	if e.CLIInstalled {
		cli = "the Azure CLI is not signed in"
	}
	return fmt.Sprintf("no credentials found: no ARM_* credential settings are configured, and %s (%v)", cli, e.Cause)
}

// Unwrap returns the Azure CLI credential's error.
func (e *NoCredentialsError) Unwrap() error { return e.Cause }

// cliFallbackCredential is the Azure CLI credential the provider falls back to when nothing else is
// configured; it turns "no CLI" and "not signed in" into a NoCredentialsError.
type cliFallbackCredential struct{ inner azcore.TokenCredential }

// GetToken asks the Azure CLI for a token.
func (c cliFallbackCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	tok, err := c.inner.GetToken(ctx, opts)
	if err == nil {
		return tok, nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "executable not found"):
		return tok, &NoCredentialsError{Cause: err}
	case strings.Contains(msg, "az login") && !strings.Contains(msg, "claims-challenge"):
		return tok, &NoCredentialsError{CLIInstalled: true, Cause: err}
	}
	return tok, err
}

// AuthFailure is Entra ID refusing a credential, with its AADSTS code and what the code means.
type AuthFailure struct {
	// Code is the AADSTS code, e.g. "AADSTS7000215".
	Code string
	// Meaning says in one line what the code means and what to do; empty for codes not in the table.
	Meaning string
	// Description is Entra ID's own first sentence for the code.
	Description string
	// Err is the credential's error, with the raw response. Show it through RawResponse.
	Err error
}

// TokenPattern matches a JSON Web Token (an access token, a client assertion, an OIDC token, a LiveKit
// token): three base64url parts of which the first two are JSON objects. Diagnostics redact it; tests and
// the demo search state, plans and logs for it.
var TokenPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)

// RawResponse is the credential's error as text for a diagnostic, with anything shaped like a token
// replaced. Entra ID does not echo tokens or assertions, but a proxy or gateway page in between may
// echo the request, and a diagnostic must never carry one.
func (f *AuthFailure) RawResponse() string {
	return TokenPattern.ReplaceAllString(f.Err.Error(), "[REDACTED TOKEN]")
}

// aadstsMeanings are the one-line meanings of the AADSTS codes a provider's or agent's credential meets.
var aadstsMeanings = map[string]string{
	"AADSTS7000215": "the client secret is wrong: use the secret's Value (shown once when it was created), not its Secret ID, of a secret of this application",
	"AADSTS7000222": "the client secret has expired: create a new secret on the app registration (Certificates & secrets) and use its value",
	"AADSTS700016":  "no application with this client ID exists in the tenant: check the client ID and the tenant ID",
	"AADSTS90002":   "the tenant does not exist: check the tenant ID",
	"AADSTS900023":  "the tenant ID is not a valid tenant identifier",
	"AADSTS700027":  "the client assertion is not signed by a certificate registered on the app registration: upload the certificate (Certificates & secrets)",
	"AADSTS700024":  "the client assertion is expired or not yet valid: check the clock of the machine and the token's lifetime",
	"AADSTS70021":   "no federated credential of the app registration matches the OIDC token's issuer, subject and audience: add one that matches (e.g. repo:<org>/<repo>:ref:refs/heads/main)",
	"AADSTS700211":  "no federated credential of the app registration trusts the OIDC token's issuer: add one for this issuer (GitHub Actions: https://token.actions.githubusercontent.com)",
	"AADSTS700212":  "the app registration's federated credential matching the OIDC token's issuer and subject does not list the token's audience: request the token for api://AzureADTokenExchange, or add this audience to the federated credential",
	"AADSTS700213":  "no federated credential of the app registration matches the OIDC token's subject: add one whose subject is the token's (GitHub Actions: repo:<org>/<repo>:ref:refs/heads/<branch> or repo:<org>/<repo>:environment:<name>)",
	"AADSTS7000112": "the application is disabled in the tenant",
	"AADSTS500011":  "the resource (token audience) is not registered in the tenant: check the token scope",
	"AADSTS7000218": "the request has no client secret or assertion: set a client secret, certificate or federated credential",
	"AADSTS50126":   "the user name or password is wrong",
}

var aadstsPattern = regexp.MustCompile(`AADSTS(\d+): ([^"\\\r\n]*)`)

// ExplainAuthFailure recognizes an Entra ID refusal (an AADSTS code) in a credential's error.
func ExplainAuthFailure(err error) (*AuthFailure, bool) {
	if err == nil {
		return nil, false
	}
	var nc *NoCredentialsError
	if errors.As(err, &nc) {
		return nil, false
	}
	m := aadstsPattern.FindStringSubmatch(err.Error())
	if m == nil {
		return nil, false
	}
	code := "AADSTS" + m[1]
	desc := strings.TrimSpace(m[2])
	if i := strings.Index(desc, ". "); i > 0 {
		desc = desc[:i+1]
	}
	return &AuthFailure{Code: code, Meaning: aadstsMeanings[code], Description: desc, Err: err}, true
}

// Headline is the AADSTS code and its one-line meaning (or Entra ID's own sentence).
func (f *AuthFailure) Headline() string {
	if f.Meaning != "" {
		return f.Code + ": " + f.Meaning + "."
	}
	return f.Code + ": " + f.Description
}
