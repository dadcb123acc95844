package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

type failingCredential struct{ err error }

func (f failingCredential) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{}, f.err
}

func TestCLIFallbackMeansNoCredentials(t *testing.T) {
	cases := []struct {
		err       string
		none      bool
		installed bool
	}{
		{"AzureCLICredential: executable not found on path", true, false},
		{"AzureCLICredential: ERROR: Please run 'az login' to setup account.", true, true},
		{"AzureCLICredential: Azure CLI requires multifactor authentication or additional claims. Run this command then retry the operation: az login --claims-challenge x", false, true},
		{"AzureCLICredential: signal: killed", false, false},
	}
	for _, c := range cases {
		_, err := cliFallbackCredential{inner: failingCredential{errors.New(c.err)}}.GetToken(context.Background(), policy.TokenRequestOptions{})
		var nc *NoCredentialsError
		if errors.As(err, &nc) != c.none {
			t.Errorf("%q: NoCredentialsError = %v", c.err, errors.As(err, &nc))
			continue
		}
		if c.none && (nc.CLIInstalled != c.installed || !strings.Contains(err.Error(), "no credentials found") || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%q: %v (installed %v)", c.err, err, nc.CLIInstalled)
		}
	}
	for _, way := range []string{"ARM_CLIENT_SECRET", "ARM_CLIENT_CERTIFICATE_PATH", "ARM_USE_OIDC", "ARM_USE_MSI", "az login"} {
		if !strings.Contains(WaysToAuthenticate, way) {
			t.Errorf("WaysToAuthenticate lacks %s", way)
		}
	}
}

func TestExplainAuthFailure(t *testing.T) {
	raw := errors.New("ClientSecretCredential authentication failed. \nPOST https://login/x/oauth2/v2.0/token\n" +
		"RESPONSE 401: 401 Unauthorized\n{\n  \"error\": \"invalid_client\",\n  \"error_description\": \"AADSTS7000215: Invalid client secret provided. " +
		"Ensure the secret being sent in the request is the client secret value, not the client secret ID.\\r\\nTrace ID: 1\"\n}")
	f, ok := ExplainAuthFailure(raw)
	if !ok || f.Code != "AADSTS7000215" || f.Description != "Invalid client secret provided." ||
		!strings.HasPrefix(f.Headline(), "AADSTS7000215: the client secret is wrong: use the secret's Value") || !errors.Is(f.Err, raw) {
		t.Fatalf("explained %+v, %v", f, ok)
	}
	const assertion = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	f, ok = ExplainAuthFailure(errors.New("RESPONSE 400\nclient_assertion=" + assertion + "&x=1\nAADSTS700027: Client assertion failed."))
	if !ok || strings.Contains(f.RawResponse(), assertion) || !strings.Contains(f.RawResponse(), "client_assertion=[REDACTED TOKEN]&x=1") {
		t.Fatalf("RawResponse keeps a token: %q", f.RawResponse())
	}
	f, ok = ExplainAuthFailure(errors.New(`"error_description": "AADSTS123456: Something new happened. More text\r\n"`))
	if !ok || f.Meaning != "" || f.Headline() != "AADSTS123456: Something new happened." {
		t.Fatalf("unknown code: %+v", f)
	}
	for _, err := range []error{nil, errors.New("connection refused"), &NoCredentialsError{Cause: errors.New("AADSTS7000215: x")}} {
		if _, ok := ExplainAuthFailure(err); ok {
			t.Errorf("%v explained as an Entra ID refusal", err)
		}
	}
}
