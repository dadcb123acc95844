package graph

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// OwnedApplications lists the collection the token's identity owns: a service principal's by its oid
// when the token is app-only (idtyp "app", or no scp claim), else /me's; a token without oid, or not a
// JWT, lists nothing.
func TestOwnedPath(t *testing.T) {
	tok := func(payload string) string {
		return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	c, _, requests := wireServer(t, &countingCredential{life: time.Hour}, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"value":[]}`)
	})
	ownedPath := func(token string) (string, error) { // the path OwnedApplications requests with token
		c.token = azcore.AccessToken{Token: token, ExpiresOn: time.Now().Add(time.Hour)}
		n := len(requests())
		_, err := c.OwnedApplications(context.Background())
		if got := requests(); len(got) > n {
			path, _, _ := strings.Cut(strings.TrimPrefix(got[n].path, "/v1.0"), "?")
			return path, err
		}
		return "", err
	}
	const app, user = "/servicePrincipals/aa/ownedObjects/microsoft.graph.application", "/me/ownedObjects/microsoft.graph.application"
	for _, c := range []struct{ payload, path string }{
		{`{"oid":"AA","idtyp":"app","roles":["Application.Read.All"]}`, app},
		{`{"oid":"AA","roles":["Application.Read.All"]}`, app},
		{`{"oid":"AA","idtyp":"user","scp":"Application.Read.All"}`, user},
		{`{"oid":"AA","scp":"user_impersonation"}`, user},
	} {
		if got, err := ownedPath(tok(c.payload)); err != nil || got != c.path {
			t.Errorf("%s: %q, %v", c.payload, got, err)
		}
	}
	if path, err := ownedPath(tok(`{"idtyp":"app"}`)); err == nil || path != "" {
		t.Errorf("a token without oid was accepted: %q, %v", path, err)
	}
	if path, err := ownedPath("opaque"); err == nil || path != "" {
		t.Errorf("a token that is not a JWT was accepted: %q, %v", path, err)
	}
}
