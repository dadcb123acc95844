package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/lkpsapi"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// Seed is the emulator's initial state, read from a JSON seed file (see testdata/seed.example.json).
type Seed struct {
	// TenantID is the Entra ID tenant; empty means Bayer's tenant (environments.BayerTenantID).
	TenantID string `json:"tenantId,omitempty"`
	// VerifiedDomains are the tenant's verified domains, allowed in https identifier URIs.
	VerifiedDomains []string `json:"verifiedDomains,omitempty"`
	// FederatedIssuers are the test OIDC issuers served under /oidc/{name}; nil means "github",
	// "kubernetes" and "azure-devops".
	FederatedIssuers []SeedIssuer `json:"federatedIssuers,omitempty"`
	// Applications are the tenant's applications.
	Applications []SeedApplication `json:"applications"`
	// Users are the tenant's users (id, displayName, userPrincipalName, mail): owners of applications
	// (their ids in an application's owners), readable at /users/{id} and /directoryObjects/{id}.
	Users []directory.User `json:"users,omitempty"`
	// OcelotAccessLists maps a route key ("nonprod/eu") to the appIds on its Client Access List.
	OcelotAccessLists map[string][]string `json:"ocelotAccessLists,omitempty"`
	// Registrations maps a route key to its initial LKPS registrations.
	Registrations map[string][]SeedRegistration `json:"registrations,omitempty"`
	// AppManagementPolicy is the tenant's default app management policy in Graph's shape (the body of GET
	// /policies/defaultAppManagementPolicy, all properties optional); absent is a tenant that never changed it.
	AppManagementPolicy json.RawMessage `json:"defaultAppManagementPolicy,omitempty"`
}

// SeedIssuer is a test OIDC issuer whose tokens federated credentials can trust.
type SeedIssuer struct {
	// Name is the path segment: the issuer URL is "<base>/oidc/<name>".
	Name string `json:"name"`
	// DefaultSubject is the subject of tokens requested without one.
	DefaultSubject string `json:"defaultSubject,omitempty"`
	// DefaultAudience is the audience of tokens requested without one; empty means api://AzureADTokenExchange.
	DefaultAudience string `json:"defaultAudience,omitempty"`
	// RequestToken is the bearer token GET /oidc/<name>/token requires (GitHub's
	// ACTIONS_ID_TOKEN_REQUEST_TOKEN); empty means a random one per start.
	RequestToken string `json:"requestToken,omitempty"`
	// Kind is "github" (the default: GitHub Actions' GET <issuer>/token) or "azureDevOps" (Azure
	// Pipelines' POST <issuer>/oidctoken?api-version=7.1&serviceConnectionId=<id>; RequestToken is then
	// the job's System.AccessToken).
	Kind string `json:"kind,omitempty"`
	// Organization is the Azure DevOps organization of an "azureDevOps" issuer.
	Organization string `json:"organization,omitempty"`
	// ServiceConnections are the service connections of an "azureDevOps" issuer; a token requested for
	// one has the subject sc://<organization>/<project>/<name>.
	ServiceConnections []SeedServiceConnection `json:"serviceConnections,omitempty"`
}

// SeedServiceConnection is an Azure DevOps service connection of an "azureDevOps" issuer.
type SeedServiceConnection struct {
	// ID is the service connection's ID (a GUID), the serviceConnectionId of a token request.
	ID string `json:"id"`
	// Project is the Azure DevOps project it belongs to.
	Project string `json:"project"`
	// Name is its name.
	Name string `json:"name"`
}

// SeedApplication is one application of the seed.
type SeedApplication struct {
	// AppID is the application (client) id; empty generates one.
	AppID string `json:"appId,omitempty"`
	// ObjectID is the application's object id; empty generates one.
	ObjectID string `json:"objectId,omitempty"`
	// ServicePrincipalID is the object id of its service principal (the oid of its tokens); empty generates one.
	ServicePrincipalID string `json:"servicePrincipalId,omitempty"`
	// DisplayName is the application's display name.
	DisplayName string `json:"displayName"`
	// Deployer marks the identity the command exports as ARM_CLIENT_ID/ARM_CLIENT_SECRET (at most one).
	Deployer bool `json:"deployer,omitempty"`
	// Secrets are client secrets in plaintext.
	Secrets []SeedSecret `json:"secrets,omitempty"`
	// Certificates are certificates (PEM, inline or in a file relative to the seed) for client assertions.
	Certificates []SeedCertificate `json:"certificates,omitempty"`
	// FederatedCredentials trust external OIDC tokens. An issuer starting with "/oidc/" is relative to
	// the emulator's base URL (one of its own test issuers).
	FederatedCredentials []directory.FederatedCredential `json:"federatedCredentials,omitempty"`
	// Owners are owners of the application: appIds of seed applications (resolved to their service
	// principals) or directory object ids.
	Owners []string `json:"owners,omitempty"`
	// GraphRoles are Microsoft Graph app roles granted to the service principal, e.g. Application.ReadWrite.All.
	GraphRoles []string `json:"graphRoles,omitempty"`
	// IdentifierURIs are the application's identifier URIs. "{appId}" is replaced by the appId.
	IdentifierURIs []string `json:"identifierUris,omitempty"`
	// API is the application's Graph api object (oauth2PermissionScopes, preAuthorizedApplications, ...).
	API json.RawMessage `json:"api,omitempty"`
}

// SeedSecret is a client secret.
type SeedSecret struct {
	// Value is the plaintext secret.
	Value string `json:"value"`
	// DisplayName describes the secret.
	DisplayName string `json:"displayName,omitempty"`
	// EndDateTime is when the secret expires (RFC 3339); empty means two years after start.
	EndDateTime string `json:"endDateTime,omitempty"`
}

// SeedCertificate is a certificate registered on an application.
type SeedCertificate struct {
	// PEM is the certificate in PEM form.
	PEM string `json:"pem,omitempty"`
	// File is a PEM file, relative to the seed file's directory.
	File string `json:"file,omitempty"`
	// DisplayName describes the certificate.
	DisplayName string `json:"displayName,omitempty"`
}

// SeedRegistration is an initial LKPS registration.
type SeedRegistration struct {
	// AgentAppID is the registered agent's appId.
	AgentAppID string `json:"agentAppId"`
	// EnforceClientAuthz is the service_config flag; absent means true.
	EnforceClientAuthz *bool `json:"enforceClientAuthz,omitempty"`
}

// LoadSeed reads and validates a seed file. Certificate files are resolved relative to its directory.
func LoadSeed(path string) (*Seed, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seed file: %w", err)
	}
	seed, err := ParseSeed(raw)
	if err != nil {
		return nil, fmt.Errorf("seed file %s: %w", path, err)
	}
	for i := range seed.Applications {
		for j := range seed.Applications[i].Certificates {
			c := &seed.Applications[i].Certificates[j]
			if c.File == "" {
				continue
			}
			file := c.File
			if !filepath.IsAbs(file) {
				file = filepath.Join(filepath.Dir(path), file)
			}
			pemBytes, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("seed file %s: application %q certificate: %w", path, seed.Applications[i].DisplayName, err)
			}
			c.PEM, c.File = string(pemBytes), ""
		}
	}
	if _, err := seed.snapshot(time.Now()); err != nil {
		return nil, fmt.Errorf("seed file %s: %w", path, err)
	}
	return seed, nil
}

// ParseSeed decodes a seed document, rejecting unknown fields, and fills generated ids so that the seed
// describes one fixed state (a reset returns to exactly it).
func ParseSeed(raw []byte) (*Seed, error) {
	var s Seed
	if err := decodeStrict(bytes.NewReader(raw), &s); err != nil {
		return nil, fmt.Errorf("decode seed: %w", err)
	}
	if err := s.normalize(); err != nil {
		return nil, err
	}
	return &s, nil
}

// normalize fills defaults and generated ids and checks what can be checked without building state.
func (s *Seed) normalize() error {
	if s.TenantID == "" {
		s.TenantID = environments.BayerTenantID
	}
	if !directory.IsGUID(s.TenantID) {
		return fmt.Errorf("tenantId %q is not a GUID", s.TenantID)
	}
	var errs []error
	deployers := 0
	for i := range s.Applications {
		a := &s.Applications[i]
		for _, id := range []*string{&a.AppID, &a.ObjectID, &a.ServicePrincipalID} {
			if *id == "" {
				*id = directory.NewGUID()
			} else if !directory.IsGUID(*id) {
				errs = append(errs, fmt.Errorf("application %d (%q): %q is not a GUID", i, a.DisplayName, *id))
			}
			*id = strings.ToLower(*id)
		}
		if a.Deployer {
			deployers++
			if len(a.Secrets) == 0 {
				errs = append(errs, fmt.Errorf("application %d (%q) is the deployer but has no secret", i, a.DisplayName))
			}
		}
		for _, c := range a.Certificates {
			if (c.PEM == "") == (c.File == "") {
				errs = append(errs, fmt.Errorf("application %d (%q): a certificate needs exactly one of pem and file", i, a.DisplayName))
			}
		}
	}
	if deployers > 1 {
		errs = append(errs, fmt.Errorf("%d applications are marked deployer; at most one may be", deployers))
	}
	for key, ids := range s.OcelotAccessLists {
		if err := checkRoute(key); err != nil {
			errs = append(errs, fmt.Errorf("ocelotAccessLists: %w", err))
		}
		for _, id := range ids {
			if !directory.IsGUID(id) {
				errs = append(errs, fmt.Errorf("ocelotAccessLists[%s]: %q is not an appId", key, id))
			}
		}
	}
	for key, regs := range s.Registrations {
		if err := checkRoute(key); err != nil {
			errs = append(errs, fmt.Errorf("registrations: %w", err))
		}
		for _, r := range regs {
			if !directory.IsGUID(r.AgentAppID) {
				errs = append(errs, fmt.Errorf("registrations[%s]: %q is not an appId", key, r.AgentAppID))
			}
		}
	}
	return errors.Join(errs...)
}

// checkRoute reports a route key that names no environment and region of the table.
func checkRoute(key string) error {
	env, region, ok := strings.Cut(key, "/")
	if !ok {
		return fmt.Errorf("route key %q: expected <environment>/<region>", key)
	}
	if _, err := environments.Lookup(environments.Environment(env), environments.Region(region)); err != nil {
		return fmt.Errorf("route key %q: %w", key, err)
	}
	return nil
}

// Deployer returns the seed's deployer application, if one is marked.
func (s *Seed) Deployer() (SeedApplication, bool) {
	for _, a := range s.Applications {
		if a.Deployer {
			return a, true
		}
	}
	return SeedApplication{}, false
}

// issuers returns the entra configuration of the seed's test issuers (nil means the defaults).
func (s *Seed) issuers() []entra.OIDCIssuer {
	if s.FederatedIssuers == nil {
		return nil
	}
	out := make([]entra.OIDCIssuer, 0, len(s.FederatedIssuers))
	for _, i := range s.FederatedIssuers {
		iss := entra.OIDCIssuer{
			Name: i.Name, DefaultSubject: i.DefaultSubject, DefaultAudience: i.DefaultAudience, RequestToken: i.RequestToken,
			Kind: i.Kind, Organization: i.Organization,
		}
		for _, sc := range i.ServiceConnections {
			iss.ServiceConnections = append(iss.ServiceConnections, entra.ServiceConnection{ID: sc.ID, Project: sc.Project, Name: sc.Name})
		}
		out = append(out, iss)
	}
	return out
}

// snapshot builds the directory state the seed describes.
func (s *Seed) snapshot(now time.Time) (directory.Snapshot, error) {
	spByAppID := map[string]string{}
	for _, a := range s.Applications {
		spByAppID[a.AppID] = a.ServicePrincipalID
	}
	snap := directory.Snapshot{TenantID: s.TenantID, VerifiedDomains: append([]string{}, s.VerifiedDomains...), Users: append([]directory.User(nil), s.Users...)}
	if len(s.AppManagementPolicy) > 0 {
		p, err := directory.MergeAppManagementPolicy(directory.DefaultAppManagementPolicy(), s.AppManagementPolicy)
		if err != nil {
			return directory.Snapshot{}, fmt.Errorf("defaultAppManagementPolicy: %w", err)
		}
		snap.AppManagementPolicy = &p
	}
	for i, a := range s.Applications {
		rec, err := a.record(now, spByAppID)
		if err != nil {
			return directory.Snapshot{}, fmt.Errorf("application %d (%q): %w", i, a.DisplayName, err)
		}
		snap.Applications = append(snap.Applications, rec)
	}
	// Restore into a scratch directory validates uniqueness and certificates.
	if err := directory.New(directory.Config{TenantID: s.TenantID, Now: func() time.Time { return now }}).Restore(snap); err != nil {
		return directory.Snapshot{}, err
	}
	return snap, nil
}

func (a SeedApplication) record(now time.Time, spByAppID map[string]string) (directory.Record, error) {
	app := directory.Application{ID: a.ObjectID, AppID: a.AppID, DisplayName: &a.DisplayName}
	app.CreatedDateTime = ptr(now.UTC().Format(time.RFC3339))
	if len(a.API) > 0 {
		doc, err := directory.Decode([]byte(`{"api":` + string(a.API) + `}`))
		if err != nil {
			return directory.Record{}, fmt.Errorf("api: %w", err)
		}
		app.API = doc.API
	}
	for _, u := range a.IdentifierURIs {
		app.IdentifierURIs = append(app.IdentifierURIs, strings.ReplaceAll(u, "{appId}", a.AppID))
	}
	app.Normalize()
	rec := directory.Record{
		Application:        app,
		ServicePrincipalID: a.ServicePrincipalID,
		Federated:          a.FederatedCredentials,
		GraphRoles:         a.GraphRoles,
		Deployer:           a.Deployer,
		UpdatedAt:          now,
	}
	for _, o := range a.Owners {
		if sp, ok := spByAppID[strings.ToLower(o)]; ok {
			o = sp
		}
		if !directory.IsGUID(o) {
			return directory.Record{}, fmt.Errorf("owner %q is neither a seed appId nor an object id", o)
		}
		rec.Owners = append(rec.Owners, strings.ToLower(o))
	}
	for _, sec := range a.Secrets {
		if sec.Value == "" {
			return directory.Record{}, errors.New("a secret has an empty value")
		}
		ds := directory.Secret{Value: sec.Value, DisplayName: sec.DisplayName, Start: now.UTC().Truncate(time.Second)}
		if sec.EndDateTime != "" {
			end, err := time.Parse(time.RFC3339, sec.EndDateTime)
			if err != nil {
				return directory.Record{}, fmt.Errorf("secret endDateTime: %w", err)
			}
			ds.End = end
		}
		ds.KeyID = stableKeyID(a.AppID, "secret", len(rec.Secrets))
		rec.Secrets = append(rec.Secrets, ds)
	}
	for _, c := range a.Certificates {
		if c.PEM == "" {
			return directory.Record{}, errors.New("a certificate has no PEM (file not loaded)")
		}
		rec.Certificates = append(rec.Certificates, directory.Certificate{
			KeyID: stableKeyID(a.AppID, "certificate", len(rec.Certificates)), DisplayName: c.DisplayName, PEM: c.PEM,
		})
	}
	for _, f := range a.FederatedCredentials {
		if f.Issuer == "" || f.Subject == "" {
			return directory.Record{}, errors.New("a federated credential needs issuer and subject")
		}
	}
	return rec, nil
}

// stableKeyID derives a credential key id from the appId so that a reset reproduces the same ids.
func stableKeyID(appID, kind string, n int) string {
	// Replace the last group of the appId: same tenant-unique prefix, distinct per credential.
	prefix := appID[:24]
	suffix := fmt.Sprintf("%012x", uint64(n)+map[string]uint64{"secret": 0x5ec000000000, "certificate": 0xce7000000000}[kind])
	return prefix + suffix
}

// lkpsState builds the LKPS state the seed describes.
func (s *Seed) lkpsState(now time.Time) lkpsapi.State {
	st := lkpsapi.State{AccessLists: map[string][]string{}, Registrations: map[string][]lkpsapi.Registration{}}
	for k, ids := range s.OcelotAccessLists {
		st.AccessLists[k] = append([]string{}, ids...)
	}
	for k, regs := range s.Registrations {
		for _, r := range regs {
			enforce := true
			if r.EnforceClientAuthz != nil {
				enforce = *r.EnforceClientAuthz
			}
			st.Registrations[k] = append(st.Registrations[k], lkpsapi.Registration{
				AgentAppID: strings.ToLower(r.AgentAppID), EnforceClientAuthz: enforce, RegisteredAt: now, UpdatedAt: now,
			})
		}
	}
	return st
}

// Well-known identities of DefaultSeed. The secrets are public test values: the emulator is a local
// stand-in and these never grant access to anything real.
const (
	// DefaultDeployerAppID is the appId of the default seed's deployer (Application.ReadWrite.OwnedBy, owner
	// of the example agent: the least privilege that lets a service principal manage the agent).
	DefaultDeployerAppID = "7d0a3c5e-1f2b-4c3d-8e4f-5a6b7c8d9e01"
	// DefaultDeployerSecret is the client secret of the default seed's deployer.
	DefaultDeployerSecret = "emulator-deployer-secret"
	// DefaultAgentAppID is the appId of the default seed's example agent, owned by the deployer.
	DefaultAgentAppID = "7d0a3c5e-1f2b-4c3d-8e4f-5a6b7c8d9e02"
	// DefaultAgentSecret is the client secret of the default seed's example agent.
	DefaultAgentSecret = "emulator-agent-secret"
	// DefaultClientAppID is the appId of the default seed's example client application.
	DefaultClientAppID = "7d0a3c5e-1f2b-4c3d-8e4f-5a6b7c8d9e03"
	// DefaultUserID is the object id of the built-in seed's user (Emulator User,
	// emulator.user@bayer.com), who owns no application until made one.
	DefaultUserID = "7d0a3c5e-1f2b-4c3d-8e4f-5a6b7c8d9e31"
	// DefaultClientSecret is the client secret of the default seed's example client.
	DefaultClientSecret = "emulator-client-secret"
)

// DefaultSeed returns the seed used when none is given: Bayer's tenant with "bayer.com" verified, a
// deployer holding Application.ReadWrite.OwnedBy (also trusted for GitHub Actions tokens of the emulator's
// "github" issuer), an example agent owned by the deployer with identifier URI api://{appId} (trusting the
// same GitHub Actions tokens, for registration without a secret), and an
// example client. All three are on the Client Access List of every route; nothing is registered.
func DefaultSeed() *Seed {
	all := []string{DefaultDeployerAppID, DefaultAgentAppID, DefaultClientAppID}
	lists := map[string][]string{}
	for _, e := range environments.All() {
		lists[e.Key()] = append([]string{}, all...)
	}
	s := &Seed{
		TenantID:        environments.BayerTenantID,
		VerifiedDomains: []string{"bayer.com"},
		Users:           []directory.User{{ID: DefaultUserID, DisplayName: "Emulator User", UserPrincipalName: "emulator.user@bayer.com", Mail: "emulator.user@bayer.com"}},
		Applications: []SeedApplication{
			{
				AppID: DefaultDeployerAppID, ObjectID: "7d0a3c5e-1f2b-4c3d-8e4f-5a6b7c8d9e11", ServicePrincipalID: "7d0a3c5e-1f2b-4c3d-8e4f-5a6b7c8d9e21",
				DisplayName: "LKPS Terraform deployer", Deployer: true,
				Secrets:              []SeedSecret{{Value: DefaultDeployerSecret, DisplayName: "emulator"}},
				GraphRoles:           []string{"Application.ReadWrite.OwnedBy"},
				FederatedCredentials: githubMainBranch("github-main"),
			},
			{
				AppID: DefaultAgentAppID, ObjectID: "7d0a3c5e-1f2b-4c3d-8e4f-5a6b7c8d9e12", ServicePrincipalID: "7d0a3c5e-1f2b-4c3d-8e4f-5a6b7c8d9e22",
				DisplayName: "Example LKPS agent", Owners: []string{DefaultDeployerAppID},
				Secrets:        []SeedSecret{{Value: DefaultAgentSecret, DisplayName: "emulator"}},
				IdentifierURIs: []string{"api://{appId}"},
				// The same workflow's token registers the agent as the agent (agent_use_oidc): one OIDC
				// token, two identities, no secret.
				FederatedCredentials: githubMainBranch("github-main-registration"),
			},
			{
				AppID: DefaultClientAppID, ObjectID: "7d0a3c5e-1f2b-4c3d-8e4f-5a6b7c8d9e13", ServicePrincipalID: "7d0a3c5e-1f2b-4c3d-8e4f-5a6b7c8d9e23",
				DisplayName: "Example LKPS client",
				Secrets:     []SeedSecret{{Value: DefaultClientSecret, DisplayName: "emulator"}},
			},
		},
		OcelotAccessLists: lists,
	}
	if err := s.normalize(); err != nil {
		panic(fmt.Sprintf("emulator: default seed is invalid: %v", err))
	}
	return s
}

// githubMainBranch is a federated credential, named name, that trusts the emulator's GitHub issuer's
// tokens of this repository's main branch (the subject GitHub Actions gives a workflow run on it).
func githubMainBranch(name string) []directory.FederatedCredential {
	return []directory.FederatedCredential{{
		Name: name, Issuer: "/oidc/github", Subject: "repo:bayer/terraform-provider-lkps:ref:refs/heads/main",
		Audiences: []string{entra.FederatedAudience},
	}}
}

func ptr[T any](v T) *T { return &v }
