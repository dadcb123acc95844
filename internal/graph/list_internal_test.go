package graph

import (
	"encoding/base64"
	"testing"
)

func TestCallerFromToken(t *testing.T) {
	tok := func(payload string) string {
		return "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	for _, c := range []struct {
		payload string
		appOnly bool
	}{
		{`{"oid":"AA","idtyp":"app","roles":["Application.Read.All"]}`, true},
		{`{"oid":"AA","roles":["Application.Read.All"]}`, true},
		{`{"oid":"AA","idtyp":"user","scp":"Application.Read.All"}`, false},
		{`{"oid":"AA","scp":"user_impersonation"}`, false},
	} {
		got, err := callerFromToken(tok(c.payload))
		if err != nil || got.appOnly != c.appOnly || got.objectID != "aa" {
			t.Errorf("%s: %+v, %v", c.payload, got, err)
		}
	}
	if _, err := callerFromToken(tok(`{"idtyp":"app"}`)); err == nil {
		t.Error("a token without oid was accepted")
	}
	if _, err := callerFromToken("opaque"); err == nil {
		t.Error("a token that is not a JWT was accepted")
	}
}
