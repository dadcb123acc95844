package graphapi

import "strings"

// Who may read and change an application, as Microsoft Graph decides it (shared design,
// graph-behaviour.md, "Who may read and change an application"):
//
//   - App-only tokens (a service principal signing in with a secret, certificate, federated token or
//     managed identity) carry Graph app roles in "roles". Reading needs Application.Read.All or any
//     ReadWrite role; changing or deleting needs Application.ReadWrite.All, or
//     Application.ReadWrite.OwnedBy and being an owner of that application. Owning the application
//     without an app role is not enough; creating needs OwnedBy or ReadWrite.All.
//   - Delegated tokens (a signed-in user, e.g. through the Azure CLI) carry "scp" and act as the user:
//     a member user reads application registrations (Entra's default user permissions), and changes
//     those it owns; changing others needs a directory role such as Application Administrator, whose
//     template IDs the token carries in "wids".
//
// Anything else is 403 Authorization_RequestDenied, "Insufficient privileges to complete the operation."

// Directory role template IDs (the "wids" claim) that may manage every application registration.
const (
	RoleTemplateGlobalAdministrator           = "62e90394-69f5-4237-9190-012177145e10"
	RoleTemplateApplicationAdministrator      = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	RoleTemplateCloudApplicationAdministrator = "158c047a-c907-4556-b7ef-446551a6b5f7"
)

// Delegated reports whether the caller is a signed-in user (a token with "scp") rather than an
// application acting as itself.
func (c Caller) Delegated() bool { return c.Scopes != "" }

// hasAppAdminRole reports whether a delegated caller holds a directory role that manages every
// application registration.
func (c Caller) hasAppAdminRole() bool {
	for _, w := range c.DirectoryRoles {
		for _, admin := range []string{RoleTemplateGlobalAdministrator, RoleTemplateApplicationAdministrator, RoleTemplateCloudApplicationAdministrator} {
			if strings.EqualFold(w, admin) {
				return true
			}
		}
	}
	return false
}

// canRead reports whether the caller may read (get or list) applications.
func canRead(c Caller) bool {
	if c.Delegated() {
		return true
	}
	return c.HasRole(RoleApplicationReadAll, RoleApplicationReadWriteAll, RoleApplicationOwnedBy, RoleDirectoryReadAll, RoleDirectoryReadWriteAll)
}

// canWrite reports whether the caller may change or delete an application of which owner says whether
// the caller is an owner.
func canWrite(c Caller, owner bool) bool {
	if c.Delegated() {
		return owner || c.hasAppAdminRole()
	}
	return c.HasRole(RoleApplicationReadWriteAll, RoleDirectoryReadWriteAll) || (owner && c.HasRole(RoleApplicationOwnedBy))
}

// canCreate reports whether the caller may create an application (it becomes its owner).
func canCreate(c Caller) bool {
	if c.Delegated() {
		return true // "Users can register applications" is on by default
	}
	return c.HasRole(RoleApplicationReadWriteAll, RoleDirectoryReadWriteAll, RoleApplicationOwnedBy)
}
