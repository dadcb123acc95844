// Package provider is the Terraform face of terraform-provider-lkps: schemas, plan modifiers,
// diagnostics and the mapping between Terraform values and the Terraform-free API packages.
package provider

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// RegistryAddress is the provider's source address, used by main.go, the docs and the demo.
const RegistryAddress = "registry.terraform.io/bayer/lkps"

// New returns a constructor of the provider for providerserver.Serve and the acceptance tests.
func New(version, commit string) func() provider.Provider {
	return func() provider.Provider {
		return &lkpsProvider{version: version, commit: commit, getenv: os.Getenv}
	}
}

// lkpsProvider is the lkps provider. getenv is a field so that tests can configure it without touching
// the process environment.
type lkpsProvider struct {
	version string
	commit  string
	getenv  func(string) string
}

// providerModel maps the provider block.
type providerModel struct {
	Environment types.String `tfsdk:"environment"`
	Region      types.String `tfsdk:"region"`
	TenantID    types.String `tfsdk:"tenant_id"`

	ClientID                  types.String `tfsdk:"client_id"`
	ClientIDFilePath          types.String `tfsdk:"client_id_file_path"`
	ClientSecret              types.String `tfsdk:"client_secret"`
	ClientSecretFilePath      types.String `tfsdk:"client_secret_file_path"`
	ClientCertificate         types.String `tfsdk:"client_certificate"`
	ClientCertificatePath     types.String `tfsdk:"client_certificate_path"`
	ClientCertificatePassword types.String `tfsdk:"client_certificate_password"`
	UseOIDC                   types.Bool   `tfsdk:"use_oidc"`
	OIDCToken                 types.String `tfsdk:"oidc_token"`
	OIDCTokenFilePath         types.String `tfsdk:"oidc_token_file_path"`
	OIDCRequestURL            types.String `tfsdk:"oidc_request_url"`
	OIDCRequestToken          types.String `tfsdk:"oidc_request_token"`
	ADOServiceConnectionID    types.String `tfsdk:"ado_pipeline_service_connection_id"`
	UseAKSWorkloadIdentity    types.Bool   `tfsdk:"use_aks_workload_identity"`
	UseMSI                    types.Bool   `tfsdk:"use_msi"`
	MSIEndpoint               types.String `tfsdk:"msi_endpoint"`
	UseCLI                    types.Bool   `tfsdk:"use_cli"`

	LKPSBaseURL    types.String `tfsdk:"lkps_base_url"`
	GraphBaseURL   types.String `tfsdk:"graph_base_url"`
	AuthorityHost  types.String `tfsdk:"authority_host"`
	LKPSTokenScope types.String `tfsdk:"lkps_token_scope"`

	GraphReplicationLag types.String `tfsdk:"graph_replication_lag"`
	ConcurrentWriters   types.Bool   `tfsdk:"concurrent_writers"`
}

func (p *lkpsProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "lkps"
	resp.Version = p.version
}

func (p *lkpsProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	str := func(desc string, sensitive bool, validators ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: desc, Optional: true, Sensitive: sensitive, Validators: validators}
	}
	boolean := func(desc string) schema.BoolAttribute {
		return schema.BoolAttribute{MarkdownDescription: desc, Optional: true}
	}
	nonEmpty := stringvalidator.LengthAtLeast(1)
	resp.Schema = schema.Schema{
		MarkdownDescription: "The LKPS provider onboards AI agents onto Bayer's LiveKit Platform Service (LKPS): it exposes the " +
			"agent's API on its Entra ID app registration, pre-authorizes client applications and registers the agent " +
			"with LKPS. Authentication reads the `azuread` provider's settings and `ARM_*` variables, including GitHub " +
			"Actions and Azure DevOps workload identity federation.",
		Attributes: map[string]schema.Attribute{
			"environment": str("The LKPS environment, `nonprod` or `prod`. It selects the LKPS base URL and token scope. "+
				"Defaults to the `LKPS_ENVIRONMENT` environment variable, else `nonprod`.", false,
				stringvalidator.OneOf(environments.EnvironmentNames()...)),
			"region": str("The LKPS region, `eu` or `us`. EU and US are isolated deployments: an agent registered in one "+
				"exists only there. Defaults to the `LKPS_REGION` environment variable, else `eu`.", false,
				stringvalidator.OneOf(environments.RegionNames()...)),
			"tenant_id": str("The Entra ID tenant to authenticate in. Defaults to the `ARM_TENANT_ID` environment variable, "+
				"else the Bayer tenant `"+environments.BayerTenantID+"`.", false, guidValidator()),

			"client_id": str("The client ID (application ID) of the identity the provider authenticates as, for client "+
				"secret, client certificate and OIDC authentication. Defaults to the `ARM_CLIENT_ID` environment variable.", false, guidValidator()),
			"client_id_file_path": str("The path to a file holding the client ID, as an alternative to `client_id`. "+
				"Defaults to the `ARM_CLIENT_ID_FILE_PATH` environment variable.", false, nonEmpty),
			"client_secret": str("The client secret of the identity, for client secret authentication. Defaults to the "+
				"`ARM_CLIENT_SECRET` environment variable.", true, nonEmpty),
			"client_secret_file_path": str("The path to a file holding the client secret, as an alternative to "+
				"`client_secret`. Defaults to the `ARM_CLIENT_SECRET_FILE_PATH` environment variable.", false, nonEmpty),
			"client_certificate": str("A base64-encoded PKCS#12 (PFX) or PEM client certificate with its private key, "+
				"for client certificate authentication. Defaults to the `ARM_CLIENT_CERTIFICATE` environment variable.", true, nonEmpty),
			"client_certificate_path": str("The path to a PKCS#12 (PFX) or PEM file holding the client certificate and "+
				"its private key. Defaults to the `ARM_CLIENT_CERTIFICATE_PATH` environment variable.", false, nonEmpty),
			"client_certificate_password": str("The password that protects the client certificate, if any. Defaults to "+
				"the `ARM_CLIENT_CERTIFICATE_PASSWORD` environment variable.", true),
			"use_oidc": boolean("Whether to authenticate with an OIDC token through a federated identity credential " +
				"(GitHub Actions, other CI systems). Defaults to the `ARM_USE_OIDC` environment variable, else `false`."),
			"oidc_token": str("An OIDC ID token to exchange for an Entra ID token when `use_oidc` is true. Defaults to "+
				"the `ARM_OIDC_TOKEN` environment variable.", true, nonEmpty),
			"oidc_token_file_path": str("The path to a file holding the OIDC ID token, re-read for every token request. "+
				"Defaults to the `ARM_OIDC_TOKEN_FILE_PATH` environment variable.", false, nonEmpty),
			"oidc_request_url": str("The URL from which to request an OIDC token in GitHub Actions or Azure DevOps. "+
				"Defaults to the `ARM_OIDC_REQUEST_URL` environment variable, else `ACTIONS_ID_TOKEN_REQUEST_URL` (GitHub "+
				"Actions), else, with `ado_pipeline_service_connection_id`, `SYSTEM_OIDCREQUESTURI` (Azure DevOps).", false, nonEmpty),
			"oidc_request_token": str("The bearer token for `oidc_request_url`. Defaults to the `ARM_OIDC_REQUEST_TOKEN` "+
				"environment variable, else `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (GitHub Actions), else, with "+
				"`ado_pipeline_service_connection_id`, `SYSTEM_ACCESSTOKEN` (Azure DevOps: the job's access token, which "+
				"a step sees only when it maps it, `SYSTEM_ACCESSTOKEN: $(System.AccessToken)`).", true, nonEmpty),
			"ado_pipeline_service_connection_id": str("The ID of the Azure DevOps service connection (workload identity "+
				"federation) whose OIDC token the provider presents when `use_oidc` is true, as the azuread provider reads "+
				"it: set, the OIDC request URL and token are Azure DevOps' (`SYSTEM_OIDCREQUESTURI`, `SYSTEM_ACCESSTOKEN`) "+
				"instead of GitHub Actions'. Defaults to the `ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID` environment variable, "+
				"else `ARM_OIDC_AZURE_SERVICE_CONNECTION_ID`.", false, nonEmpty),
			"use_aks_workload_identity": boolean("Whether to authenticate with AKS workload identity (the federated " +
				"token file mounted into the pod). Defaults to the `ARM_USE_AKS_WORKLOAD_IDENTITY` environment variable, else `false`."),
			"use_msi": boolean("Whether to authenticate with a managed identity. Defaults to the `ARM_USE_MSI` " +
				"environment variable, else `false`."),
			"msi_endpoint": str("A custom managed identity endpoint. Defaults to the `ARM_MSI_ENDPOINT` environment "+
				"variable, else the platform's endpoint.", false, nonEmpty),
			"use_cli": boolean("Whether to fall back to the Azure CLI's signed-in account when no other method is " +
				"configured. Defaults to the `ARM_USE_CLI` environment variable, else `true`."),

			"lkps_base_url": str("Overrides the LKPS base URL (through Ocelot) for proxies and the local emulator. "+
				"Defaults to the `LKPS_BASE_URL` environment variable, else the URL of the environment and region. "+
				"A documented URL of another environment or region is refused.", false, nonEmpty),
			"graph_base_url": str("Overrides the Microsoft Graph base URL, without the `/v1.0` segment, for sovereign "+
				"clouds and the local emulator. Defaults to the `LKPS_GRAPH_BASE_URL` environment variable, else "+
				"`https://graph.microsoft.com`.", false, nonEmpty),
			"authority_host": str("Overrides the Entra ID authority host for sovereign clouds and the local emulator. "+
				"Defaults to the `LKPS_AUTHORITY_HOST` environment variable, else `https://login.microsoftonline.com`.", false, nonEmpty),
			"lkps_token_scope": str("Overrides the scope requested for LKPS tokens. Defaults to the `LKPS_TOKEN_SCOPE` "+
				"environment variable, else the scope of the environment. The documented scope of the other "+
				"environment is refused.", false, nonEmpty),
		},
	}
	for name, a := range graphSettingsSchema() {
		resp.Schema.Attributes[name] = a
	}
}

// ValidateConfig reports combinations that no value of the environment could repair, at plan time.
func (p *lkpsProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	pairs := [][2]string{
		{"client_secret", "client_secret_file_path"},
		{"client_certificate", "client_certificate_path"},
		{"oidc_token", "oidc_token_file_path"},
		{"client_id", "client_id_file_path"},
	}
	values := map[string]types.String{
		"client_secret": m.ClientSecret, "client_secret_file_path": m.ClientSecretFilePath,
		"client_certificate": m.ClientCertificate, "client_certificate_path": m.ClientCertificatePath,
		"oidc_token": m.OIDCToken, "oidc_token_file_path": m.OIDCTokenFilePath,
		"client_id": m.ClientID, "client_id_file_path": m.ClientIDFilePath,
	}
	for _, pr := range pairs {
		a, b := values[pr[0]], values[pr[1]]
		if isSet(a) && isSet(b) {
			resp.Diagnostics.AddAttributeError(path.Root(pr[1]), "Conflicting provider settings",
				fmt.Sprintf("Set either %q or %q, not both: they name the same credential.", pr[0], pr[1]))
		}
	}
}

func (p *lkpsProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for name, v := range m.stringAttributes() {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Provider setting not known at plan time",
				fmt.Sprintf("The provider attribute %q depends on a value that is only known after apply. Provider settings "+
					"must be known when Terraform plans: use a literal, a variable, or a data source that can be read at plan time.", name))
		}
	}
	for name, v := range m.boolAttributes() {
		if v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Provider setting not known at plan time",
				fmt.Sprintf("The provider attribute %q depends on a value that is only known after apply; use a literal or a variable.", name))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	data, diags := newProviderData(ctx, m, p.getenv, userAgent(p.version, req.TerraformVersion))
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	tflog.Info(ctx, "Configured the lkps provider", map[string]any{
		"environment": string(data.entry.Environment), "region": string(data.entry.Region),
		"lkps_base_url": data.entry.LKPSBaseURL, "graph_base_url": data.entry.GraphBaseURL,
		"authority_host": data.entry.AuthorityHost,
	})
	resp.DataSourceData = data
	resp.ResourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
}

// userAgent names the provider and Terraform versions on every outgoing request.
func userAgent(providerVersion, terraformVersion string) string {
	if terraformVersion == "" {
		terraformVersion = "unknown"
	}
	return fmt.Sprintf("terraform-provider-lkps/%s (+https://registry.terraform.io/providers/%s) Terraform/%s",
		providerVersion, strings.TrimPrefix(RegistryAddress, "registry.terraform.io/"), terraformVersion)
}

func (m providerModel) stringAttributes() map[string]types.String {
	return map[string]types.String{
		"environment": m.Environment, "region": m.Region, "tenant_id": m.TenantID,
		"client_id": m.ClientID, "client_id_file_path": m.ClientIDFilePath,
		"client_secret": m.ClientSecret, "client_secret_file_path": m.ClientSecretFilePath,
		"client_certificate": m.ClientCertificate, "client_certificate_path": m.ClientCertificatePath,
		"client_certificate_password": m.ClientCertificatePassword,
		"oidc_token":                  m.OIDCToken, "oidc_token_file_path": m.OIDCTokenFilePath,
		"oidc_request_url": m.OIDCRequestURL, "oidc_request_token": m.OIDCRequestToken,
		"ado_pipeline_service_connection_id": m.ADOServiceConnectionID,
		"msi_endpoint":                       m.MSIEndpoint,
		"lkps_base_url":                      m.LKPSBaseURL, "graph_base_url": m.GraphBaseURL,
		"authority_host": m.AuthorityHost, "lkps_token_scope": m.LKPSTokenScope,
		"graph_replication_lag": m.GraphReplicationLag,
	}
}

func (m providerModel) boolAttributes() map[string]types.Bool {
	return map[string]types.Bool{
		"use_oidc": m.UseOIDC, "use_aks_workload_identity": m.UseAKSWorkloadIdentity,
		"use_msi": m.UseMSI, "use_cli": m.UseCLI, "concurrent_writers": m.ConcurrentWriters,
	}
}

// isSet reports whether a configuration value is known and not null.
func isSet(v interface {
	IsNull() bool
	IsUnknown() bool
}) bool {
	return !v.IsNull() && !v.IsUnknown()
}
