package emulator

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// CreateApplication adds an application described like a seed application; empty ids are generated.
// Owners given as appIds of existing applications are resolved to their service principals.
func (a *Admin) CreateApplication(app SeedApplication) (*directory.Record, error) {
	for _, id := range []*string{&app.AppID, &app.ObjectID, &app.ServicePrincipalID} {
		if *id == "" {
			*id = directory.NewGUID()
		} else if !directory.IsGUID(*id) {
			return nil, fmt.Errorf("create application: %q is not a GUID", *id)
		}
		*id = strings.ToLower(*id)
	}
	owners := map[string]string{}
	for _, o := range app.Owners {
		if rec, err := a.s.dir.GetByAppID(o, directory.Primary); err == nil {
			owners[strings.ToLower(o)] = rec.ServicePrincipalID
		}
	}
	rec, err := app.record(a.s.cfg.Now(), owners)
	if err != nil {
		return nil, fmt.Errorf("create application %q: %w", app.DisplayName, err)
	}
	rec.UpdatedAt = time.Time{}
	created, err := a.s.dir.Create(rec)
	if err != nil {
		return nil, fmt.Errorf("create application %q: %w", app.DisplayName, err)
	}
	return created, nil
}

// Application returns the latest state of an application by appId or object id.
func (a *Admin) Application(id string) (*directory.Record, error) {
	rec, err := a.s.dir.Lookup(ref(id), directory.Primary)
	if errors.Is(err, directory.ErrNotFound) {
		rec, err = a.s.dir.Lookup(directory.Ref{AppID: id}, directory.Primary)
	}
	if err != nil {
		return nil, fmt.Errorf("application %s: %w", id, err)
	}
	return rec, nil
}

// DeleteApplication removes an application by appId or object id at once: unlike Graph's DELETE it does not
// keep it in the deleted items, so a test can re-create its identifier URIs.
func (a *Admin) DeleteApplication(id string) error {
	rec, err := a.Application(id)
	if err != nil {
		return err
	}
	if err := a.s.dir.HardDelete(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary); err != nil {
		return fmt.Errorf("delete application %s: %w", id, err)
	}
	return nil
}

// PatchApplication merges a Graph PATCH body into an application (by appId or object id) without Graph's
// validation rules.
func (a *Admin) PatchApplication(id string, body []byte) (*directory.Record, error) {
	rec, err := a.Application(id)
	if err != nil {
		return nil, err
	}
	out, err := a.s.dir.Update(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
		merged, err := directory.Merge(cur.Application, body)
		if err != nil {
			return directory.Record{}, err
		}
		next := cur.Clone()
		next.Application = merged
		return next, nil
	})
	if err != nil {
		return nil, fmt.Errorf("patch application %s: %w", id, err)
	}
	return out, nil
}

// GrantGraphRoles adds Microsoft Graph app roles to an application's service principal.
func (a *Admin) GrantGraphRoles(id string, roles ...string) error {
	return a.edit(id, func(r *directory.Record) {
		for _, role := range roles {
			if !r.HasGraphRole(role) {
				r.GraphRoles = append(r.GraphRoles, role)
			}
		}
	})
}

// RevokeGraphRoles removes Microsoft Graph app roles from an application's service principal.
func (a *Admin) RevokeGraphRoles(id string, roles ...string) error {
	return a.edit(id, func(r *directory.Record) {
		kept := r.GraphRoles[:0]
		for _, have := range r.GraphRoles {
			drop := false
			for _, role := range roles {
				drop = drop || strings.EqualFold(have, role)
			}
			if !drop {
				kept = append(kept, have)
			}
		}
		r.GraphRoles = kept
	})
}

// AddOwners adds owners to an application: appIds of applications in the directory (resolved to their
// service principals) or directory object ids.
func (a *Admin) AddOwners(id string, owners ...string) error {
	resolved := make([]string, 0, len(owners))
	for _, o := range owners {
		if rec, err := a.s.dir.GetByAppID(o, directory.Primary); err == nil {
			o = rec.ServicePrincipalID
		} else if !directory.IsGUID(o) {
			return fmt.Errorf("add owner %q: not an appId of the directory nor an object id", o)
		}
		resolved = append(resolved, strings.ToLower(o))
	}
	return a.edit(id, func(r *directory.Record) {
		for _, o := range resolved {
			if !r.IsOwner(o) {
				r.Owners = append(r.Owners, o)
			}
		}
	})
}

// AddSecret adds a client secret to an application.
func (a *Admin) AddSecret(id, value string) error {
	if value == "" {
		return errors.New("add secret: empty value")
	}
	return a.edit(id, func(r *directory.Record) { r.Secrets = append(r.Secrets, directory.Secret{Value: value}) })
}

// AddFederatedCredential adds a federated identity credential to an application. An issuer starting with
// "/oidc/" is relative to the emulator's base URL.
func (a *Admin) AddFederatedCredential(id string, fc directory.FederatedCredential) error {
	if fc.Issuer == "" || fc.Subject == "" {
		return errors.New("add federated credential: issuer and subject are required")
	}
	return a.edit(id, func(r *directory.Record) { r.Federated = append(r.Federated, fc) })
}

func (a *Admin) edit(id string, fn func(*directory.Record)) error {
	rec, err := a.Application(id)
	if err != nil {
		return err
	}
	_, err = a.s.dir.Update(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary, func(_, cur *directory.Record) (directory.Record, error) {
		next := cur.Clone()
		fn(&next)
		return next, nil
	})
	if err != nil {
		return fmt.Errorf("edit application %s: %w", id, err)
	}
	return nil
}

func ref(id string) directory.Ref { return directory.Ref{ObjectID: id} }

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
