package auth

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Environment variables read by FromEnv. The ARM_* names are the azuread provider's.
const (
	EnvTenantID                  = "ARM_TENANT_ID"
	EnvClientID                  = "ARM_CLIENT_ID"
	EnvClientIDFilePath          = "ARM_CLIENT_ID_FILE_PATH"
	EnvClientSecret              = "ARM_CLIENT_SECRET"
	EnvClientSecretFilePath      = "ARM_CLIENT_SECRET_FILE_PATH"
	EnvClientCertificate         = "ARM_CLIENT_CERTIFICATE"
	EnvClientCertificatePath     = "ARM_CLIENT_CERTIFICATE_PATH"
	EnvClientCertificatePassword = "ARM_CLIENT_CERTIFICATE_PASSWORD"
	EnvUseOIDC                   = "ARM_USE_OIDC"
	EnvOIDCToken                 = "ARM_OIDC_TOKEN"
	EnvOIDCTokenFilePath         = "ARM_OIDC_TOKEN_FILE_PATH"
	EnvOIDCRequestURL            = "ARM_OIDC_REQUEST_URL"
	EnvOIDCRequestToken          = "ARM_OIDC_REQUEST_TOKEN"
	EnvUseAKSWorkloadIdentity    = "ARM_USE_AKS_WORKLOAD_IDENTITY"
	EnvUseMSI                    = "ARM_USE_MSI"
	EnvMSIEndpoint               = "ARM_MSI_ENDPOINT"
	EnvUseCLI                    = "ARM_USE_CLI"
	EnvAuthorityHost             = "LKPS_AUTHORITY_HOST"

	// EnvADOServiceConnectionID is the azuread provider's variable for ado_pipeline_service_connection_id.
	EnvADOServiceConnectionID = "ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID"
	// EnvOIDCAzureServiceConnectionID is the AzAPI provider's name of the same setting, which azuread also
	// reads "for compatibility" (azuread's guide "Authenticating using a Service Principal and OpenID Connect").
	EnvOIDCAzureServiceConnectionID = "ARM_OIDC_AZURE_SERVICE_CONNECTION_ID"
	// EnvADORequestURL is Azure Pipelines' OIDC request URL (System.OidcRequestUri), read when
	// ARM_OIDC_REQUEST_URL is unset and a service connection ID is given.
	EnvADORequestURL = "SYSTEM_OIDCREQUESTURI"
	// EnvADORequestToken is Azure Pipelines' job access token (System.AccessToken), read when
	// ARM_OIDC_REQUEST_TOKEN is unset and a service connection ID is given. A pipeline passes it to a
	// step only when the step maps it (env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)).
	EnvADORequestToken = "SYSTEM_ACCESSTOKEN"

	// EnvGitHubRequestURL is GitHub Actions' own variable, read when ARM_OIDC_REQUEST_URL is unset.
	EnvGitHubRequestURL = "ACTIONS_ID_TOKEN_REQUEST_URL"
	// EnvGitHubRequestToken is GitHub Actions' own variable, read when ARM_OIDC_REQUEST_TOKEN is unset.
	EnvGitHubRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"

	// EnvAKSFederatedTokenFile is set by the AKS workload identity webhook; used with use_aks_workload_identity.
	EnvAKSFederatedTokenFile = "AZURE_FEDERATED_TOKEN_FILE"
	// EnvAKSClientID is set by the AKS workload identity webhook; used with use_aks_workload_identity.
	EnvAKSClientID = "AZURE_CLIENT_ID"
	// EnvAKSTenantID is set by the AKS workload identity webhook; used with use_aks_workload_identity.
	EnvAKSTenantID = "AZURE_TENANT_ID"
)

// setting names one authentication setting: its Terraform attribute and its environment variables.
type setting struct {
	attr string
	envs []string
}

// String renders the setting as it appears in messages: "`client_secret` (ARM_CLIENT_SECRET)".
func (s setting) String() string {
	switch {
	case s.attr == "":
		return strings.Join(s.envs, " or ")
	case len(s.envs) == 0:
		return "`" + s.attr + "`"
	default:
		return fmt.Sprintf("`%s` (%s)", s.attr, strings.Join(s.envs, " or "))
	}
}

var (
	setTenantID                  = setting{"tenant_id", []string{EnvTenantID}}
	setClientID                  = setting{"client_id", []string{EnvClientID}}
	setClientIDFilePath          = setting{"client_id_file_path", []string{EnvClientIDFilePath}}
	setClientSecret              = setting{"client_secret", []string{EnvClientSecret}}
	setClientSecretFilePath      = setting{"client_secret_file_path", []string{EnvClientSecretFilePath}}
	setClientCertificate         = setting{"client_certificate", []string{EnvClientCertificate}}
	setClientCertificatePath     = setting{"client_certificate_path", []string{EnvClientCertificatePath}}
	setClientCertificatePassword = setting{"client_certificate_password", []string{EnvClientCertificatePassword}}
	setUseOIDC                   = setting{"use_oidc", []string{EnvUseOIDC}}
	setOIDCToken                 = setting{"oidc_token", []string{EnvOIDCToken}}
	setOIDCTokenFilePath         = setting{"oidc_token_file_path", []string{EnvOIDCTokenFilePath}}
	setOIDCRequestURL            = setting{"oidc_request_url", []string{EnvOIDCRequestURL, EnvGitHubRequestURL}}
	setOIDCRequestToken          = setting{"oidc_request_token", []string{EnvOIDCRequestToken, EnvGitHubRequestToken}}
	setUseAKSWorkloadIdentity    = setting{"use_aks_workload_identity", []string{EnvUseAKSWorkloadIdentity}}
	setUseMSI                    = setting{"use_msi", []string{EnvUseMSI}}
	setMSIEndpoint               = setting{"msi_endpoint", []string{EnvMSIEndpoint}}
	setUseCLI                    = setting{"use_cli", []string{EnvUseCLI}}
	setAuthorityHost             = setting{"authority_host", []string{EnvAuthorityHost}}
	setADOServiceConnectionID    = setting{"ado_pipeline_service_connection_id", []string{EnvADOServiceConnectionID, EnvOIDCAzureServiceConnectionID}}
	setADORequestURL             = setting{"", []string{EnvADORequestURL}}
	setADORequestToken           = setting{"", []string{EnvADORequestToken}}
	setAKSFederatedTokenFile     = setting{"", []string{EnvAKSFederatedTokenFile}}
	setAKSClientID               = setting{"", []string{EnvAKSClientID}}
	setAKSTenantID               = setting{"", []string{EnvAKSTenantID}}
)

// Settings are the provider's authentication settings, from configuration (mapped by the provider) or
// from the environment (FromEnv). A nil field is unset; a non-nil field is set, even to "" or false, so
// configuration can override an environment variable with an empty or false value.
//
// Settings never print their secrets: String and GoString redact client_secret, client_certificate,
// client_certificate_password, oidc_token and oidc_request_token.
type Settings struct {
	// TenantID is the Entra ID tenant (`tenant_id`, ARM_TENANT_ID). Unset means Options.TenantID.
	TenantID *string
	// ClientID is the application (client) ID (`client_id`, ARM_CLIENT_ID).
	ClientID *string
	// ClientIDFilePath names a file holding the client ID (`client_id_file_path`, ARM_CLIENT_ID_FILE_PATH).
	ClientIDFilePath *string
	// ClientSecret is the client secret (`client_secret`, ARM_CLIENT_SECRET).
	ClientSecret *string
	// ClientSecretFilePath names a file holding the client secret (`client_secret_file_path`,
	// ARM_CLIENT_SECRET_FILE_PATH).
	ClientSecretFilePath *string
	// ClientCertificate is an inline certificate with its private key (`client_certificate`,
	// ARM_CLIENT_CERTIFICATE): base64 of a PKCS#12 (PFX) archive or of PEM text, or PEM text itself.
	ClientCertificate *string
	// ClientCertificatePath names a PKCS#12 or PEM file (`client_certificate_path`, ARM_CLIENT_CERTIFICATE_PATH).
	ClientCertificatePath *string
	// ClientCertificatePassword decrypts the certificate's private key (`client_certificate_password`,
	// ARM_CLIENT_CERTIFICATE_PASSWORD).
	ClientCertificatePassword *string
	// UseOIDC enables OpenID Connect federated credentials (`use_oidc`, ARM_USE_OIDC). Unset means false.
	UseOIDC *bool
	// OIDCToken is an ID token to present as client assertion (`oidc_token`, ARM_OIDC_TOKEN).
	OIDCToken *string
	// OIDCTokenFilePath names a file holding the ID token, re-read on every token request
	// (`oidc_token_file_path`, ARM_OIDC_TOKEN_FILE_PATH).
	OIDCTokenFilePath *string
	// OIDCRequestURL is the GitHub Actions ID token request URL (`oidc_request_url`, ARM_OIDC_REQUEST_URL
	// or ACTIONS_ID_TOKEN_REQUEST_URL).
	OIDCRequestURL *string
	// OIDCRequestToken is the bearer token for OIDCRequestURL (`oidc_request_token`, ARM_OIDC_REQUEST_TOKEN
	// or ACTIONS_ID_TOKEN_REQUEST_TOKEN).
	OIDCRequestToken *string
	// UseAKSWorkloadIdentity enables AKS workload identity (`use_aks_workload_identity`,
	// ARM_USE_AKS_WORKLOAD_IDENTITY). Unset means false.
	UseAKSWorkloadIdentity *bool
	// UseMSI enables managed identity (`use_msi`, ARM_USE_MSI). Unset means false.
	UseMSI *bool
	// MSIEndpoint is a custom managed identity endpoint (`msi_endpoint`, ARM_MSI_ENDPOINT).
	MSIEndpoint *string
	// UseCLI enables the Azure CLI (`use_cli`, ARM_USE_CLI). Unset means true.
	UseCLI *bool
	// AuthorityHost overrides the Entra ID authority host (`authority_host`, LKPS_AUTHORITY_HOST), for
	// sovereign clouds, proxies and the local emulator. Unset means Options.AuthorityHost.
	AuthorityHost *string

	// ADOServiceConnectionID is the Azure DevOps service connection whose workload identity federation
	// issues the OIDC token (`ado_pipeline_service_connection_id`, ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID
	// or ARM_OIDC_AZURE_SERVICE_CONNECTION_ID). Set, it makes OIDCRequestURL/OIDCRequestToken Azure
	// DevOps' OIDC endpoint and job token instead of GitHub's, as in the azuread provider.
	ADOServiceConnectionID *string
	// ADORequestURL is SYSTEM_OIDCREQUESTURI, used with ADOServiceConnectionID when OIDCRequestURL is unset.
	ADORequestURL *string
	// ADORequestToken is SYSTEM_ACCESSTOKEN, used with ADOServiceConnectionID when OIDCRequestToken is unset.
	ADORequestToken *string

	// AKSFederatedTokenFile is AZURE_FEDERATED_TOKEN_FILE, set by the AKS workload identity webhook. It has
	// no Terraform attribute and is used only with UseAKSWorkloadIdentity.
	AKSFederatedTokenFile *string
	// AKSClientID is AZURE_CLIENT_ID, set by the AKS workload identity webhook. It has no Terraform
	// attribute and is used only with UseAKSWorkloadIdentity.
	AKSClientID *string
	// AKSTenantID is AZURE_TENANT_ID, set by the AKS workload identity webhook. It has no Terraform
	// attribute and is used only with UseAKSWorkloadIdentity.
	AKSTenantID *string

	// envErrors holds environment variables that could not be parsed, keyed by the setting's attribute.
	// Merge drops an entry when configuration sets that setting, as the variable is then not consulted.
	envErrors map[string]error
}

// FromEnv reads the azuread provider's environment variables (and LKPS_AUTHORITY_HOST) through getenv,
// normally os.Getenv. An empty variable counts as unset, as in the azuread provider. A boolean variable
// that strconv.ParseBool rejects leaves its setting unset and is reported by Err and Resolve, naming the
// variable.
func FromEnv(getenv func(string) string) Settings {
	var s Settings
	str := func(names ...string) *string {
		for _, name := range names {
			if v := getenv(name); v != "" {
				return &v
			}
		}
		return nil
	}
	boolean := func(set setting) *bool {
		name := set.envs[0]
		raw := strings.TrimSpace(getenv(name))
		if raw == "" {
			return nil
		}
		b, err := strconv.ParseBool(raw)
		if err != nil {
			if s.envErrors == nil {
				s.envErrors = map[string]error{}
			}
			s.envErrors[set.attr] = &ConfigError{
				Attribute: set.attr,
				EnvVar:    name,
				Message: fmt.Sprintf("environment variable %s (for `%s`) is not a boolean (%s); use true or false",
					name, set.attr, describeBad(raw)),
			}
			return nil
		}
		return &b
	}

	s.TenantID = str(EnvTenantID)
	s.ClientID = str(EnvClientID)
	s.ClientIDFilePath = str(EnvClientIDFilePath)
	s.ClientSecret = str(EnvClientSecret)
	s.ClientSecretFilePath = str(EnvClientSecretFilePath)
	s.ClientCertificate = str(EnvClientCertificate)
	s.ClientCertificatePath = str(EnvClientCertificatePath)
	s.ClientCertificatePassword = str(EnvClientCertificatePassword)
	s.UseOIDC = boolean(setUseOIDC)
	s.OIDCToken = str(EnvOIDCToken)
	s.OIDCTokenFilePath = str(EnvOIDCTokenFilePath)
	s.OIDCRequestURL = str(EnvOIDCRequestURL, EnvGitHubRequestURL)
	s.OIDCRequestToken = str(EnvOIDCRequestToken, EnvGitHubRequestToken)
	s.UseAKSWorkloadIdentity = boolean(setUseAKSWorkloadIdentity)
	s.UseMSI = boolean(setUseMSI)
	s.MSIEndpoint = str(EnvMSIEndpoint)
	s.UseCLI = boolean(setUseCLI)
	s.AuthorityHost = str(EnvAuthorityHost)
	s.ADOServiceConnectionID = str(EnvADOServiceConnectionID, EnvOIDCAzureServiceConnectionID)
	s.ADORequestURL = str(EnvADORequestURL)
	s.ADORequestToken = str(EnvADORequestToken)
	s.AKSFederatedTokenFile = str(EnvAKSFederatedTokenFile)
	s.AKSClientID = str(EnvAKSClientID)
	s.AKSTenantID = str(EnvAKSTenantID)
	return s
}

// Merge combines settings from configuration and from the environment: for every setting, the
// configuration's value wins when it is set (non-nil), otherwise the environment's is used.
func Merge(config, env Settings) Settings {
	m := Settings{
		TenantID:                  pick(config.TenantID, env.TenantID),
		ClientID:                  pick(config.ClientID, env.ClientID),
		ClientIDFilePath:          pick(config.ClientIDFilePath, env.ClientIDFilePath),
		ClientSecret:              pick(config.ClientSecret, env.ClientSecret),
		ClientSecretFilePath:      pick(config.ClientSecretFilePath, env.ClientSecretFilePath),
		ClientCertificate:         pick(config.ClientCertificate, env.ClientCertificate),
		ClientCertificatePath:     pick(config.ClientCertificatePath, env.ClientCertificatePath),
		ClientCertificatePassword: pick(config.ClientCertificatePassword, env.ClientCertificatePassword),
		UseOIDC:                   pick(config.UseOIDC, env.UseOIDC),
		OIDCToken:                 pick(config.OIDCToken, env.OIDCToken),
		OIDCTokenFilePath:         pick(config.OIDCTokenFilePath, env.OIDCTokenFilePath),
		OIDCRequestURL:            pick(config.OIDCRequestURL, env.OIDCRequestURL),
		OIDCRequestToken:          pick(config.OIDCRequestToken, env.OIDCRequestToken),
		UseAKSWorkloadIdentity:    pick(config.UseAKSWorkloadIdentity, env.UseAKSWorkloadIdentity),
		UseMSI:                    pick(config.UseMSI, env.UseMSI),
		MSIEndpoint:               pick(config.MSIEndpoint, env.MSIEndpoint),
		UseCLI:                    pick(config.UseCLI, env.UseCLI),
		AuthorityHost:             pick(config.AuthorityHost, env.AuthorityHost),
		ADOServiceConnectionID:    pick(config.ADOServiceConnectionID, env.ADOServiceConnectionID),
		ADORequestURL:             pick(config.ADORequestURL, env.ADORequestURL),
		ADORequestToken:           pick(config.ADORequestToken, env.ADORequestToken),
		AKSFederatedTokenFile:     pick(config.AKSFederatedTokenFile, env.AKSFederatedTokenFile),
		AKSClientID:               pick(config.AKSClientID, env.AKSClientID),
		AKSTenantID:               pick(config.AKSTenantID, env.AKSTenantID),
	}
	configured := map[string]bool{
		setUseOIDC.attr:                config.UseOIDC != nil,
		setUseAKSWorkloadIdentity.attr: config.UseAKSWorkloadIdentity != nil,
		setUseMSI.attr:                 config.UseMSI != nil,
		setUseCLI.attr:                 config.UseCLI != nil,
	}
	for _, set := range []setting{setUseOIDC, setUseAKSWorkloadIdentity, setUseMSI, setUseCLI} {
		if configured[set.attr] {
			continue // the variable is not consulted, so its value does not matter
		}
		err := config.envErrors[set.attr]
		if err == nil {
			err = env.envErrors[set.attr]
		}
		if err != nil {
			if m.envErrors == nil {
				m.envErrors = map[string]error{}
			}
			m.envErrors[set.attr] = err
		}
	}
	return m
}

// Err reports the first environment variable FromEnv could not parse (in a fixed order), or nil.
func (s Settings) Err() error {
	for _, set := range []setting{setUseOIDC, setUseAKSWorkloadIdentity, setUseMSI, setUseCLI} {
		if err := s.envErrors[set.attr]; err != nil {
			return err
		}
	}
	return nil
}

func pick[T any](config, env *T) *T {
	if config != nil {
		return config
	}
	return env
}

// String describes the settings that are set, with every secret redacted. It never prints a secret.
func (s Settings) String() string {
	var parts []string
	plain := func(set setting, v *string) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s=%q", set.attr, *v))
		}
	}
	secret := func(set setting, v *string) {
		if v != nil {
			parts = append(parts, set.attr+"=<redacted>")
		}
	}
	flag := func(set setting, v *bool) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s=%t", set.attr, *v))
		}
	}
	env := func(set setting, v *string) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s=%q", set.envs[0], *v))
		}
	}
	plain(setTenantID, s.TenantID)
	plain(setClientID, s.ClientID)
	plain(setClientIDFilePath, s.ClientIDFilePath)
	secret(setClientSecret, s.ClientSecret)
	plain(setClientSecretFilePath, s.ClientSecretFilePath)
	secret(setClientCertificate, s.ClientCertificate)
	plain(setClientCertificatePath, s.ClientCertificatePath)
	secret(setClientCertificatePassword, s.ClientCertificatePassword)
	flag(setUseOIDC, s.UseOIDC)
	secret(setOIDCToken, s.OIDCToken)
	plain(setOIDCTokenFilePath, s.OIDCTokenFilePath)
	if s.OIDCRequestURL != nil {
		parts = append(parts, fmt.Sprintf("%s=%q", setOIDCRequestURL.attr, redactURL(*s.OIDCRequestURL)))
	}
	secret(setOIDCRequestToken, s.OIDCRequestToken)
	plain(setADOServiceConnectionID, s.ADOServiceConnectionID)
	if s.ADORequestURL != nil {
		parts = append(parts, fmt.Sprintf("%s=%q", EnvADORequestURL, redactURL(*s.ADORequestURL)))
	}
	if s.ADORequestToken != nil {
		parts = append(parts, EnvADORequestToken+"=<redacted>")
	}
	flag(setUseAKSWorkloadIdentity, s.UseAKSWorkloadIdentity)
	flag(setUseMSI, s.UseMSI)
	if s.MSIEndpoint != nil {
		parts = append(parts, fmt.Sprintf("%s=%q", setMSIEndpoint.attr, redactURL(*s.MSIEndpoint)))
	}
	flag(setUseCLI, s.UseCLI)
	plain(setAuthorityHost, s.AuthorityHost)
	env(setAKSFederatedTokenFile, s.AKSFederatedTokenFile)
	env(setAKSClientID, s.AKSClientID)
	env(setAKSTenantID, s.AKSTenantID)
	return "auth.Settings{" + strings.Join(parts, ", ") + "}"
}

// GoString is String, so that %#v cannot print a secret either.
func (s Settings) GoString() string { return s.String() }

// redactURL drops the query, fragment and user information of a URL, which may carry credentials.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable URL>"
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	u.Fragment = ""
	return u.String()
}

// describeBad quotes a rejected boolean when it is short enough to be a typo ("yes", "on"); a longer value
// might be a secret pasted into the wrong variable, so only its length is given.
func describeBad(raw string) string {
	if len(raw) <= 8 {
		return fmt.Sprintf("got %q", raw)
	}
	return fmt.Sprintf("got a value of %d characters", len(raw))
}
