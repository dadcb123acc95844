package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

// providerData is what Configure hands to every resource and data source. Clients that need a login are
// built lazily, on first use, so that data sources which need no credentials work without any.
type providerData struct {
	entry      environments.Entry
	userAgent  string
	httpClient *http.Client
	authOpts   auth.Options

	// credential is the provider's identity; credentialErr says why there is none. Building it makes
	// no network call; the first token request does.
	credential    azcore.TokenCredential
	method        auth.Method
	credentialErr error

	// graphSettings and commandStart configure the Graph client (graph_settings.go, command_start.go).
	graphSettings graphSettings
	commandStart  time.Time

	graphOnce   sync.Once
	graphClient *graph.Client
	graphErr    error

	// visibleClients remembers the client IDs (in lower case) found visible in the tenant, so that many
	// lkps_preauthorized_client resources naming one client look it up once per run.
	visibleClients sync.Map
	// preauthorizations are the pre-authorizations this configuration's resources claimed in this run.
	preauthorizations preauthorizationClaims
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
	gs, gdiags := resolveGraphSettings(m.GraphReplicationLag, m.ConcurrentWriters, getenv)
	diags.Append(gdiags...)
	if diags.HasError() {
		return nil, diags
	}
	data := &providerData{
		entry:         entry,
		userAgent:     ua,
		httpClient:    &http.Client{Transport: http.DefaultTransport},
		graphSettings: gs,
		commandStart:  commandStart(getenv, time.Now()),
	}
	data.authOpts = auth.Options{
		AuthorityHost: entry.AuthorityHost,
		Transport:     data.httpClient,
		UserAgent:     ua,
		TenantID:      entry.TenantID,
	}
	settings := auth.Merge(m.authSettings(), auth.FromEnv(getenv))
	data.credential, data.method, data.credentialErr = auth.NewCredential(context.Background(), settings, data.authOpts)
	// A credential error (for example use_cli = false with no other method, or a half-set ARM_*
	// environment shared with other tools) is reported only when a resource needs a login, on that
	// resource, so that the data sources that need none keep working. Conflicting attributes are caught
	// earlier, by ValidateConfig.
	return data, diags
}

// authSettings maps the provider block's authentication attributes; null means "not configured".
func (m providerModel) authSettings() auth.Settings {
	str := func(v types.String) *string {
		if !isSet(v) {
			return nil
		}
		s := v.ValueString()
		return &s
	}
	boolean := func(v types.Bool) *bool {
		if !isSet(v) {
			return nil
		}
		b := v.ValueBool()
		return &b
	}
	return auth.Settings{
		TenantID:                  str(m.TenantID),
		ClientID:                  str(m.ClientID),
		ClientIDFilePath:          str(m.ClientIDFilePath),
		ClientSecret:              str(m.ClientSecret),
		ClientSecretFilePath:      str(m.ClientSecretFilePath),
		ClientCertificate:         str(m.ClientCertificate),
		ClientCertificatePath:     str(m.ClientCertificatePath),
		ClientCertificatePassword: str(m.ClientCertificatePassword),
		UseOIDC:                   boolean(m.UseOIDC),
		OIDCToken:                 str(m.OIDCToken),
		OIDCTokenFilePath:         str(m.OIDCTokenFilePath),
		OIDCRequestURL:            str(m.OIDCRequestURL),
		OIDCRequestToken:          str(m.OIDCRequestToken),
		ADOServiceConnectionID:    str(m.ADOServiceConnectionID),
		UseAKSWorkloadIdentity:    boolean(m.UseAKSWorkloadIdentity),
		UseMSI:                    boolean(m.UseMSI),
		MSIEndpoint:               str(m.MSIEndpoint),
		UseCLI:                    boolean(m.UseCLI),
		AuthorityHost:             str(m.AuthorityHost),
	}
}

// overrideAttributes maps each environments.Overrides field to its provider attribute and variable.
var overrideAttributes = map[string][2]string{
	"Environment":   {"environment", environments.EnvEnvironment},
	"Region":        {"region", environments.EnvRegion},
	"LKPSBaseURL":   {"lkps_base_url", environments.EnvLKPSBaseURL},
	"GraphBaseURL":  {"graph_base_url", environments.EnvGraphBaseURL},
	"AuthorityHost": {"authority_host", environments.EnvAuthorityHost},
	"LKPSScope":     {"lkps_token_scope", environments.EnvLKPSTokenScope},
}

// overrideAttribute maps an environments.Overrides field to its provider attribute and variable.
func overrideAttribute(field string) (attribute, envVar string) {
	if a, ok := overrideAttributes[field]; ok {
		return a[0], a[1]
	}
	return "tenant_id", "ARM_TENANT_ID"
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
