package graph

import (
	"encoding/base64"
	"testing"
)

func TestOwnedPath(t *testing.T) {
	tok := func(payload string) string {
		return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
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
	if _, err := ownedPath(tok(`{"idtyp":"app"}`)); err == nil {
		t.Error("a token without oid was accepted")
	}
	if _, err := ownedPath("opaque"); err == nil {
		t.Error("a token that is not a JWT was accepted")
	}
}
