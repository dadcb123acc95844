package environments_test

import (
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// The seeds and product.md spell every one of these values; a change here is a change of fact.
func TestLookupMatchesSeeds(t *testing.T) {
	cases := []struct {
		env         environments.Environment
		region      environments.Region
		base, scope string
		livekit     string
		route       string
	}{
		{environments.NonProd, environments.EU, "https://eu-livekit-platform-service-np.int.bayer.com", "api://livekit-platform-service-np.int.bayer.com/.default", "https://eu.livekit-np.int.bayer.com", "https://devtools-np.bayer.com/ocelot?route=eu-livekit-platform-service-np.int.bayer.com"},
		{environments.NonProd, environments.US, "https://us-livekit-platform-service-np.int.bayer.com", "api://livekit-platform-service-np.int.bayer.com/.default", "https://us.livekit-np.int.bayer.com", "https://devtools-np.bayer.com/ocelot?route=us-livekit-platform-service-np.int.bayer.com"},
		{environments.Prod, environments.EU, "https://eu-livekit-platform-service.int.bayer.com", "api://livekit-platform-service.int.bayer.com/.default", "https://eu.livekit.int.bayer.com", "https://devtools.bayer.com/ocelot?route=eu-livekit-platform-service.int.bayer.com"},
		{environments.Prod, environments.US, "https://us-livekit-platform-service.int.bayer.com", "api://livekit-platform-service.int.bayer.com/.default", "https://us.livekit.int.bayer.com", "https://devtools.bayer.com/ocelot?route=us-livekit-platform-service.int.bayer.com"},
	}
	for _, c := range cases {
		e, err := environments.Lookup(c.env, c.region)
		if err != nil {
			t.Fatalf("Lookup(%s, %s): %v", c.env, c.region, err)
		}
		if e.LKPSBaseURL != c.base || e.LKPSScope != c.scope || e.LiveKitURL != c.livekit || e.OcelotRouteURL != c.route {
			t.Errorf("Lookup(%s, %s) = %+v", c.env, c.region, e)
		}
		if e.LKPSAudience+"/.default" != e.LKPSScope {
			t.Errorf("audience %q is not the scope without /.default", e.LKPSAudience)
		}
		if e.TokenEndpoint != "https://login.microsoftonline.com/fcb2b37b-5da0-466b-9b83-0014b67a7c78/oauth2/v2.0/token" {
			t.Errorf("token endpoint %q", e.TokenEndpoint)
		}
		if got, ok := environments.ByLKPSHost(strings.ToUpper(e.LKPSHost) + ":443"); !ok || got.Key() != e.Key() {
			t.Errorf("ByLKPSHost(%q) = %v, %v", e.LKPSHost, got.Key(), ok)
		}
		if env, ok := environments.ByAudience(e.LKPSScope); !ok || env != c.env {
			t.Errorf("ByAudience(%q) = %v, %v", e.LKPSScope, env, ok)
		}
	}
}

func TestAllIsTheFullTableInOrder(t *testing.T) {
	var keys []string
	for _, e := range environments.All() {
		keys = append(keys, e.Key())
	}
	if got, want := strings.Join(keys, " "), "nonprod/eu nonprod/us prod/eu prod/us"; got != want {
		t.Fatalf("All() keys = %q, want %q", got, want)
	}
}

func TestLookupRejectsUnknownValues(t *testing.T) {
	if _, err := environments.Lookup("staging", environments.EU); err == nil || !strings.Contains(err.Error(), "nonprod, prod") {
		t.Errorf("unknown environment: err = %v", err)
	}
	if _, err := environments.Lookup(environments.Prod, "apac"); err == nil || !strings.Contains(err.Error(), "eu, us") {
		t.Errorf("unknown region: err = %v", err)
	}
	if _, ok := environments.ByLKPSHost("example.com"); ok {
		t.Error("ByLKPSHost accepted a foreign host")
	}
}
