package graphapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// spKind is the JSON type of a service principal property (Microsoft Learn, "servicePrincipal resource
// type", properties table).
type spKind int

const (
	spBool     spKind = iota // Boolean, not nullable
	spString                 // String, nullable
	spStrings                // String collection, not nullable
	spObject                 // a complex type, nullable
	spObjects                // a collection of a complex type, not nullable
	spReadOnly               // set by the directory: a body may repeat its current value only
)

// servicePrincipalProperties are the properties of a service principal the emulator serves, in Graph's
// order, with their kinds: the settable ones are those serviceprincipal-update lists and those azuread's
// service principal resource sends on create and update (description, loginUrl, notes,
// notificationEmailAddresses, samlSingleSignOnSettings); passwordCredentials cannot be set with PATCH
// ("Using PATCH to set passwordCredential is not supported"; the emulator refuses it as read-only).
var servicePrincipalProperties = []struct {
	name string
	kind spKind
}{
	{"id", spReadOnly}, {"deletedDateTime", spReadOnly}, {"accountEnabled", spBool}, {"addIns", spObjects},
	{"alternativeNames", spStrings}, {"appDescription", spReadOnly}, {"appDisplayName", spReadOnly},
	{"appId", spReadOnly}, {"applicationTemplateId", spReadOnly}, {"appOwnerOrganizationId", spReadOnly},
	{"appRoleAssignmentRequired", spBool}, {"appRoles", spObjects}, {"description", spString},
	{"disabledByMicrosoftStatus", spReadOnly}, {"displayName", spString}, {"homepage", spString},
	{"info", spObject}, {"keyCredentials", spObjects}, {"loginUrl", spString}, {"logoutUrl", spString},
	{"notes", spString}, {"notificationEmailAddresses", spStrings}, {"oauth2PermissionScopes", spObjects},
	{"passwordCredentials", spReadOnly}, {"preferredSingleSignOnMode", spString},
	{"preferredTokenSigningKeyThumbprint", spString}, {"replyUrls", spStrings},
	{"samlSingleSignOnSettings", spObject}, {"servicePrincipalNames", spStrings},
	{"servicePrincipalType", spReadOnly}, {"signInAudience", spReadOnly}, {"tags", spStrings},
	{"tokenEncryptionKeyId", spString}, {"verifiedPublisher", spReadOnly},
}

// betaServicePrincipalProperties are served on /beta only (azuread reads
// GET /beta/servicePrincipals/{id}?$select=samlMetadataUrl); v1.0 refuses them in $select as Graph does.
var betaServicePrincipalProperties = []string{"samlMetadataUrl"}

func servicePrincipalProperty(name string) (string, spKind, bool) {
	for _, p := range servicePrincipalProperties {
		if strings.EqualFold(p.name, name) {
			return p.name, p.kind, true
		}
	}
	return "", 0, false
}

// servicePrincipalBody is a POST or PATCH body's service principal properties: settable ones checked
// against their kinds, read-only ones kept to compare with the current values (checkReadOnly).
type servicePrincipalBody struct {
	set      map[string]json.RawMessage
	readOnly map[string]json.RawMessage
}

// parseServicePrincipalBody reads a body: annotations ("@odata.type", "owners@odata.bind" on create)
// are skipped, an unknown property or a value of the wrong type is Graph's 400 and nothing is stored.
func parseServicePrincipalBody(body []byte) (servicePrincipalBody, *graphError) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil || doc == nil {
		return servicePrincipalBody{}, newError(http.StatusBadRequest, CodeBadRequest, "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	out := servicePrincipalBody{set: map[string]json.RawMessage{}, readOnly: map[string]json.RawMessage{}}
	for key, raw := range doc {
		if strings.Contains(key, "@odata.") {
			continue
		}
		name, kind, ok := servicePrincipalProperty(key)
		if !ok {
			return servicePrincipalBody{}, newError(http.StatusBadRequest, CodeRequestBadRequest, fmt.Sprintf("Property '%s' does not exist as a declared property or extension property.", key))
		}
		if kind == spReadOnly {
			out.readOnly[name] = raw
			continue
		}
		if gerr := checkKind(name, kind, raw); gerr != nil {
			return servicePrincipalBody{}, gerr
		}
		out.set[name] = raw
	}
	return out, nil
}

func checkKind(name string, kind spKind, raw json.RawMessage) *graphError {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return newError(http.StatusBadRequest, CodeBadRequest, "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	ok, want := false, ""
	switch kind {
	case spBool:
		_, ok = v.(bool)
		want = "Edm.Boolean"
	case spString:
		_, isString := v.(string)
		ok, want = isString || v == nil, "Edm.String"
	case spObject:
		_, isObject := v.(map[string]any)
		ok, want = isObject || v == nil, "an object"
	case spStrings, spObjects:
		list, isList := v.([]any)
		ok, want = isList, "a collection"
		for _, e := range list {
			_, isString := e.(string)
			_, isObject := e.(map[string]any)
			if kind == spStrings && !isString || kind == spObjects && !isObject {
				ok = false
			}
		}
	}
	if !ok {
		return newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Invalid value for property '%s': expected %s, got JSON %s.", name, want, bytes.TrimSpace(raw)))
	}
	return nil
}

// checkReadOnly refuses a read-only property whose value differs from the current one, as the
// emulator's application PATCH does (directory.Merge).
func (b servicePrincipalBody) checkReadOnly(current map[string]any) *graphError {
	for name, raw := range b.readOnly {
		cur, err := json.Marshal(current[name])
		if err != nil {
			return internal(err)
		}
		var x, y any
		if json.Unmarshal(raw, &x) != nil || json.Unmarshal(cur, &y) != nil || !jsonEqualValues(x, y) {
			return newError(http.StatusBadRequest, CodeRequestBadRequest, fmt.Sprintf("Property '%s' is read-only and cannot be set.", name))
		}
	}
	return nil
}

func jsonEqualValues(x, y any) bool {
	a, _ := json.Marshal(x)
	b, _ := json.Marshal(y)
	if s1, ok := x.(string); ok {
		if s2, ok := y.(string); ok {
			return strings.EqualFold(s1, s2) // ids compare case-insensitively
		}
	}
	return bytes.Equal(a, b)
}

// apply returns props with the body's settable properties replacing theirs (a collection sent replaces
// the whole collection, as on applications).
func (b servicePrincipalBody) apply(props map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(props)+len(b.set))
	for k, v := range props {
		out[k] = v
	}
	for k, v := range b.set {
		out[k] = append(json.RawMessage(nil), v...)
	}
	return out
}

// servicePrincipalDefaults is a service principal's full shape as Graph returns it, from its
// application: the properties nobody set take the values Graph gives a new service principal (enabled,
// empty collections, nulls), and those that mirror the application (appDisplayName, appRoles,
// oauth2PermissionScopes, servicePrincipalNames: the appId and the identifier URIs, signInAudience)
// follow it.
func (a *API) servicePrincipalDefaults(rec *directory.Record) map[string]any {
	app := &rec.Application
	names := append([]string{app.AppID}, app.IdentifierURIs...)
	scopes := any(app.API.OAuth2PermissionScopes)
	if app.API.OAuth2PermissionScopes == nil {
		scopes = []any{}
	}
	roles := any(app.AppRoles)
	if app.AppRoles == nil {
		roles = []any{}
	}
	name := ""
	if app.DisplayName != nil {
		name = *app.DisplayName
	}
	return map[string]any{
		"id": rec.ServicePrincipalID, "deletedDateTime": nil, "accountEnabled": true, "addIns": []any{},
		"alternativeNames": []string{}, "appDescription": nil, "appDisplayName": name, "appId": app.AppID,
		"applicationTemplateId": nil, "appOwnerOrganizationId": a.cfg.Directory.TenantID(),
		"appRoleAssignmentRequired": false, "appRoles": roles, "description": nil,
		"disabledByMicrosoftStatus": nil, "displayName": name, "homepage": nil, "info": nil,
		"keyCredentials": []any{}, "loginUrl": nil, "logoutUrl": nil, "notes": nil,
		"notificationEmailAddresses": []string{}, "oauth2PermissionScopes": scopes, "passwordCredentials": []any{},
		"preferredSingleSignOnMode": nil, "preferredTokenSigningKeyThumbprint": nil, "replyUrls": []string{},
		"samlSingleSignOnSettings": nil, "servicePrincipalNames": names, "servicePrincipalType": "Application",
		"signInAudience": app.SignInAudience, "tags": []string{}, "tokenEncryptionKeyId": nil,
		"verifiedPublisher": map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil},
	}
}

// patchServicePrincipal answers PATCH /servicePrincipals/{id} and PATCH servicePrincipals(appId='…')
// (serviceprincipal-update): 204; app-only callers need Application.ReadWrite.OwnedBy as an owner (of
// the service principal or its application, as for DELETE), Application.ReadWrite.All or
// Directory.ReadWrite.All; delegated callers an application administrator role or ownership. An
// unknown property, a wrong type or a changed read-only property is a 400 and nothing is stored.
func (a *API) patchServicePrincipal(w http.ResponseWriter, r *http.Request, c Caller, byID string, byAppID string) *graphError {
	var rec *directory.Record
	if byID != "" {
		found, ok := a.cfg.Directory.ServicePrincipal(byID, directory.Replica)
		if !ok {
			return objectNotFound(byID)
		}
		rec = found
	} else {
		if byAppID == "" {
			return newError(http.StatusBadRequest, CodeBadRequest, "The key value for appId is empty.")
		}
		found, err := a.cfg.Directory.GetByAppID(byAppID, directory.Replica)
		if err != nil || !hasServicePrincipal(found) {
			return objectNotFound(byAppID)
		}
		rec = found
	}
	if !canWrite(c, ownsEntity(rec, true, c.ObjectID) || rec.IsOwner(c.ObjectID)) {
		return accessDenied()
	}
	_, body, gerr := parsedBody(r, parseServicePrincipalBody)
	if gerr != nil {
		return gerr
	}
	var ruleErr *graphError
	// The update function runs under the directory's lock: servicePrincipalJSON reads only the tenant ID.
	_, err := a.cfg.Directory.Update(directory.Ref{ObjectID: rec.Application.ID}, directory.Primary, func(_, current *directory.Record) (directory.Record, error) {
		if !hasServicePrincipal(current) {
			ruleErr = objectNotFound(current.ServicePrincipalID)
			return directory.Record{}, ruleErr
		}
		if e := body.checkReadOnly(a.servicePrincipalJSON(current, nil)); e != nil {
			ruleErr = e
			return directory.Record{}, e
		}
		next := current.Clone()
		next.ServicePrincipalProperties = body.apply(current.ServicePrincipalProperties)
		return next, nil
	})
	if ruleErr != nil {
		return ruleErr
	}
	if err != nil {
		return a.directoryError(err, directory.Ref{ObjectID: rec.ServicePrincipalID})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
