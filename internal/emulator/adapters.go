package emulator

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/graphapi"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/lkpsapi"
)

// entraDirectory lets the token service read clients from the directory. The token service reads the
// primary: Entra's token endpoint sees a new secret or grant as soon as the directory has it.
type entraDirectory struct {
	dir     *directory.Directory
	baseURL func() string
}

var _ entra.Directory = entraDirectory{}

// Client returns the token-service view of the application with appID.
func (d entraDirectory) Client(appID string) (entra.Client, bool) {
	rec, err := d.dir.GetByAppID(appID, directory.Primary)
	if err != nil {
		return entra.Client{}, false
	}
	c := entra.Client{
		AppID:              rec.Application.AppID,
		ServicePrincipalID: rec.ServicePrincipalID,
		GraphRoles:         append([]string(nil), rec.GraphRoles...),
		NoServicePrincipal: rec.ServicePrincipalPending,
	}
	if rec.Application.DisplayName != nil {
		c.DisplayName = *rec.Application.DisplayName
	}
	for _, s := range rec.Secrets {
		c.Secrets = append(c.Secrets, s.Value)
	}
	for _, cert := range rec.Certificates {
		if cert.Parsed != nil {
			c.Certificates = append(c.Certificates, cert.Parsed)
		}
	}
	for _, f := range rec.Federated {
		issuer := f.Issuer
		if strings.HasPrefix(issuer, "/oidc/") {
			issuer = strings.TrimRight(d.baseURL(), "/") + issuer
		}
		c.Federated = append(c.Federated, entra.FederatedCredential{Issuer: issuer, Subject: f.Subject, Audiences: append([]string(nil), f.Audiences...)})
	}
	return c, true
}

// agentDirectory lets LKPS read an agent's api block the way LKPS does, through Graph's replica
// semantics (GET /v1.0/applications(appId='…')?$select=api).
type agentDirectory struct{ dir *directory.Directory }

var _ lkpsapi.AgentDirectory = agentDirectory{}

// AgentAPI returns the agent's scopes and pre-authorized clients as a replica read sees them.
func (d agentDirectory) AgentAPI(appID string) (lkpsapi.AgentAPI, bool) {
	rec, err := d.dir.GetByAppID(appID, directory.Replica)
	if err != nil {
		return lkpsapi.AgentAPI{}, false
	}
	var out lkpsapi.AgentAPI
	for _, s := range rec.Application.API.OAuth2PermissionScopes {
		value := ""
		if s.Value != nil {
			value = *s.Value
		}
		out.Scopes = append(out.Scopes, lkpsapi.Scope{ID: s.ID, Value: value, Enabled: s.IsEnabled})
	}
	for _, p := range rec.Application.API.PreAuthorizedApplications {
		out.PreAuthorized = append(out.PreAuthorized, lkpsapi.PreAuthorized{AppID: p.AppID, PermissionIDs: append([]string(nil), p.DelegatedPermissionIDs...)})
	}
	return out, true
}

// graphAuthenticator validates Graph tokens with the token service.
type graphAuthenticator struct{ svc *entra.Service }

var _ graphapi.Authenticator = graphAuthenticator{}

// Authenticate verifies a Graph access token and returns its caller.
func (a graphAuthenticator) Authenticate(raw string) (graphapi.Caller, error) {
	claims, err := a.svc.Verify(raw, a.svc.GraphAudiences()...)
	switch {
	case err == nil:
		return graphapi.Caller{
			AppID: claims.AppID, ObjectID: claims.ObjectID, Roles: claims.Roles,
			Scopes: claims.Scopes, DirectoryRoles: claims.DirectoryRoles,
		}, nil
	case errors.Is(err, entra.ErrExpired):
		return graphapi.Caller{}, fmt.Errorf("%w: %w", graphapi.ErrTokenExpired, err)
	case errors.Is(err, entra.ErrWrongAudience):
		return graphapi.Caller{}, fmt.Errorf("%w: %w", graphapi.ErrTokenAudience, err)
	default:
		return graphapi.Caller{}, fmt.Errorf("%w: %w", graphapi.ErrTokenInvalid, err)
	}
}
