package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// Options configure how credentials reach Entra ID. The zero value talks to the public cloud with
// Go's default HTTP client and authenticates in the Bayer tenant.
type Options struct {
	// AuthorityHost is the Entra ID authority host, e.g. the emulator's "https://127.0.0.1:PORT". A
	// Settings.AuthorityHost (authority_host, LKPS_AUTHORITY_HOST) wins over it. Empty means
	// environments.PublicAuthorityHost. For any other host, instance discovery is disabled, as it would
	// call the public cloud.
	AuthorityHost string
	// Transport sends every HTTP request of the credentials, including the GitHub Actions and custom
	// managed identity requests. An *http.Client fits; tests use one trusting their own CA. Nil means
	// the azcore default.
	Transport policy.Transporter
	// UserAgent is put at the front of the User-Agent header of every request the credentials send
	// (azcore's own telemetry string follows it). Empty leaves azcore's header alone.
	UserAgent string
	// TenantID is the tenant used when the settings name none. Empty means environments.BayerTenantID.
	TenantID string
}

// NewCredential resolves the settings (see Resolve) and builds the azidentity credential for the chosen
// method. The returned Method has TenantID and AuthorityHost filled in and is safe to log. No token is
// requested here; the first GetToken call contacts Entra ID (or the CLI, or the managed identity endpoint).
func NewCredential(ctx context.Context, s Settings, opts Options) (azcore.TokenCredential, Method, error) {
	if err := ctx.Err(); err != nil {
		return nil, Method{}, fmt.Errorf("building credential: %w", err)
	}
	m, err := Resolve(s)
	if err != nil {
		return nil, Method{}, err
	}
	return m.build(opts, "")
}

// build fills in what the settings left to opts (applyOptions) and builds the azidentity credential
// for m; whose ("" or "agent's ") names the credential in an error.
func (m Method) build(opts Options, whose string) (azcore.TokenCredential, Method, error) {
	if err := m.applyOptions(opts); err != nil {
		return nil, Method{}, err
	}
	cred, err := newCredential(m, opts)
	if err != nil {
		return nil, Method{}, fmt.Errorf("building the %s%s credential: %w", whose, m.Kind.Description(), err)
	}
	return cred, m, nil
}

// applyOptions fills in the tenant and authority host the settings left to Options.
func (m *Method) applyOptions(opts Options) error {
	if m.TenantID == "" {
		m.TenantID = opts.TenantID
		if m.TenantID == "" {
			m.TenantID = environments.BayerTenantID
		}
	}
	if m.AuthorityHost == "" {
		m.AuthorityHost = opts.AuthorityHost
		if m.AuthorityHost == "" {
			m.AuthorityHost = environments.PublicAuthorityHost
		}
		if err := validateAuthorityHost(m.AuthorityHost); err != nil {
			return fmt.Errorf("the authority host in the provider's options %w", err)
		}
	}
	return nil
}

// isPublicAuthority reports whether host is the public cloud's authority, where instance discovery works.
func isPublicAuthority(host string) bool {
	return strings.EqualFold(strings.TrimRight(host, "/"), strings.TrimRight(environments.PublicAuthorityHost, "/"))
}

// clientOptions are the azcore options every credential shares: authority, transport and User-Agent.
func clientOptions(authority string, opts Options) azcore.ClientOptions {
	co := azcore.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: authority,
			Services:                     map[cloud.ServiceName]cloud.ServiceConfiguration{},
		},
		Transport: opts.Transport,
	}
	if opts.UserAgent != "" {
		co.PerCallPolicies = []policy.Policy{userAgentPolicy(opts.UserAgent)}
	}
	return co
}

// userAgentPolicy puts the provider's User-Agent in front of whatever earlier policies set (azcore's
// telemetry policy runs before per-call policies).
type userAgentPolicy string

// Do sets the User-Agent header and sends the request on.
func (p userAgentPolicy) Do(req *policy.Request) (*http.Response, error) {
	ua := string(p)
	if existing := req.Raw().Header.Get("User-Agent"); existing != "" {
		ua += " " + existing
	}
	req.Raw().Header.Set("User-Agent", ua)
	return req.Next()
}

// plainPipeline is an azcore pipeline for the requests this package sends itself (GitHub Actions ID token,
// custom managed identity endpoint), with the caller's transport and User-Agent and azcore's retries.
func plainPipeline(co azcore.ClientOptions) runtime.Pipeline {
	co.Telemetry.Disabled = true
	return runtime.NewPipeline("lkps-auth", "v1", runtime.PipelineOptions{}, &co)
}

func newCredential(m Method, opts Options) (azcore.TokenCredential, error) {
	co := clientOptions(m.AuthorityHost, opts)
	noDiscovery := !isPublicAuthority(m.AuthorityHost)
	sec := m.secrets
	if sec == nil {
		return nil, errors.New("the method was not produced by Resolve")
	}
	switch m.Kind {
	case KindClientCertificate:
		return azidentity.NewClientCertificateCredential(m.TenantID, m.ClientID, sec.certs, sec.key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: noDiscovery})
	case KindClientSecret:
		return azidentity.NewClientSecretCredential(m.TenantID, m.ClientID, sec.clientSecret,
			&azidentity.ClientSecretCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: noDiscovery})
	case KindOIDCToken:
		token := sec.oidcToken
		return newAssertionCredential(m, co, noDiscovery, func(context.Context) (string, error) { return token, nil })
	case KindOIDCTokenFile:
		return newAssertionCredential(m, co, noDiscovery, tokenFileAssertion(setOIDCTokenFilePath, sec.tokenFile))
	case KindGitHubOIDC:
		return newAssertionCredential(m, co, noDiscovery, gitHubAssertion(plainPipeline(co), sec.requestURL, sec.requestToken))
	case KindAzureDevOpsOIDC:
		return newAssertionCredential(m, co, noDiscovery, azureDevOpsAssertion(plainPipeline(co), sec.requestURL, sec.requestToken, sec.connectionID))
	case KindAKSWorkloadIdentity:
		return azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions:            co,
			ClientID:                 m.ClientID,
			TenantID:                 m.TenantID,
			TokenFilePath:            sec.tokenFile,
			DisableInstanceDiscovery: noDiscovery,
		})
	case KindManagedIdentity:
		if sec.msiEndpoint != "" {
			// azidentity's ManagedIdentityCredential chooses its endpoint from the hosting environment's
			// variables and cannot be pointed at an arbitrary URL, so msi_endpoint is served by our own
			// IMDS-style client, as go-azure-sdk does.
			return newMSIEndpointCredential(plainPipeline(co), sec.msiEndpoint, m.ClientID), nil
		}
		miOpts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if m.ClientID != "" {
			miOpts.ID = azidentity.ClientID(m.ClientID)
		}
		return azidentity.NewManagedIdentityCredential(miOpts)
	case KindAzureCLI:
		cli, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: m.TenantID})
		if err != nil || !m.Fallback {
			return cli, err
		}
		return cliFallbackCredential{inner: cli}, nil
	default:
		return nil, fmt.Errorf("unknown method %q", m.Kind)
	}
}

func newAssertionCredential(m Method, co azcore.ClientOptions, noDiscovery bool, assertion func(context.Context) (string, error)) (azcore.TokenCredential, error) {
	return azidentity.NewClientAssertionCredential(m.TenantID, m.ClientID, assertion,
		&azidentity.ClientAssertionCredentialOptions{ClientOptions: co, DisableInstanceDiscovery: noDiscovery})
}

// tokenFileAssertion re-reads the token file on every call, so a rotated token (Kubernetes projected
// service account tokens, Terraform Cloud workload identity) is picked up.
func tokenFileAssertion(set setting, path string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		token, err := readSettingFile(set, path)
		if err != nil {
			return "", err
		}
		return token, nil
	}
}

// gitHubAudience is the audience Entra ID expects in federated tokens, added to GitHub's request URL.
const gitHubAudience = "api://AzureADTokenExchange"

// gitHubAssertion fetches an ID token from the GitHub Actions token service: a GET of the request URL
// with audience=api://AzureADTokenExchange (unless the URL names an audience), authorized by the request
// token, answering {"value": "<ID token>"}.
func gitHubAssertion(pl runtime.Pipeline, requestURL, requestToken string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		u, err := url.Parse(requestURL)
		if err != nil {
			return "", configErr(setOIDCRequestURL, nil, "%s is not a valid URL", setOIDCRequestURL)
		}
		q := u.Query()
		if q.Get("audience") == "" {
			q.Set("audience", gitHubAudience)
			u.RawQuery = q.Encode()
		}
		where := redactURL(requestURL)
		return idTokenRequest{
			token: "GitHub Actions ID token", method: http.MethodGet, url: u, where: where, bearer: requestToken, field: "value",
			refused: func(status int) error {
				return fmt.Errorf("GitHub Actions at %s answered the ID token request with HTTP %d; check that the job has "+
					"`permissions: id-token: write` and that %s is current", where, status, setOIDCRequestToken)
			},
		}.fetch(ctx, pl)
	}
}

// idTokenRequest is a job's request for an OIDC ID token to its CI service (GitHub Actions, Azure
// DevOps), authorized by the job's request token; the JSON answer holds the ID token in field.
type idTokenRequest struct {
	token   string // what is asked for, in messages
	method  string
	url     *url.URL
	where   string // the request URL as redactURL shows it, in messages
	bearer  string // the job's request token
	header  map[string]string
	field   string
	refused func(status int) error // the error for an answer other than 200 OK, saying what to check
}

// fetch sends the request through pl and returns the ID token of the answer.
func (r idTokenRequest) fetch(ctx context.Context, pl runtime.Pipeline) (string, error) {
	req, err := runtime.NewRequest(ctx, r.method, r.url.String())
	if err != nil {
		return "", fmt.Errorf("preparing the %s request to %s: %w", r.token, r.where, err)
	}
	req.Raw().Header.Set("Authorization", "Bearer "+r.bearer)
	req.Raw().Header.Set("Accept", "application/json")
	for k, v := range r.header {
		req.Raw().Header.Set(k, v)
	}
	resp, err := pl.Do(req)
	if err != nil {
		return "", fmt.Errorf("requesting the %s at %s: %w", r.token, r.where, err)
	}
	defer resp.Body.Close()
	body, err := runtime.Payload(resp)
	if err != nil {
		return "", fmt.Errorf("reading the %s response from %s: %w", r.token, r.where, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", r.refused(resp.StatusCode)
	}
	var answer map[string]any
	if err := json.Unmarshal(body, &answer); err != nil {
		return "", fmt.Errorf("decoding the %s response from %s: %w", r.token, r.where, err)
	}
	token, _ := answer[r.field].(string)
	if token == "" {
		return "", fmt.Errorf("the %s response from %s has no %q", r.token, r.where, r.field)
	}
	return token, nil
}

// AgentSettings are the credentials of a second identity, the agent's own application, given to a
// Terraform resource. Exactly one of ClientSecret and ClientCertificate must be set.
type AgentSettings struct {
	// TenantID is the agent's tenant; empty means Options.TenantID (or the Bayer tenant).
	TenantID string
	// ClientID is the agent application's client (app) ID. Required.
	ClientID string
	// ClientSecret is a client secret of the agent application.
	ClientSecret string
	// ClientCertificate is a certificate of the agent application with its private key: PEM text, or
	// base64 of a PKCS#12 archive or of PEM text.
	ClientCertificate string
	// ClientCertificatePassword decrypts ClientCertificate's private key, if it is encrypted.
	ClientCertificatePassword string
}

// String describes the agent settings without their secrets.
func (a AgentSettings) String() string {
	parts := []string{fmt.Sprintf("client_id=%q", a.ClientID)}
	if a.TenantID != "" {
		parts = append(parts, fmt.Sprintf("tenant_id=%q", a.TenantID))
	}
	for _, f := range []struct {
		name string
		v    string
	}{{"client_secret", a.ClientSecret}, {"client_certificate", a.ClientCertificate}, {"client_certificate_password", a.ClientCertificatePassword}} {
		if f.v != "" {
			parts = append(parts, f.name+"=<redacted>")
		}
	}
	return "auth.AgentSettings{" + strings.Join(parts, ", ") + "}"
}

// GoString is String, so that %#v cannot print a secret either.
func (a AgentSettings) GoString() string { return a.String() }

var (
	agentClientID                  = setting{attr: "client_id"}
	agentTenantID                  = setting{attr: "tenant_id"}
	agentClientSecret              = setting{attr: "client_secret"}
	agentClientCertificate         = setting{attr: "client_certificate"}
	agentClientCertificatePassword = setting{attr: "client_certificate_password"}
	agentCertificateSettings       = certificateSettings{agentClientCertificate, agentClientCertificate, agentClientCertificatePassword}
)

// NewAgentCredential builds a client secret or client certificate credential for the agent's own
// application, sharing the provider's Options (authority, transport, User-Agent, default tenant). Its
// ConfigErrors name the resource's attributes (client_id, client_secret, client_certificate,
// client_certificate_password, tenant_id), which have no environment variables.
func NewAgentCredential(ctx context.Context, a AgentSettings, opts Options) (azcore.TokenCredential, Method, error) {
	if err := ctx.Err(); err != nil {
		return nil, Method{}, fmt.Errorf("building agent credential: %w", err)
	}
	m := Method{ClientID: strings.TrimSpace(a.ClientID), TenantID: strings.TrimSpace(a.TenantID), secrets: &methodSecrets{}}
	secret := strings.TrimSpace(a.ClientSecret)
	cert := strings.TrimSpace(a.ClientCertificate)
	switch {
	case m.ClientID == "":
		return nil, Method{}, configErr(agentClientID, nil, "%s of the agent application is required", agentClientID)
	case m.TenantID != "" && !tenantIDPattern.MatchString(m.TenantID):
		return nil, Method{}, configErr(agentTenantID, nil, "%s must be a tenant ID (a GUID) or a verified domain name", agentTenantID)
	case a.ClientCertificatePassword != "" && cert == "":
		return nil, Method{}, configErr(agentClientCertificatePassword, nil,
			"%s is set, but %s is not", agentClientCertificatePassword, agentClientCertificate)
	case secret != "" && cert != "":
		return nil, Method{}, configErr(agentClientSecret, nil,
			"%s and %s are both set; set only one of them", agentClientSecret, agentClientCertificate)
	case secret != "":
		m.Kind = KindClientSecret
		m.Reason = "the agent's " + agentClientSecret.String() + " is set"
		m.secrets.clientSecret = secret
	case cert != "":
		certs, key, err := loadCertificate(agentCertificateSettings, cert, "", a.ClientCertificatePassword)
		if err != nil {
			return nil, Method{}, err
		}
		m.Kind = KindClientCertificate
		m.Reason = "the agent's " + agentClientCertificate.String() + " is set"
		m.secrets.certs, m.secrets.key = certs, key
	default:
		return nil, Method{}, configErr(agentClientSecret, nil,
			"the agent application needs a credential: set %s or %s", agentClientSecret, agentClientCertificate)
	}
	return m.build(opts, "agent's ")
}
