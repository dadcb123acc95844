package environments_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

func TestResolveDefaults(t *testing.T) {
	e, err := environments.Resolve(environments.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if e.Key() != "nonprod/eu" || e.LKPSBaseURL != "https://eu-livekit-platform-service-np.int.bayer.com" || e.GraphBaseURL != "https://graph.microsoft.com" {
		t.Fatalf("defaults = %+v", e)
	}
}

func TestResolveOverrides(t *testing.T) {
	e, err := environments.Resolve(environments.Overrides{
		Environment:   "PROD",
		Region:        "us",
		LKPSBaseURL:   "https://127.0.0.1:8443/lkps/prod/us/",
		GraphBaseURL:  "https://127.0.0.1:8443/graph/v1.0",
		AuthorityHost: "https://127.0.0.1:8443/",
		LKPSScope:     "api://livekit-platform-service.int.bayer.com/.default",
		TenantID:      "00000000-0000-0000-0000-000000000001",
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.Key() != "prod/us" {
		t.Errorf("key %s", e.Key())
	}
	if e.LKPSBaseURL != "https://127.0.0.1:8443/lkps/prod/us" || e.GraphBaseURL != "https://127.0.0.1:8443/graph" || e.AuthorityHost != "https://127.0.0.1:8443" {
		t.Errorf("overrides not applied: %+v", e)
	}
	if e.TokenEndpoint != "https://127.0.0.1:8443/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token" {
		t.Errorf("token endpoint %s", e.TokenEndpoint)
	}
	if e.LKPSAudience != "api://livekit-platform-service.int.bayer.com" {
		t.Errorf("audience %s", e.LKPSAudience)
	}
}

func TestResolveRefusesMixedEnvironments(t *testing.T) {
	cases := []struct {
		name  string
		o     environments.Overrides
		field string
		want  string
	}{
		{"prod URL on nonprod", environments.Overrides{LKPSBaseURL: "https://eu-livekit-platform-service.int.bayer.com"}, "LKPSBaseURL", "documented URL of prod/eu"},
		{"us URL on eu", environments.Overrides{LKPSBaseURL: "https://us-livekit-platform-service-np.int.bayer.com"}, "LKPSBaseURL", "documented URL of nonprod/us"},
		{"prod scope on nonprod", environments.Overrides{LKPSScope: "api://livekit-platform-service.int.bayer.com/.default"}, "LKPSScope", "belongs to the prod environment"},
		{"scope without .default", environments.Overrides{LKPSScope: "api://x"}, "LKPSScope", "must end in /.default"},
		{"http graph", environments.Overrides{GraphBaseURL: "http://127.0.0.1/graph"}, "GraphBaseURL", "must use https"},
		{"relative authority", environments.Overrides{AuthorityHost: "login"}, "AuthorityHost", "not an absolute URL"},
		{"bad environment", environments.Overrides{Environment: "dev"}, "Environment", "expected one of nonprod, prod"},
		{"bad region", environments.Overrides{Region: "apac"}, "Region", "expected one of eu, us"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := environments.Resolve(c.o)
			var fe *environments.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FieldError", err)
			}
			if fe.Field != c.field || !strings.Contains(fe.Message, c.want) {
				t.Fatalf("err = %+v, want field %s containing %q", fe, c.field, c.want)
			}
		})
	}
}
