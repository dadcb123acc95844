package auth

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Kind identifies an authentication method.
type Kind string

// The authentication methods, in the azuread provider's order of precedence.
const (
	// KindClientCertificate authenticates a service principal with a certificate and its private key.
	KindClientCertificate Kind = "client_certificate"
	// KindClientSecret authenticates a service principal with a client secret.
	KindClientSecret Kind = "client_secret"
	// KindOIDCToken presents a fixed OIDC ID token as client assertion (workload identity federation).
	KindOIDCToken Kind = "oidc_token"
	// KindOIDCTokenFile presents an OIDC ID token read from a file on every token request.
	KindOIDCTokenFile Kind = "oidc_token_file"
	// KindGitHubOIDC fetches an OIDC ID token from the GitHub Actions token service and presents it.
	KindGitHubOIDC Kind = "github_oidc"
	// KindAzureDevOpsOIDC fetches an OIDC ID token from Azure DevOps for a service connection (workload
	// identity federation) and presents it.
	KindAzureDevOpsOIDC Kind = "azure_devops_oidc"
	// KindAKSWorkloadIdentity presents the token the AKS workload identity webhook projects into the pod.
	KindAKSWorkloadIdentity Kind = "aks_workload_identity"
	// KindManagedIdentity asks the host's managed identity endpoint (IMDS or msi_endpoint) for a token.
	KindManagedIdentity Kind = "managed_identity"
	// KindAzureCLI asks the Azure CLI (`az account get-access-token`) for a token.
	KindAzureCLI Kind = "azure_cli"
)

// Description is a short human description of the method for log lines, e.g. "client secret".
func (k Kind) Description() string {
	switch k {
	case KindClientCertificate:
		return "client certificate"
	case KindClientSecret:
		return "client secret"
	case KindOIDCToken:
		return "OIDC token"
	case KindOIDCTokenFile:
		return "OIDC token file"
	case KindGitHubOIDC:
		return "GitHub Actions OIDC"
	case KindAzureDevOpsOIDC:
		return "Azure DevOps workload identity federation"
	case KindAKSWorkloadIdentity:
		return "AKS workload identity"
	case KindManagedIdentity:
		return "managed identity"
	case KindAzureCLI:
		return "Azure CLI"
	default:
		return "unknown method " + string(k)
	}
}

// SignsInAsUser reports whether the method obtains delegated tokens for a signed-in person (the Azure
// CLI's account) rather than app-only tokens for a service principal or managed identity. Microsoft Graph
// authorizes the two differently: a user by ownership or directory role, a service principal by its Graph
// application permissions.
func (k Kind) SignsInAsUser() bool { return k == KindAzureCLI }

// Method is the authentication method Resolve chose, with the reason and the non-secret facts a log line
// may show. The secrets it carries for NewCredential are unexported and never printed.
type Method struct {
	// Kind is the chosen method.
	Kind Kind
	// TenantID is the tenant the credential authenticates in. Resolve leaves it empty when no setting names
	// a tenant; NewCredential fills in Options.TenantID.
	TenantID string
	// ClientID is the application (client) ID; empty for a system-assigned managed identity and the CLI.
	ClientID string
	// AuthorityHost is the Entra ID authority host. Resolve sets it only when the settings name one;
	// NewCredential fills in Options.AuthorityHost or the public cloud's.
	AuthorityHost string
	// MSIEndpoint is the custom managed identity endpoint (query removed), or empty for the default.
	MSIEndpoint string
	// Reason says which settings selected the method, e.g. "`client_secret` (ARM_CLIENT_SECRET) is set".
	Reason string
	// Notes lists settings that are set but ignored because of precedence, for warnings.
	Notes []string
	// Fallback is true when the Azure CLI was chosen only because nothing is configured (use_cli defaults
	// to true); a CLI that is missing or not signed in then means "no credentials at all".
	Fallback bool

	secrets *methodSecrets
}

// methodSecrets holds what NewCredential needs and nobody may print.
type methodSecrets struct {
	clientSecret string
	certs        []*x509.Certificate
	key          crypto.PrivateKey
	oidcToken    string
	tokenFile    string
	requestURL   string
	requestToken string
	connectionID string
	msiEndpoint  string
}

// String and GoString keep methodSecrets out of %v, %+v and %#v output.
func (*methodSecrets) String() string   { return "<redacted>" }
func (*methodSecrets) GoString() string { return "<redacted>" }

// Description is the method's human description with the tenant and client, for log lines. It never
// includes a secret.
func (m Method) Description() string {
	var b strings.Builder
	b.WriteString(m.Kind.Description())
	var details []string
	for _, d := range [][2]string{{"client", m.ClientID}, {"tenant", m.TenantID}, {"endpoint", m.MSIEndpoint}} {
		if d[1] != "" {
			details = append(details, d[0]+" "+d[1])
		}
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	return b.String()
}

// String is Description followed by the reason. It never includes a secret.
func (m Method) String() string {
	if m.Reason == "" {
		return m.Description()
	}
	return m.Description() + ": " + m.Reason
}

// GoString is String, so that %#v cannot print a secret either.
func (m Method) GoString() string { return m.String() }

// ConfigError is an authentication setting that is invalid, incomplete or in conflict with another.
// Its message names the Terraform attribute and the environment variable and never contains a secret.
type ConfigError struct {
	// Attribute is the provider attribute at fault, e.g. "client_secret"; empty when the fault lies in a
	// variable without an attribute (AZURE_FEDERATED_TOKEN_FILE and friends).
	Attribute string
	// EnvVar is the environment variable (or variables, joined by " or ") of the setting.
	EnvVar string
	// Message is the complete, human-readable description of the problem.
	Message string
	// Err is the underlying error, if any (for example from reading a file).
	Err error
}

// Error returns the message and the underlying error.
func (e *ConfigError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

func configErr(set setting, err error, format string, args ...any) *ConfigError {
	return &ConfigError{
		Attribute: set.attr,
		EnvVar:    strings.Join(set.envs, " or "),
		Message:   fmt.Sprintf(format, args...),
		Err:       err,
	}
}

// Resolve chooses the authentication method from merged settings, following the azuread provider's
// precedence: client certificate, client secret, OIDC (token, token file, AKS workload identity, GitHub
// request), managed identity, Azure CLI. It reads the *_file_path files and the certificate, so the errors
// of a wrong path or password surface here. It makes no network call.
func Resolve(s Settings) (Method, error) {
	if err := s.Err(); err != nil {
		return Method{}, err
	}
	useOIDC := boolValue(s.UseOIDC, false)
	useAKS := boolValue(s.UseAKSWorkloadIdentity, false)
	useMSI := boolValue(s.UseMSI, false)
	useCLI := boolValue(s.UseCLI, true)

	m := Method{}
	var err error
	if m.TenantID, err = resolveTenantID(s, useAKS); err != nil {
		return Method{}, err
	}
	if m.AuthorityHost, err = resolveAuthorityHost(s); err != nil {
		return Method{}, err
	}
	if m.ClientID, err = resolveClientID(s, useAKS); err != nil {
		return Method{}, err
	}
	secret, err := resolveClientSecret(s)
	if err != nil {
		return Method{}, err
	}

	inlineCert := strings.TrimSpace(value(s.ClientCertificate))
	certPath := strings.TrimSpace(value(s.ClientCertificatePath))
	if value(s.ClientCertificatePassword) != "" && inlineCert == "" && certPath == "" {
		return Method{}, configErr(setClientCertificatePassword, nil,
			"%s is set, but neither %s nor %s names a certificate for it to decrypt",
			setClientCertificatePassword, setClientCertificate, setClientCertificatePath)
	}
	if inlineCert != "" && certPath != "" {
		return Method{}, configErr(setClientCertificate, nil,
			"%s and %s are both set; set only one of them", setClientCertificate, setClientCertificatePath)
	}

	// 1. Client certificate.
	if inlineCert != "" || certPath != "" {
		source := setClientCertificate
		if certPath != "" {
			source = setClientCertificatePath
		}
		if m.ClientID == "" {
			return Method{}, missingClientID(source, "a client certificate")
		}
		certs, key, err := loadCertificate(providerCertificateSettings, inlineCert, certPath, value(s.ClientCertificatePassword))
		if err != nil {
			return Method{}, err
		}
		m.Kind = KindClientCertificate
		m.Reason = source.String() + " is set"
		m.secrets = &methodSecrets{certs: certs, key: key}
		if secret != "" {
			m.Notes = append(m.Notes, ignored(secretSetting(s), "a client certificate takes precedence"))
		}
		m.Notes = append(m.Notes, ignoredSwitches(s, "a client certificate takes precedence", setUseOIDC, setUseAKSWorkloadIdentity, setUseMSI)...)
		return m, nil
	}

	// 2. Client secret.
	if secret != "" {
		source := secretSetting(s)
		if m.ClientID == "" {
			return Method{}, missingClientID(source, "a client secret")
		}
		m.Kind = KindClientSecret
		m.Reason = source.String() + " is set"
		m.secrets = &methodSecrets{clientSecret: secret}
		m.Notes = append(m.Notes, ignoredSwitches(s, "a client secret takes precedence", setUseOIDC, setUseAKSWorkloadIdentity, setUseMSI)...)
		return m, nil
	}

	// 3. OIDC: enabled by use_oidc or use_aks_workload_identity, as in azuread.
	if useOIDC || useAKS {
		if err := resolveOIDC(s, useOIDC, useAKS, &m); err != nil {
			return Method{}, err
		}
		m.Notes = append(m.Notes, ignoredSwitches(s, "OIDC takes precedence", setUseMSI)...)
		return m, nil
	}
	oidcIgnored := "`use_oidc` is not true"
	for _, set := range []struct {
		setting
		v *string
	}{{setOIDCToken, s.OIDCToken}, {setOIDCTokenFilePath, s.OIDCTokenFilePath}} {
		if value(set.v) != "" {
			m.Notes = append(m.Notes, ignored(set.setting, oidcIgnored))
		}
	}

	// 4. Managed identity.
	if useMSI {
		m.Kind = KindManagedIdentity
		m.Reason = setUseMSI.String() + " is true"
		m.secrets = &methodSecrets{}
		if endpoint := strings.TrimSpace(value(s.MSIEndpoint)); endpoint != "" {
			u, err := url.Parse(endpoint)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return Method{}, configErr(setMSIEndpoint, nil,
					"%s must be an absolute http or https URL such as http://169.254.169.254/metadata/identity/oauth2/token", setMSIEndpoint)
			}
			m.MSIEndpoint = redactURL(endpoint)
			m.secrets.msiEndpoint = endpoint
		}
		return m, nil
	}
	if value(s.MSIEndpoint) != "" {
		m.Notes = append(m.Notes, ignored(setMSIEndpoint, "`use_msi` is not true"))
	}

	// 5. Azure CLI.
	if useCLI {
		m.Kind = KindAzureCLI
		if s.UseCLI == nil {
			m.Fallback = true
			m.Reason = "no other method is configured and " + setUseCLI.String() + " defaults to true"
		} else {
			m.Reason = "no other method is configured and " + setUseCLI.String() + " is true"
		}
		m.ClientID = "" // the CLI authenticates as whoever ran `az login`
		m.secrets = &methodSecrets{}
		return m, nil
	}

	return Method{}, configErr(setUseCLI, nil,
		"no authentication method is usable: %s is false and none of these is configured: %s or %s with %s; %s or %s with %s; "+
			"%s or %s; %s",
		setUseCLI, setClientCertificate, setClientCertificatePath, setClientID,
		setClientSecret, setClientSecretFilePath, setClientID,
		setUseOIDC, setUseAKSWorkloadIdentity, setUseMSI)
}

func resolveOIDC(s Settings, useOIDC, useAKS bool, m *Method) error {
	enabler := setUseOIDC
	if !useOIDC {
		enabler = setUseAKSWorkloadIdentity
	}
	static := strings.TrimSpace(value(s.OIDCToken))
	filePath := strings.TrimSpace(value(s.OIDCTokenFilePath))
	var fromFile string
	if filePath != "" {
		var err error
		if fromFile, err = readSettingFile(setOIDCTokenFilePath, filePath); err != nil {
			return err
		}
		if static != "" && static != fromFile {
			return configErr(setOIDCToken, nil,
				"%s and the contents of %s differ; remove one of them or make them match", setOIDCToken, setOIDCTokenFilePath)
		}
	}
	var aksFile string
	if useAKS {
		aksFile = strings.TrimSpace(value(s.AKSFederatedTokenFile))
		if aksFile == "" {
			return configErr(setUseAKSWorkloadIdentity, nil,
				"%s is true but %s is not set; it is set by the AKS workload identity webhook in a pod whose service account "+
					"carries the azure.workload.identity/use label", setUseAKSWorkloadIdentity, EnvAKSFederatedTokenFile)
		}
		fromAKS, err := readSettingFile(setAKSFederatedTokenFile, aksFile)
		if err != nil {
			return err
		}
		for _, other := range []struct {
			set setting
			v   string
		}{{setOIDCToken, static}, {setOIDCTokenFilePath, fromFile}} {
			if other.v != "" && other.v != fromAKS {
				return configErr(other.set, nil,
					"%s and the token in %s provided by AKS workload identity differ; remove %s, make them match, or disable %s",
					other.set, EnvAKSFederatedTokenFile, other.set.attr, setUseAKSWorkloadIdentity)
			}
		}
	}
	requestURL := strings.TrimSpace(value(s.OIDCRequestURL))
	requestToken := strings.TrimSpace(value(s.OIDCRequestToken))

	m.secrets = &methodSecrets{}
	switch {
	case useAKS:
		m.Kind = KindAKSWorkloadIdentity
		m.Reason = setUseAKSWorkloadIdentity.String() + " is true and " + EnvAKSFederatedTokenFile + " is set"
		m.secrets.tokenFile = aksFile
	case filePath != "":
		m.Kind = KindOIDCTokenFile
		m.Reason = enabler.String() + " is true and " + setOIDCTokenFilePath.String() + " is set"
		m.secrets.tokenFile = filePath
	case static != "":
		m.Kind = KindOIDCToken
		m.Reason = enabler.String() + " is true and " + setOIDCToken.String() + " is set"
		m.secrets.oidcToken = static
	case strings.TrimSpace(value(s.ADOServiceConnectionID)) != "":
		return resolveADO(s, enabler, requestURL, requestToken, m)
	case requestURL != "" && requestToken != "":
		u, err := url.Parse(requestURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return configErr(setOIDCRequestURL, nil, "%s must be an absolute https URL", setOIDCRequestURL)
		}
		m.Kind = KindGitHubOIDC
		m.Reason = enabler.String() + " is true and " + setOIDCRequestURL.String() + " and " + setOIDCRequestToken.String() + " are set"
		m.secrets.requestURL = requestURL
		m.secrets.requestToken = requestToken
	case requestURL != "":
		return configErr(setOIDCRequestToken, nil,
			"%s is true and %s is set, but %s is not; GitHub Actions sets both when the job has `permissions: id-token: write`",
			enabler, setOIDCRequestURL, setOIDCRequestToken)
	case requestToken != "":
		return configErr(setOIDCRequestURL, nil,
			"%s is true and %s is set, but %s is not", enabler, setOIDCRequestToken, setOIDCRequestURL)
	default:
		return configErr(setUseOIDC, nil,
			"%s is true but no OIDC token source is configured; set %s, %s, or both %s and %s",
			enabler, setOIDCToken, setOIDCTokenFilePath, setOIDCRequestURL, setOIDCRequestToken)
	}
	if m.ClientID == "" {
		if useAKS {
			return configErr(setClientID, nil,
				"%s needs a client ID: set %s or %s, or let the AKS workload identity webhook set %s",
				m.Kind.Description(), setClientID, setClientIDFilePath, EnvAKSClientID)
		}
		return missingClientID(setUseOIDC, m.Kind.Description())
	}
	return nil
}

// resolveADO chooses Azure DevOps workload identity federation, as the azuread provider does when a
// service connection ID is given: the OIDC request URL and token from oidc_request_url and
// oidc_request_token (ARM_OIDC_REQUEST_URL, ARM_OIDC_REQUEST_TOKEN), else from Azure Pipelines'
// SYSTEM_OIDCREQUESTURI and SYSTEM_ACCESSTOKEN.
func resolveADO(s Settings, enabler setting, requestURL, requestToken string, m *Method) error {
	urlSet, tokenSet := setOIDCRequestURL, setOIDCRequestToken
	if requestURL == "" {
		if v := strings.TrimSpace(value(s.ADORequestURL)); v != "" {
			requestURL, urlSet = v, setADORequestURL
		}
	}
	if requestToken == "" {
		if v := strings.TrimSpace(value(s.ADORequestToken)); v != "" {
			requestToken, tokenSet = v, setADORequestToken
		}
	}
	switch {
	case requestURL == "":
		return configErr(setOIDCRequestURL, nil,
			"%s is true and %s is set, but no OIDC request URL is: Azure Pipelines sets %s in every job; outside a pipeline set %s",
			enabler, setADOServiceConnectionID, EnvADORequestURL, setOIDCRequestURL)
	case requestToken == "":
		return configErr(setOIDCRequestToken, nil,
			"%s is true and %s is set, but the job's access token is not: map it into the step's environment "+
				"(env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)), or set %s",
			enabler, setADOServiceConnectionID, setOIDCRequestToken)
	}
	u, err := url.Parse(requestURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return configErr(urlSet, nil, "%s must be an absolute https URL", urlSet)
	}
	m.Kind = KindAzureDevOpsOIDC
	m.Reason = fmt.Sprintf("%s is true and %s, %s and %s are set", enabler, setADOServiceConnectionID, urlSet, tokenSet)
	m.secrets.requestURL = requestURL
	m.secrets.requestToken = requestToken
	m.secrets.connectionID = strings.TrimSpace(value(s.ADOServiceConnectionID))
	if m.ClientID == "" {
		return missingClientID(setUseOIDC, m.Kind.Description())
	}
	return nil
}

var tenantIDPattern = regexp.MustCompile(`^[A-Za-z0-9.-]+$`)

func resolveTenantID(s Settings, useAKS bool) (string, error) {
	tenant := strings.TrimSpace(value(s.TenantID))
	if useAKS {
		if aks := strings.TrimSpace(value(s.AKSTenantID)); aks != "" {
			if tenant != "" && !strings.EqualFold(tenant, aks) {
				return "", configErr(setTenantID, nil,
					"%s and %s provided by AKS workload identity differ; remove %s, make them match, or disable %s",
					setTenantID, EnvAKSTenantID, setTenantID.attr, setUseAKSWorkloadIdentity)
			}
			tenant = aks
		}
	}
	if tenant != "" && !tenantIDPattern.MatchString(tenant) {
		return "", configErr(setTenantID, nil,
			"%s must be a tenant ID (a GUID) or a verified domain name such as contoso.onmicrosoft.com; got %q", setTenantID, tenant)
	}
	return tenant, nil
}

func resolveAuthorityHost(s Settings) (string, error) {
	host := strings.TrimSpace(value(s.AuthorityHost))
	if host == "" {
		return "", nil
	}
	if err := validateAuthorityHost(host); err != nil {
		return "", configErr(setAuthorityHost, nil, "%s %s", setAuthorityHost, err.Error())
	}
	return host, nil
}

// validateAuthorityHost returns an error (phrased to follow the setting's name) unless host is an absolute
// https URL without query or fragment; azidentity refuses any other authority.
func validateAuthorityHost(host string) error {
	u, err := url.Parse(host)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("must be an absolute https URL without query, such as https://login.microsoftonline.com; got %q", redactURL(host))
	}
	return nil
}

func resolveClientID(s Settings, useAKS bool) (string, error) {
	id := strings.TrimSpace(value(s.ClientID))
	if path := strings.TrimSpace(value(s.ClientIDFilePath)); path != "" {
		fromFile, err := readSettingFile(setClientIDFilePath, path)
		if err != nil {
			return "", err
		}
		if id != "" && !strings.EqualFold(id, fromFile) {
			return "", configErr(setClientID, nil,
				"%s (%s) and the contents of %s (%s) differ; remove one of them or make them match", setClientID, id, setClientIDFilePath, fromFile)
		}
		id = fromFile
	}
	if useAKS {
		if aks := strings.TrimSpace(value(s.AKSClientID)); aks != "" {
			if id != "" && !strings.EqualFold(id, aks) {
				return "", configErr(setClientID, nil,
					"%s (%s) and %s (%s) provided by AKS workload identity differ; remove %s, make them match, or disable %s",
					setClientID, id, EnvAKSClientID, aks, setClientID.attr, setUseAKSWorkloadIdentity)
			}
			id = aks
		}
	}
	return id, nil
}

func resolveClientSecret(s Settings) (string, error) {
	secret := strings.TrimSpace(value(s.ClientSecret))
	if path := strings.TrimSpace(value(s.ClientSecretFilePath)); path != "" {
		fromFile, err := readSettingFile(setClientSecretFilePath, path)
		if err != nil {
			return "", err
		}
		if secret != "" && secret != fromFile {
			return "", configErr(setClientSecret, nil,
				"%s and the contents of %s differ; remove one of them or make them match", setClientSecret, setClientSecretFilePath)
		}
		secret = fromFile
	}
	return secret, nil
}

// secretSetting names the setting the client secret came from, for reasons and notes.
func secretSetting(s Settings) setting {
	if value(s.ClientSecretFilePath) != "" {
		return setClientSecretFilePath
	}
	return setClientSecret
}

// readSettingFile reads a file named by a setting and returns its trimmed contents; a missing, unreadable
// or empty file is an error naming the setting. The contents never appear in an error.
func readSettingFile(set setting, path string) (string, error) {
	raw, err := os.ReadFile(path) // #nosec G304 -- the path is the user's own setting
	if err != nil {
		return "", configErr(set, err, "reading the file named by %s", set)
	}
	contents := strings.TrimSpace(string(raw))
	if contents == "" {
		return "", configErr(set, nil, "the file %q named by %s is empty", path, set)
	}
	return contents, nil
}

func missingClientID(source setting, what string) *ConfigError {
	return configErr(setClientID, nil, "%s is set, but %s needs a client ID and none is configured; set %s or %s",
		source, what, setClientID, setClientIDFilePath)
}

func ignored(set setting, why string) string {
	return fmt.Sprintf("%s is set but ignored: %s", set, why)
}

func ignoredSwitches(s Settings, why string, sets ...setting) []string {
	var notes []string
	for _, set := range sets {
		var v *bool
		switch set.attr {
		case setUseOIDC.attr:
			v = s.UseOIDC
		case setUseAKSWorkloadIdentity.attr:
			v = s.UseAKSWorkloadIdentity
		case setUseMSI.attr:
			v = s.UseMSI
		}
		if boolValue(v, false) {
			notes = append(notes, fmt.Sprintf("%s is true but ignored: %s", set, why))
		}
	}
	return notes
}

func value(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}

func boolValue(v *bool, def bool) bool {
	if v == nil {
		return def
	}
	return *v
}
