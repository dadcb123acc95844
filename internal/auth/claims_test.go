package auth

import (
	"encoding/base64"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestUnverifiedClaims(t *testing.T) {
	exp := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	cases := []struct {
		name  string
		token string
		want  Claims
	}{
		{
			name: "v1 token with appid",
			token: unsignedJWT(map[string]any{
				"aud": "api://livekit-platform-service-np.int.bayer.com", "appid": clientA, "oid": "o1", "tid": tenantA, "exp": exp.Unix(), "ver": "1.0",
			}),
			want: Claims{AppID: clientA, ObjectID: "o1", Audience: "api://livekit-platform-service-np.int.bayer.com", TenantID: tenantA, Expiry: exp},
		},
		{
			name:  "v2 token with azp and a list audience",
			token: unsignedJWT(map[string]any{"aud": []string{"https://graph.microsoft.com", "other"}, "azp": clientB, "tid": tenantB, "exp": exp.Unix(), "ver": "2.0"}),
			want:  Claims{AppID: clientB, Audience: "https://graph.microsoft.com", TenantID: tenantB, Expiry: exp},
		},
		{
			name:  "app-only token with roles",
			token: unsignedJWT(map[string]any{"appid": clientA, "idtyp": "app", "roles": []string{"Application.ReadWrite.OwnedBy"}}),
			want:  Claims{AppID: clientA, IDType: "app", Roles: []string{"Application.ReadWrite.OwnedBy"}},
		},
		{
			name:  "appid wins over azp",
			token: unsignedJWT(map[string]any{"appid": clientA, "azp": clientB}),
			want:  Claims{AppID: clientA},
		},
		{
			name:  "fractional exp and surrounding whitespace",
			token: " " + unsignedJWT(map[string]any{"exp": float64(exp.Unix()) + 0.5}) + "\n",
			want:  Claims{Expiry: exp},
		},
		{
			name:  "padded payload",
			token: "e30." + base64.URLEncoding.EncodeToString([]byte(`{"azp":"`+clientA+`"}`)) + ".sig",
			want:  Claims{AppID: clientA},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UnverifiedClaims(tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestUnverifiedClaimsErrors(t *testing.T) {
	secretish := "eyJzZWNyZXQiOiJ0b3Atc2VjcmV0In0"
	cases := map[string]string{
		"two parts":       "aaa." + secretish,
		"four parts":      "a.b.c.d" + secretish,
		"bad base64":      "e30.!!" + secretish + "!!.sig",
		"not JSON":        "e30." + base64.RawURLEncoding.EncodeToString([]byte("not json "+secretish)) + ".sig",
		"aud not strings": unsignedJWT(map[string]any{"aud": 5, "x": secretish}),
		"exp not number":  unsignedJWT(map[string]any{"exp": "soon", "x": secretish}),
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := UnverifiedClaims(token)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), secretish) || strings.Contains(err.Error(), "top-secret") {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

// An app-only token is told from a signed-in user's by idtyp, or, when idtyp is absent, by the lack of scp.
func TestClaims_AppOnly(t *testing.T) {
	for _, c := range []struct {
		claims  map[string]any
		appOnly bool
	}{
		{map[string]any{"oid": "o", "idtyp": "app", "roles": []string{"Application.Read.All"}}, true},
		{map[string]any{"oid": "o", "roles": []string{"Application.Read.All"}}, true},
		{map[string]any{"oid": "o", "idtyp": "user", "scp": "Application.Read.All"}, false},
		{map[string]any{"oid": "o", "scp": "user_impersonation"}, false},
	} {
		got, err := UnverifiedClaims(unsignedJWT(c.claims))
		if err != nil || got.AppOnly() != c.appOnly {
			t.Errorf("%v: AppOnly = %v (%+v, %v), want %v", c.claims, got.AppOnly(), got, err, c.appOnly)
		}
	}
}
