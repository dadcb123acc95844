package model

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/bayer/terraform-provider-lkps/internal/retryafter"
)

// FromModel converts a GET answer into the state the merge logic works on. The SDK models of
// the list entries are kept as raw so that entries written back unchanged keep every property this
// package does not model.
func FromModel(m models.Applicationable) *State {
	st := &State{
		ObjectID:    Deref(m.GetId()),
		AppID:       Deref(m.GetAppId()),
		displayName: Deref(m.GetDisplayName()),
		uris:        append([]string{}, m.GetIdentifierUris()...),
		scopes:      []scopeEntry{},
		preAuth:     []preAuthEntry{},
	}
	if api := m.GetApi(); api != nil {
		for _, s := range api.GetOauth2PermissionScopes() {
			if s == nil {
				continue
			}
			st.scopes = append(st.scopes, scopeEntry{PermissionScope: scopeFromModel(s), raw: s})
		}
		for _, p := range api.GetPreAuthorizedApplications() {
			if p == nil {
				continue
			}
			st.preAuth = append(st.preAuth, preAuthEntry{PreAuthorizedApplication: preAuthFromModel(p), raw: p})
		}
	}
	return st
}

func scopeFromModel(m models.PermissionScopeable) PermissionScope {
	s := PermissionScope{
		Value:                   Deref(m.GetValue()),
		Type:                    Deref(m.GetTypeEscaped()),
		AdminConsentDisplayName: Deref(m.GetAdminConsentDisplayName()),
		AdminConsentDescription: Deref(m.GetAdminConsentDescription()),
		UserConsentDisplayName:  Deref(m.GetUserConsentDisplayName()),
		UserConsentDescription:  Deref(m.GetUserConsentDescription()),
	}
	if id := m.GetId(); id != nil {
		s.ID = id.String()
	}
	if e := m.GetIsEnabled(); e != nil {
		s.Enabled = *e
	}
	return s
}

func preAuthFromModel(m models.PreAuthorizedApplicationable) PreAuthorizedApplication {
	return PreAuthorizedApplication{
		AppID:                  Deref(m.GetAppId()),
		DelegatedPermissionIDs: append([]string{}, m.GetDelegatedPermissionIds()...),
	}
}

// PatchBody builds the PATCH body carrying only the collections in cols, in full, as after holds
// them. Graph merges a PATCH at property level (also inside "api"), so collections left out stay as
// they are.
func PatchBody(after *State, cols Collection) (models.Applicationable, error) {
	body := models.NewApplication()
	if cols&ColURIs != 0 {
		body.SetIdentifierUris(append([]string{}, after.uris...))
	}
	if cols&(ColScopes|ColPreAuth) != 0 {
		api := models.NewApiApplication()
		if cols&ColScopes != 0 {
			scopes := make([]models.PermissionScopeable, 0, len(after.scopes))
			for _, s := range after.scopes {
				m, err := scopeToModel(s)
				if err != nil {
					return nil, err
				}
				scopes = append(scopes, m)
			}
			api.SetOauth2PermissionScopes(scopes)
		}
		if cols&ColPreAuth != 0 {
			entries := make([]models.PreAuthorizedApplicationable, 0, len(after.preAuth))
			for _, p := range after.preAuth {
				entries = append(entries, preAuthToModel(p))
			}
			api.SetPreAuthorizedApplications(entries)
		}
		body.SetApi(api)
	}
	return body, nil
}

// scopeToModel returns the model to send for a scope: the model as read when nothing changed;
// otherwise a copy of it (keeping origin, @odata.type and unknown properties) with only the
// changed fields replaced; a fresh model for a new scope.
func scopeToModel(e scopeEntry) (models.PermissionScopeable, error) {
	raw, _ := e.raw.(models.PermissionScopeable)
	fresh, s := raw == nil, e.PermissionScope
	if fresh {
		raw = models.NewPermissionScope() // nothing read: every field below is taken from s
	}
	old := scopeFromModel(raw)
	if !fresh && old == s {
		return raw, nil
	}
	m := models.NewPermissionScope()
	if !fresh {
		m.SetAdditionalData(maps.Clone(raw.GetAdditionalData()))
		m.SetOrigin(raw.GetOrigin())
		m.SetOdataType(raw.GetOdataType())
	}
	m.SetId(raw.GetId())
	if fresh || old.ID != s.ID {
		id, err := uuid.Parse(s.ID)
		if err != nil {
			return nil, fmt.Errorf("permission scope id %q is not a GUID: %w", s.ID, err)
		}
		m.SetId(&id)
	}
	// Every text as read when it is unchanged, else as wanted.
	text := func(set func(*string), read func() *string, oldV, newV string) {
		if fresh || oldV != newV {
			read = func() *string { return &newV }
		}
		set(read())
	}
	text(m.SetValue, raw.GetValue, old.Value, s.Value)
	text(m.SetTypeEscaped, raw.GetTypeEscaped, old.Type, s.Type)
	text(m.SetAdminConsentDisplayName, raw.GetAdminConsentDisplayName, old.AdminConsentDisplayName, s.AdminConsentDisplayName)
	text(m.SetAdminConsentDescription, raw.GetAdminConsentDescription, old.AdminConsentDescription, s.AdminConsentDescription)
	text(m.SetUserConsentDisplayName, raw.GetUserConsentDisplayName, old.UserConsentDisplayName, s.UserConsentDisplayName)
	text(m.SetUserConsentDescription, raw.GetUserConsentDescription, old.UserConsentDescription, s.UserConsentDescription)
	m.SetIsEnabled(raw.GetIsEnabled())
	if fresh || old.Enabled != s.Enabled {
		m.SetIsEnabled(&s.Enabled)
	}
	return m, nil
}

// preAuthToModel returns the model to send for a pre-authorized entry, following the same rules as
// scopeToModel.
func preAuthToModel(e preAuthEntry) models.PreAuthorizedApplicationable {
	raw, _ := e.raw.(models.PreAuthorizedApplicationable)
	m := models.NewPreAuthorizedApplication()
	if raw != nil {
		old := preAuthFromModel(raw)
		if old.AppID == e.AppID && slices.Equal(old.DelegatedPermissionIDs, e.DelegatedPermissionIDs) {
			return raw
		}
		m.SetAdditionalData(maps.Clone(raw.GetAdditionalData()))
		m.SetOdataType(raw.GetOdataType())
	}
	appID := e.AppID
	m.SetAppId(&appID)
	m.SetDelegatedPermissionIds(append([]string{}, e.DelegatedPermissionIDs...))
	return m
}

// ErrorFromSDK turns an error of the Graph SDK, answered at now, into the typed errors of this
// package (APIError, NotFoundError, ...). Errors that are not Graph answers (transport failures,
// context errors) and those already typed are returned unchanged.
func ErrorFromSDK(err error, now time.Time) error {
	var base APIError
	var odata *odataerrors.ODataError
	var kiota *abstractions.ApiError
	var headers *abstractions.ResponseHeaders
	if _, typed := AsAPIError(err); typed || err == nil {
		return err
	}
	switch {
	case errors.As(err, &odata):
		base.StatusCode, headers = odata.ResponseStatusCode, odata.ResponseHeaders
		if main := odata.GetErrorEscaped(); main != nil {
			base.Code, base.Message = Deref(main.GetCode()), Deref(main.GetMessage())
			if inner := main.GetInnerError(); inner != nil {
				base.RequestID, base.ClientRequestID = Deref(inner.GetRequestId()), Deref(inner.GetClientRequestId())
			}
		}
	case errors.As(err, &kiota):
		base.StatusCode, base.Message, headers = kiota.ResponseStatusCode, kiota.Message, kiota.ResponseHeaders
	default:
		return err
	}
	if headers != nil {
		first := func(name string) string {
			if v := headers.Get(name); len(v) > 0 {
				return v[0]
			}
			return ""
		}
		base.RequestID = cmp.Or(base.RequestID, first("request-id"))
		base.ClientRequestID = cmp.Or(base.ClientRequestID, first("client-request-id"))
		base.RetryAfter = retryafter.Parse(first("retry-after"), now)
	}
	return typedAPIError(base)
}

// Deref returns *s, or "" for nil.
func Deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
