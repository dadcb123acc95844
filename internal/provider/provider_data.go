package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// providerData is what Configure hands to every resource and data source. Clients that need a login are
// built lazily, on first use, so that data sources which need no credentials work without any.
type providerData struct {
	entry      environments.Entry
	userAgent  string
	httpClient *http.Client
}

// newProviderData resolves the provider block against the environment variables: configuration wins.
func newProviderData(_ context.Context, m providerModel, getenv func(string) string, ua string) (*providerData, diag.Diagnostics) {
	var diags diag.Diagnostics
	pick := func(v types.String, env string) string {
		if isSet(v) {
			return v.ValueString()
		}
		return getenv(env)
	}
	overrides := environments.Overrides{
		Environment:   pick(m.Environment, environments.EnvEnvironment),
		Region:        pick(m.Region, environments.EnvRegion),
		LKPSBaseURL:   pick(m.LKPSBaseURL, environments.EnvLKPSBaseURL),
		GraphBaseURL:  pick(m.GraphBaseURL, environments.EnvGraphBaseURL),
		AuthorityHost: pick(m.AuthorityHost, environments.EnvAuthorityHost),
		LKPSScope:     pick(m.LKPSTokenScope, environments.EnvLKPSTokenScope),
		TenantID:      pick(m.TenantID, "ARM_TENANT_ID"),
	}
	entry, err := environments.Resolve(overrides)
	if err != nil {
		var fe *environments.FieldError
		if errors.As(err, &fe) {
			attr, env := overrideAttribute(fe.Field)
			diags.AddAttributeError(path.Root(attr), "Invalid provider setting",
				fmt.Sprintf("%s. Set the provider attribute %q (or the %s environment variable) accordingly.", fe.Message, attr, env))
		} else {
			diags.AddError("Invalid provider settings", err.Error())
		}
		return nil, diags
	}
	return &providerData{
		entry:      entry,
		userAgent:  ua,
		httpClient: &http.Client{Transport: http.DefaultTransport},
	}, diags
}

// overrideAttribute maps an environments.Overrides field to its provider attribute and variable.
func overrideAttribute(field string) (attribute, envVar string) {
	switch field {
	case "Environment":
		return "environment", environments.EnvEnvironment
	case "Region":
		return "region", environments.EnvRegion
	case "LKPSBaseURL":
		return "lkps_base_url", environments.EnvLKPSBaseURL
	case "GraphBaseURL":
		return "graph_base_url", environments.EnvGraphBaseURL
	case "AuthorityHost":
		return "authority_host", environments.EnvAuthorityHost
	case "LKPSScope":
		return "lkps_token_scope", environments.EnvLKPSTokenScope
	default:
		return "tenant_id", "ARM_TENANT_ID"
	}
}

// providerDataFrom is the one place that turns Configure's ProviderData into *providerData. It returns
// nil (without error) before the provider is configured, as the framework calls Configure early too.
func providerDataFrom(v any, diags *diag.Diagnostics) *providerData {
	if v == nil {
		return nil
	}
	data, ok := v.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider; please report it.", v))
		return nil
	}
	return data
}
