package entra_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
)

// An application with no service principal in the tenant gets no token: 401 invalid_client
// AADSTS7000229 (Microsoft Learn, "Missing Service Principal in the Tenant"), after its credential was
// checked (a wrong secret is still AADSTS7000215).
func TestMissingServicePrincipal(t *testing.T) {
	f := newFixture(t)
	f.dir.put(entra.Client{AppID: otherAppID, Secrets: []string{appSecret}, NoServicePrincipal: true})
	form := secretForm(entraGraphScope)
	form.Set("client_id", otherAppID)
	status, body := f.postToken(t, testTenant, form)
	checkEntraError(t, status, body, http.StatusUnauthorized, "invalid_client", 7000229)
	desc, _ := body["error_description"].(string)
	if !strings.Contains(desc, "The client application "+otherAppID+" is missing service principal in the tenant "+testTenant+".") {
		t.Errorf("error_description = %q", desc)
	}
	form.Set("client_secret", "wrong")
	status, body = f.postToken(t, testTenant, form)
	checkEntraError(t, status, body, http.StatusUnauthorized, "invalid_client", 7000215)
	// With its service principal, the same request gets a token.
	f.dir.put(entra.Client{AppID: otherAppID, ServicePrincipalID: appSPID, Secrets: []string{appSecret}})
	form.Set("client_secret", appSecret)
	if status, body := f.postToken(t, testTenant, form); status != http.StatusOK || jstr(body, "access_token") == "" {
		t.Fatalf("with a service principal: status %d, error %v", status, body["error"])
	}
}
