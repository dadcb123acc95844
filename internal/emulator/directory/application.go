package directory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Application is the Microsoft Graph v1.0 application resource in its default shape: every property a
// GET returns without $select, in Graph's order, with collections that are never null.
//
// The JSON names are Graph's. Nullable scalars are pointers so that they serialize as null, as Graph does.
// Call Normalize after decoding so that every collection is an empty array rather than null.
type Application struct {
	ID                              string               `json:"id"`
	DeletedDateTime                 *string              `json:"deletedDateTime"`
	AppID                           string               `json:"appId"`
	ApplicationTemplateID           *string              `json:"applicationTemplateId"`
	DisabledByMicrosoftStatus       *string              `json:"disabledByMicrosoftStatus"`
	CreatedDateTime                 *string              `json:"createdDateTime"`
	DisplayName                     *string              `json:"displayName"`
	Description                     *string              `json:"description"`
	GroupMembershipClaims           *string              `json:"groupMembershipClaims"`
	IdentifierURIs                  []string             `json:"identifierUris"`
	IsDeviceOnlyAuthSupported       *bool                `json:"isDeviceOnlyAuthSupported"`
	IsFallbackPublicClient          *bool                `json:"isFallbackPublicClient"`
	NativeAuthenticationAPIsEnabled *string              `json:"nativeAuthenticationApisEnabled"`
	Notes                           *string              `json:"notes"`
	OAuth2RequirePostResponse       bool                 `json:"oauth2RequirePostResponse"`
	PublisherDomain                 *string              `json:"publisherDomain"`
	ServiceManagementReference      *string              `json:"serviceManagementReference"`
	SignInAudience                  *string              `json:"signInAudience"`
	Tags                            []string             `json:"tags"`
	TokenEncryptionKeyID            *string              `json:"tokenEncryptionKeyId"`
	UniqueName                      *string              `json:"uniqueName"`
	SAMLMetadataURL                 *string              `json:"samlMetadataUrl"`
	DefaultRedirectURI              *string              `json:"defaultRedirectUri"`
	Certification                   json.RawMessage      `json:"certification"`
	OptionalClaims                  json.RawMessage      `json:"optionalClaims"`
	ServicePrincipalLockConfig      json.RawMessage      `json:"servicePrincipalLockConfiguration"`
	RequestSignatureVerification    json.RawMessage      `json:"requestSignatureVerification"`
	AddIns                          []json.RawMessage    `json:"addIns"`
	API                             API                  `json:"api"`
	AppRoles                        []AppRole            `json:"appRoles"`
	Info                            Info                 `json:"info"`
	KeyCredentials                  []KeyCredential      `json:"keyCredentials"`
	ParentalControlSettings         ParentalControl      `json:"parentalControlSettings"`
	PasswordCredentials             []PasswordCredential `json:"passwordCredentials"`
	PublicClient                    RedirectURIs         `json:"publicClient"`
	RequiredResourceAccess          []RequiredAccess     `json:"requiredResourceAccess"`
	VerifiedPublisher               VerifiedPublisher    `json:"verifiedPublisher"`
	Web                             Web                  `json:"web"`
	SPA                             RedirectURIs         `json:"spa"`
}

// API is the application's apiApplication complex property: the scopes it exposes and the clients that
// may use them without consent.
type API struct {
	AcceptMappedClaims          *bool              `json:"acceptMappedClaims"`
	KnownClientApplications     []string           `json:"knownClientApplications"`
	RequestedAccessTokenVersion *int               `json:"requestedAccessTokenVersion"`
	OAuth2PermissionScopes      []PermissionScope  `json:"oauth2PermissionScopes"`
	PreAuthorizedApplications   []PreAuthorizedApp `json:"preAuthorizedApplications"`
}

// PermissionScope is a delegated permission (OAuth2 scope) the application exposes.
type PermissionScope struct {
	AdminConsentDescription *string `json:"adminConsentDescription"`
	AdminConsentDisplayName *string `json:"adminConsentDisplayName"`
	ID                      string  `json:"id"`
	IsEnabled               bool    `json:"isEnabled"`
	Origin                  *string `json:"origin,omitempty"`
	Type                    *string `json:"type"`
	UserConsentDescription  *string `json:"userConsentDescription"`
	UserConsentDisplayName  *string `json:"userConsentDisplayName"`
	Value                   *string `json:"value"`
}

// PreAuthorizedApp is a client application pre-authorized for some of the application's scopes.
type PreAuthorizedApp struct {
	AppID                  string   `json:"appId"`
	DelegatedPermissionIDs []string `json:"delegatedPermissionIds"`
}

// AppRole is an application role the application declares.
type AppRole struct {
	AllowedMemberTypes []string `json:"allowedMemberTypes"`
	Description        *string  `json:"description"`
	DisplayName        *string  `json:"displayName"`
	ID                 string   `json:"id"`
	IsEnabled          bool     `json:"isEnabled"`
	Origin             *string  `json:"origin,omitempty"`
	Value              *string  `json:"value"`
}

// Info holds the application's informational URLs.
type Info struct {
	LogoURL             *string `json:"logoUrl"`
	MarketingURL        *string `json:"marketingUrl"`
	PrivacyStatementURL *string `json:"privacyStatementUrl"`
	SupportURL          *string `json:"supportUrl"`
	TermsOfServiceURL   *string `json:"termsOfServiceUrl"`
}

// KeyCredential is the public metadata of a certificate registered on the application.
type KeyCredential struct {
	CustomKeyIdentifier *string `json:"customKeyIdentifier"`
	DisplayName         *string `json:"displayName"`
	EndDateTime         *string `json:"endDateTime"`
	Key                 *string `json:"key"`
	KeyID               string  `json:"keyId"`
	StartDateTime       *string `json:"startDateTime"`
	Type                *string `json:"type"`
	Usage               *string `json:"usage"`
}

// PasswordCredential is the public metadata of a client secret; Graph never returns the secret text on reads.
type PasswordCredential struct {
	CustomKeyIdentifier *string `json:"customKeyIdentifier"`
	DisplayName         *string `json:"displayName"`
	EndDateTime         *string `json:"endDateTime"`
	Hint                *string `json:"hint"`
	KeyID               string  `json:"keyId"`
	SecretText          *string `json:"secretText"`
	StartDateTime       *string `json:"startDateTime"`
}

// ParentalControl is the application's parentalControlSettings complex property.
type ParentalControl struct {
	CountriesBlockedForMinors []string `json:"countriesBlockedForMinors"`
	LegalAgeGroupRule         *string  `json:"legalAgeGroupRule"`
}

// RedirectURIs is the shape of the publicClient and spa complex properties.
type RedirectURIs struct {
	RedirectURIs []string `json:"redirectUris"`
}

// RequiredAccess is one requiredResourceAccess entry: permissions the application requests on a resource.
type RequiredAccess struct {
	ResourceAppID  string           `json:"resourceAppId"`
	ResourceAccess []ResourceAccess `json:"resourceAccess"`
}

// ResourceAccess is one permission in a requiredResourceAccess entry.
type ResourceAccess struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// VerifiedPublisher is the application's verifiedPublisher complex property.
type VerifiedPublisher struct {
	DisplayName         *string `json:"displayName"`
	VerifiedPublisherID *string `json:"verifiedPublisherId"`
	AddedDateTime       *string `json:"addedDateTime"`
}

// Web is the application's web complex property.
type Web struct {
	HomePageURL           *string           `json:"homePageUrl"`
	LogoutURL             *string           `json:"logoutUrl"`
	RedirectURIs          []string          `json:"redirectUris"`
	ImplicitGrantSettings ImplicitGrant     `json:"implicitGrantSettings"`
	RedirectURISettings   []json.RawMessage `json:"redirectUriSettings"`
}

// ImplicitGrant is the web.implicitGrantSettings complex property.
type ImplicitGrant struct {
	EnableAccessTokenIssuance bool `json:"enableAccessTokenIssuance"`
	EnableIDTokenIssuance     bool `json:"enableIdTokenIssuance"`
}

// ReadOnlyProperties are the application properties a client may not change; a PATCH may repeat their
// current value but not alter it.
var ReadOnlyProperties = []string{"id", "appId", "createdDateTime", "deletedDateTime", "publisherDomain", "passwordCredentials", "keyCredentials"}

// Normalize replaces every nil collection with an empty one, so the JSON form never has a null array.
func (a *Application) Normalize() {
	a.lowerGUIDs()
	a.IdentifierURIs = nonNil(a.IdentifierURIs)
	a.Tags = nonNil(a.Tags)
	a.AddIns = nonNil(a.AddIns)
	a.AppRoles = nonNil(a.AppRoles)
	for i := range a.AppRoles {
		a.AppRoles[i].AllowedMemberTypes = nonNil(a.AppRoles[i].AllowedMemberTypes)
	}
	a.KeyCredentials = nonNil(a.KeyCredentials)
	a.PasswordCredentials = nonNil(a.PasswordCredentials)
	a.RequiredResourceAccess = nonNil(a.RequiredResourceAccess)
	for i := range a.RequiredResourceAccess {
		a.RequiredResourceAccess[i].ResourceAccess = nonNil(a.RequiredResourceAccess[i].ResourceAccess)
	}
	a.API.KnownClientApplications = nonNil(a.API.KnownClientApplications)
	a.API.OAuth2PermissionScopes = nonNil(a.API.OAuth2PermissionScopes)
	a.API.PreAuthorizedApplications = nonNil(a.API.PreAuthorizedApplications)
	for i := range a.API.PreAuthorizedApplications {
		a.API.PreAuthorizedApplications[i].DelegatedPermissionIDs = nonNil(a.API.PreAuthorizedApplications[i].DelegatedPermissionIDs)
	}
	a.ParentalControlSettings.CountriesBlockedForMinors = nonNil(a.ParentalControlSettings.CountriesBlockedForMinors)
	if a.ParentalControlSettings.LegalAgeGroupRule == nil {
		a.ParentalControlSettings.LegalAgeGroupRule = ptr("Allow")
	}
	a.PublicClient.RedirectURIs = nonNil(a.PublicClient.RedirectURIs)
	a.SPA.RedirectURIs = nonNil(a.SPA.RedirectURIs)
	a.Web.RedirectURIs = nonNil(a.Web.RedirectURIs)
	a.Web.RedirectURISettings = nonNil(a.Web.RedirectURISettings)
	if a.SignInAudience == nil {
		a.SignInAudience = ptr("AzureADMyOrg")
	}
	for i := range a.API.OAuth2PermissionScopes {
		if a.API.OAuth2PermissionScopes[i].Origin == nil {
			a.API.OAuth2PermissionScopes[i].Origin = ptr("Application")
		}
	}
	for i := range a.AppRoles {
		if a.AppRoles[i].Origin == nil {
			a.AppRoles[i].Origin = ptr("Application")
		}
	}
}

// Clone returns a deep copy of the application.
func (a *Application) Clone() Application {
	out := jsonClone(*a, "application")
	out.Normalize()
	return out
}

// jsonClone returns a deep copy of v made through its JSON form; what names v in the panic of a value
// that does not round-trip (a programming error).
func jsonClone[T any](v T, what string) T {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("directory: marshal %s: %v", what, err))
	}
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(fmt.Sprintf("directory: unmarshal %s: %v", what, err))
	}
	return out
}

// PropertyNames lists the application's top-level JSON property names in Graph's order.
func PropertyNames() []string { return propertyNames }

var propertyNames = func() []string {
	t := reflect.TypeOf(Application{})
	names := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}()

// HasProperty reports whether name is a top-level property of the application (case-sensitive, as Graph's
// JSON names are).
func HasProperty(name string) bool {
	for _, p := range propertyNames {
		if p == name {
			return true
		}
	}
	return false
}

// PatchError is a PATCH body that cannot be applied: an unknown property, a read-only property changed, a
// value of the wrong type. Its message is meant for the client.
type PatchError struct{ Message string }

func (e *PatchError) Error() string { return e.Message }

// ErrMalformedBody reports a request body that is not a JSON object.
var ErrMalformedBody = errors.New("malformed JSON body")

// Merge applies a Graph PATCH body to app and returns the result, leaving app untouched. Properties absent
// from the body are kept; complex properties (such as api or web) are merged property by property;
// collections and scalars that are present replace the old value. "@odata.*" annotations at any level are
// ignored. Read-only properties may be repeated with their current value only.
func Merge(app Application, body []byte) (Application, error) {
	patch, err := decodeObject(body)
	if err != nil {
		return Application{}, err
	}
	current, err := toTree(app)
	if err != nil {
		return Application{}, err
	}
	for _, name := range ReadOnlyProperties {
		v, ok := patch[name]
		if !ok {
			continue
		}
		if !jsonEqual(v, current[name]) {
			return Application{}, &PatchError{Message: fmt.Sprintf("Property '%s' is read-only and cannot be set.", name)}
		}
		delete(patch, name)
	}
	merged := mergeTree(current, patch)
	return fromTree(merged)
}

// Decode parses a full application document (as sent to POST or kept in a seed), rejecting unknown
// properties, and normalizes it.
func Decode(body []byte) (Application, error) {
	tree, err := decodeObject(body)
	if err != nil {
		return Application{}, err
	}
	return fromTree(tree)
}

func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedBody, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON value", ErrMalformedBody)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the body is not a JSON object", ErrMalformedBody)
	}
	stripAnnotations(obj)
	return obj, nil
}

// stripAnnotations removes "@odata.*" instance annotations (and any "x@odata.*" property annotations) at
// every level.
func stripAnnotations(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if strings.Contains(k, "@odata.") {
				delete(t, k)
				continue
			}
			t[k] = stripAnnotations(child)
		}
		return t
	case []any:
		for i := range t {
			t[i] = stripAnnotations(t[i])
		}
		return t
	default:
		return v
	}
}

func toTree(app Application) (map[string]any, error) {
	raw, err := json.Marshal(app)
	if err != nil {
		return nil, fmt.Errorf("marshal application: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("decode application: %w", err)
	}
	return tree, nil
}

func fromTree(tree map[string]any) (Application, error) {
	raw, err := json.Marshal(tree)
	if err != nil {
		return Application{}, fmt.Errorf("marshal merged application: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var app Application
	if err := dec.Decode(&app); err != nil {
		return Application{}, describeDecodeError(err)
	}
	app.Normalize()
	return app, nil
}

func describeDecodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "(root)"
		}
		return &PatchError{Message: fmt.Sprintf("Invalid value for property '%s': expected %s, got JSON %s.", field, typeErr.Type, typeErr.Value)}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return &PatchError{Message: fmt.Sprintf("Property '%s' does not exist as a declared property or extension property.", strings.Trim(name, `"`))}
	}
	return &PatchError{Message: "Invalid request body: " + msg}
}

// mergeTree merges patch into base following OData PATCH semantics for complex values: objects merge
// recursively, everything else (arrays, scalars, null) replaces.
func mergeTree(base, patch map[string]any) map[string]any {
	for k, pv := range patch {
		pObj, pIsObj := pv.(map[string]any)
		bObj, bIsObj := base[k].(map[string]any)
		if pIsObj && bIsObj {
			base[k] = mergeTree(bObj, pObj)
			continue
		}
		base[k] = pv
	}
	return base
}

func jsonEqual(a, b any) bool {
	ra, err1 := json.Marshal(a)
	rb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ra, rb)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// lowerGUIDs stores every GUID of the application in lower case, as Graph answers GUIDs whatever case
// they were written in (a client that compares them exactly would see its own write as a change).
// Values that are not GUIDs are left as they are.
func (a *Application) lowerGUIDs() {
	lower := func(s *string) {
		if IsGUID(*s) {
			*s = strings.ToLower(*s)
		}
	}
	lower(&a.ID)
	lower(&a.AppID)
	for i := range a.API.OAuth2PermissionScopes {
		lower(&a.API.OAuth2PermissionScopes[i].ID)
	}
	for i := range a.API.PreAuthorizedApplications {
		p := &a.API.PreAuthorizedApplications[i]
		lower(&p.AppID)
		for j := range p.DelegatedPermissionIDs {
			lower(&p.DelegatedPermissionIDs[j])
		}
	}
	for i := range a.API.KnownClientApplications {
		lower(&a.API.KnownClientApplications[i])
	}
	for i := range a.AppRoles {
		lower(&a.AppRoles[i].ID)
	}
	for i := range a.RequiredResourceAccess {
		r := &a.RequiredResourceAccess[i]
		lower(&r.ResourceAppID)
		for j := range r.ResourceAccess {
			lower(&r.ResourceAccess[j].ID)
		}
	}
}
