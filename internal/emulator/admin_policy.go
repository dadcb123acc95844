package emulator

import (
	"fmt"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// AppManagementPolicy returns the tenant's default app management policy.
func (a *Admin) AppManagementPolicy() directory.AppManagementPolicy {
	return a.s.dir.AppManagementPolicy()
}

// PatchAppManagementPolicy merges a Graph PATCH body into the tenant's default app management policy
// (GET/PATCH /policies/defaultAppManagementPolicy), without Graph's permission check; e.g.
// {"isEnabled":true,"applicationRestrictions":{"identifierUris":{"uriAdditionWithoutUniqueTenantIdentifier":{"state":"enabled"}}}}.
func (a *Admin) PatchAppManagementPolicy(body []byte) error {
	if err := a.s.dir.PatchAppManagementPolicy(body); err != nil {
		return fmt.Errorf("app management policy: %w", err)
	}
	return nil
}
