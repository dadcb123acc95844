package directory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The tenant's default app management policy (Microsoft Graph tenantAppManagementPolicy,
// GET/PATCH /policies/defaultAppManagementPolicy). Only applicationRestrictions.identifierUris changes what
// the emulator accepts; the other restrictions are stored and answered as sent but not enforced.
//
// Microsoft Learn: "tenantAppManagementPolicy resource type", "identifierUriConfiguration resource type",
// "identifierUriRestriction resource type", "Restrictions on identifier URIs of Microsoft Entra
// applications".

// Restriction states of an identifierUriRestriction (appManagementRestrictionState).
const (
	RestrictionEnabled  = "enabled"
	RestrictionDisabled = "disabled"
)

// DefaultPolicyID is the id Graph gives the tenant's default app management policy.
const DefaultPolicyID = "00000000-0000-0000-0000-000000000000"

// IdentifierURIRestriction is Graph's identifierUriRestriction.
type IdentifierURIRestriction struct {
	// ExcludeActors are custom security attribute exemptions; stored, not evaluated by the emulator.
	ExcludeActors json.RawMessage `json:"excludeActors,omitempty"`
	// ExcludeAppsReceivingV2Tokens exempts applications whose api.requestedAccessTokenVersion is 2. Unset
	// means true: Microsoft Learn says such applications "are exempted by default".
	ExcludeAppsReceivingV2Tokens *bool `json:"excludeAppsReceivingV2Tokens"`
	// ExcludeSaml exempts SAML applications; stored, not evaluated (the emulator has no SAML service principals).
	ExcludeSaml *bool `json:"excludeSaml"`
	// IsStateSetByMicrosoft is read-only in Graph.
	IsStateSetByMicrosoft bool `json:"isStateSetByMicrosoft"`
	// RestrictForAppsCreatedAfterDateTime limits the restriction to applications created after it; null
	// applies it to every application.
	RestrictForAppsCreatedAfterDateTime *string `json:"restrictForAppsCreatedAfterDateTime"`
	// State is "enabled" or "disabled".
	State *string `json:"state"`
}

// IdentifierURIConfiguration is Graph's identifierUriConfiguration.
type IdentifierURIConfiguration struct {
	NonDefaultURIAddition                    *IdentifierURIRestriction `json:"nonDefaultUriAddition"`
	URIAdditionWithoutUniqueTenantIdentifier *IdentifierURIRestriction `json:"uriAdditionWithoutUniqueTenantIdentifier"`
}

// AppManagementConfiguration is Graph's appManagementApplicationConfiguration (applicationRestrictions)
// and appManagementServicePrincipalConfiguration (servicePrincipalRestrictions).
type AppManagementConfiguration struct {
	PasswordCredentials []json.RawMessage           `json:"passwordCredentials"`
	KeyCredentials      []json.RawMessage           `json:"keyCredentials"`
	IdentifierURIs      *IdentifierURIConfiguration `json:"identifierUris,omitempty"`
}

// AppManagementPolicy is Graph's tenantAppManagementPolicy.
type AppManagementPolicy struct {
	ID                           string                     `json:"id"`
	DeletedDateTime              *string                    `json:"deletedDateTime"`
	Description                  string                     `json:"description"`
	DisplayName                  string                     `json:"displayName"`
	IsEnabled                    bool                       `json:"isEnabled"`
	ApplicationRestrictions      AppManagementConfiguration `json:"applicationRestrictions"`
	ServicePrincipalRestrictions AppManagementConfiguration `json:"servicePrincipalRestrictions"`
}

// DefaultAppManagementPolicy returns the policy of a tenant that never changed it: disabled, no
// restrictions.
func DefaultAppManagementPolicy() AppManagementPolicy {
	p := AppManagementPolicy{
		ID:          DefaultPolicyID,
		DisplayName: "Default app management tenant policy",
		Description: "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
	}
	p.normalize()
	return p
}

func (p *AppManagementPolicy) normalize() {
	for _, c := range []*AppManagementConfiguration{&p.ApplicationRestrictions, &p.ServicePrincipalRestrictions} {
		c.PasswordCredentials = nonNil(c.PasswordCredentials)
		c.KeyCredentials = nonNil(c.KeyCredentials)
	}
	p.ServicePrincipalRestrictions.IdentifierURIs = nil
	if p.ApplicationRestrictions.IdentifierURIs == nil {
		p.ApplicationRestrictions.IdentifierURIs = &IdentifierURIConfiguration{}
	}
}

// Active reports whether a restriction applies to an application created at created (RFC 3339; empty
// means now): the policy is enabled, the restriction's state is enabled, and the application was created
// after restrictForAppsCreatedAfterDateTime (when set).
func (r *IdentifierURIRestriction) Active(policyEnabled bool, created string, now time.Time) bool {
	if !policyEnabled || r == nil || r.State == nil || !strings.EqualFold(*r.State, RestrictionEnabled) {
		return false
	}
	if r.RestrictForAppsCreatedAfterDateTime == nil || *r.RestrictForAppsCreatedAfterDateTime == "" {
		return true
	}
	after, err := time.Parse(time.RFC3339, *r.RestrictForAppsCreatedAfterDateTime)
	if err != nil {
		return true
	}
	at := now
	if t, err := time.Parse(time.RFC3339, created); err == nil {
		at = t
	}
	return at.After(after)
}

// ExemptsV2 reports whether the restriction leaves applications that receive v2 tokens alone.
func (r *IdentifierURIRestriction) ExemptsV2() bool {
	return r.ExcludeAppsReceivingV2Tokens == nil || *r.ExcludeAppsReceivingV2Tokens
}

// AppManagementPolicy returns a copy of the tenant's default app management policy.
func (d *Directory) AppManagementPolicy() AppManagementPolicy {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.policyLocked().clone()
}

func (d *Directory) policyLocked() AppManagementPolicy {
	if d.policy == nil {
		return DefaultAppManagementPolicy()
	}
	return *d.policy
}

func (p AppManagementPolicy) clone() AppManagementPolicy {
	out := jsonClone(p, "policy")
	out.normalize()
	return out
}

// PatchAppManagementPolicy merges a PATCH body into the policy as Graph does: properties not in the body
// are kept, objects merge property by property, collections are replaced. Unknown properties, wrong
// types and invalid restriction states are refused with a *PatchError and nothing is stored.
func (d *Directory) PatchAppManagementPolicy(body []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	next, err := MergeAppManagementPolicy(d.policyLocked(), body)
	if err != nil {
		return err
	}
	d.policy = &next
	return nil
}

// MergeAppManagementPolicy returns base with the PATCH body applied (see PatchAppManagementPolicy).
func MergeAppManagementPolicy(base AppManagementPolicy, body []byte) (AppManagementPolicy, error) {
	patch, err := decodeObject(body)
	if err != nil {
		return AppManagementPolicy{}, err
	}
	if id, ok := patch["id"]; ok && id != base.ID {
		return AppManagementPolicy{}, &PatchError{Message: "Property 'id' is read-only and cannot be set."}
	}
	raw, err := json.Marshal(base)
	if err != nil {
		return AppManagementPolicy{}, fmt.Errorf("marshal policy: %w", err)
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return AppManagementPolicy{}, fmt.Errorf("unmarshal policy: %w", err)
	}
	merged, err := json.Marshal(mergeTree(tree, patch))
	if err != nil {
		return AppManagementPolicy{}, fmt.Errorf("marshal merged policy: %w", err)
	}
	return DecodeAppManagementPolicy(merged)
}

// DecodeAppManagementPolicy parses a full policy document (as kept in a seed or state file).
func DecodeAppManagementPolicy(doc []byte) (AppManagementPolicy, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	var p AppManagementPolicy
	if err := dec.Decode(&p); err != nil {
		return AppManagementPolicy{}, describeDecodeError(err)
	}
	if p.ID == "" {
		p.ID = DefaultPolicyID
	}
	if p.ApplicationRestrictions.IdentifierURIs != nil {
		for name, r := range map[string]*IdentifierURIRestriction{
			"nonDefaultUriAddition":                    p.ApplicationRestrictions.IdentifierURIs.NonDefaultURIAddition,
			"uriAdditionWithoutUniqueTenantIdentifier": p.ApplicationRestrictions.IdentifierURIs.URIAdditionWithoutUniqueTenantIdentifier,
		} {
			if r == nil {
				continue
			}
			if r.State != nil && *r.State != RestrictionEnabled && *r.State != RestrictionDisabled && *r.State != "unknownFutureValue" {
				return AppManagementPolicy{}, &PatchError{Message: fmt.Sprintf("Invalid value for property 'applicationRestrictions.identifierUris.%s.state': '%s'; expected 'enabled' or 'disabled'.", name, *r.State)}
			}
			if t := r.RestrictForAppsCreatedAfterDateTime; t != nil && *t != "" {
				if _, err := time.Parse(time.RFC3339, *t); err != nil {
					return AppManagementPolicy{}, &PatchError{Message: fmt.Sprintf("Invalid value for property 'applicationRestrictions.identifierUris.%s.restrictForAppsCreatedAfterDateTime': '%s' is not a valid DateTimeOffset.", name, *t)}
				}
			}
		}
	}
	p.normalize()
	return p, nil
}

// SetAppManagementPolicyJSON merges a PATCH body into the policy (tests and tools).
func (d *Directory) SetAppManagementPolicyJSON(body string) error {
	return d.PatchAppManagementPolicy([]byte(body))
}
