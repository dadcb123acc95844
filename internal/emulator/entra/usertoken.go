package entra

import (
	"errors"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// AzureCLIAppID is the application ID of the Azure CLI, the client of the user tokens MintUser issues.
const AzureCLIAppID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"

// azureCLIGraphScopes is the scp claim of an Azure CLI token for Microsoft Graph.
const azureCLIGraphScopes = "Application.ReadWrite.All AuditLog.Read.All Directory.AccessAsUser.All Group.ReadWrite.All User.ReadWrite.All"

// UserToken describes a delegated (signed-in user) access token, as the Azure CLI obtains one.
type UserToken struct {
	// ObjectID is the user's object id (the oid claim); owners of applications may name it.
	ObjectID string `json:"objectId"`
	// Audience is the resource, e.g. "https://graph.microsoft.com".
	Audience string `json:"audience"`
	// Name is the user's display name; Email their address (optional).
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// DirectoryRoles are directory role template IDs (the wids claim), e.g. Application Administrator's
	// 9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3.
	DirectoryRoles []string `json:"directoryRoles,omitempty"`
	// Lifetime of the token; 0 means the configured lifetime, a negative one a token that expired that
	// long ago (issued an hour before it expired).
	Lifetime time.Duration `json:"-"`
}

// MintUser issues a delegated access token for a user signed in through the Azure CLI: it carries scp
// (so Graph treats it as acting for the user), no roles, and the user's directory roles in wids.
func (s *Service) MintUser(u UserToken) (string, error) {
	if !directory.IsGUID(u.ObjectID) || u.Audience == "" {
		return "", errors.New("objectId (a GUID) and audience are required")
	}
	c := Claims{
		Audience: u.Audience, AppID: AzureCLIAppID, AuthorizedParty: AzureCLIAppID, ObjectID: strings.ToLower(u.ObjectID),
		Scopes: azureCLIGraphScopes, DirectoryRoles: u.DirectoryRoles, Name: u.Name, Email: u.Email,
	}
	if u.Lifetime != 0 {
		now := s.cfg.Now()
		c.IssuedAt, c.Expiry = now, now.Add(u.Lifetime)
		if u.Lifetime < 0 {
			c.IssuedAt = c.Expiry.Add(-time.Hour)
		}
	}
	return s.MintClaims(c)
}
