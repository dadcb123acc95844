package entra

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/jsonhttp"
)

// Sentinel errors returned by Service.Verify. Exactly one of them matches any error Verify returns, so a
// caller can tell an expired token from a token for another audience from any other defect.
var (
	// ErrInvalidToken reports a token that is malformed, not signed by this service, issued by another
	// issuer or tenant, or not yet valid.
	ErrInvalidToken = errors.New("invalid token")
	// ErrExpired reports a well-formed, correctly signed token whose "exp" has passed.
	ErrExpired = errors.New("token expired")
	// ErrWrongAudience reports a valid token issued for an audience other than the ones asked for.
	ErrWrongAudience = errors.New("token audience not accepted")
)

// stsError is one error reply of the token endpoint, in Entra ID's shape.
type stsError struct {
	status      int
	code        string // OAuth error, e.g. "invalid_client"
	aadsts      int    // AADSTS number, e.g. 7000215
	description string // text after "AADSTSnnn: "
}

// Constructors for every error the token service returns. Texts follow Entra ID's own messages, so a
// user who searches for one finds the real documentation.

func errTenantNotFound(tenant string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf(
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. "+
			"Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)}
}

func errMissingParameter(name string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 900144, fmt.Sprintf(
		"The request body must contain the following parameter: '%s'.", name)}
}

func errPostOnly(method string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 900561, fmt.Sprintf(
		"The endpoint only accepts POST, OPTIONS requests. Received a %s request.", method)}
}

func errMalformedRequest(reason string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid. " + reason}
}

func errUnsupportedGrant(grant string) *stsError {
	return &stsError{http.StatusBadRequest, "unsupported_grant_type", 70003, fmt.Sprintf(
		"The app requested an unsupported grant type '%s'. This token endpoint supports only 'client_credentials'.", grant)}
}

func errCommonTenant(appID, tenant string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 50194, fmt.Sprintf(
		"Application '%s' is not configured as a multi-tenant application. Usage of the /%s endpoint is not supported for such applications. "+
			"Use a tenant-specific endpoint or configure the application to be multi-tenant.", appID, tenant)}
}

func errScopeNotValid(scope string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_scope", 70011, fmt.Sprintf(
		"The provided value for the input parameter 'scope' is not valid. The scope '%s' is not valid. "+
			"A client credentials request must name exactly one resource as '<resource>/.default'.", scope)}
}

func errScopeNotDefault(scope string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf(
		"The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default "+
			"suffixed to the resource identifier (application ID URI).", scope)}
}

func errUnknownClient(appID, tenant string) *stsError {
	return &stsError{http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
		"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been "+
			"installed by the administrator of the tenant or consented to by any user in the tenant. "+
			"You may have sent your authentication request to the wrong tenant.", appID, tenant)}
}

// errMissingServicePrincipal is Entra's answer to a client credentials request of an application with
// no service principal in the tenant: 401 invalid_client, AADSTS7000229 (Microsoft Learn, Teams SDK
// "Authentication Troubleshooting", "Missing Service Principal in the Tenant", quotes the reply). Whether
// Entra checks it before or after the client's credential is not documented; the emulator checks the
// credential first.
func errMissingServicePrincipal(appID, tenant string) *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 7000229, fmt.Sprintf(
		"The client application %s is missing service principal in the tenant %s. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119", appID, tenant)}
}

func errNoCredential() *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 7000218,
		"The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
}

func errTwoCredentials() *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 9002313,
		"Invalid request. Request is malformed or invalid. Send either 'client_secret' or 'client_assertion', not both."}
}

func errBadAssertionType(got string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 9002313, fmt.Sprintf(
		"Invalid request. Request is malformed or invalid. client_assertion_type must be '%s', got '%s'.", assertionTypeJWTBearer, got)}
}

func errBadSecret(appID string) *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
		"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, "+
			"not the client secret ID, for a secret added to app '%s'.", appID)}
}

func errMalformedAssertion(reason string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 50027, "JWT token is invalid or malformed. " + reason}
}

func errAssertionKeyNotFound(thumbprint, appID string) *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 700027, fmt.Sprintf(
		"Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '%s', "+
			"Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]", thumbprint, appID)}
}

func errAssertionKeyExpired(thumbprint string) *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 700027, fmt.Sprintf(
		"Client assertion failed signature validation. [Reason - The key used is expired., Thumbprint of key used by client: '%s']", thumbprint)}
}

func errAssertionSignature(reason string) *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 700027, fmt.Sprintf(
		"Client assertion failed signature validation. [Reason - %s]", reason)}
}

func errAssertionClientMismatch() *stsError {
	return &stsError{http.StatusBadRequest, "invalid_client", 700021,
		"Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at " +
			"https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."}
}

func errAssertionAudience(got, want string) *stsError {
	return &stsError{http.StatusUnauthorized, "invalid_client", 700023, fmt.Sprintf(
		"Client assertion audience claim does not match Realm issuer. The audience was '%s'; expected '%s'. Review the documentation at "+
			"https://learn.microsoft.com/entra/identity-platform/certificate-credentials .", got, want)}
}

func errAssertionTime(now, nbf, exp time.Time) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_client", 700024, fmt.Sprintf(
		"Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. "+
			"Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
		stsTime(now), stsTime(nbf), stsTime(exp))}
}

func errNoFederatedRecord(iss, sub, aud string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_request", 70021, fmt.Sprintf(
		"No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'. "+
			"Assertion Audience: '%s'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation", iss, sub, aud)}
}

// errFederatedMismatch is the refusal of a federated assertion whose issuer (AADSTS700211), audience
// (700212) or subject (700213) no federated identity credential of the application matches: one text,
// naming the claim and its value.
func errFederatedMismatch(aadsts int, claim, value string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_client", aadsts, fmt.Sprintf(
		"No matching federated identity record found for presented assertion %s '%s'. Please check your federated identity "+
			"credential Subject, Audience and Issuer against the presented assertion. "+
			"https://learn.microsoft.com/entra/workload-id/workload-identity-federation", claim, value)}
}

func errFederatedIssuer(iss string) *stsError { return errFederatedMismatch(700211, "issuer", iss) }

func errFederatedAudience(aud string) *stsError { return errFederatedMismatch(700212, "audience", aud) }

func errFederatedSubject(sub string) *stsError { return errFederatedMismatch(700213, "subject", sub) }

func errExternalIssuer(iss string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_client", 50166, fmt.Sprintf(
		"Request to External OIDC endpoint failed. The issuer '%s' is not one of the emulator's OIDC issuers and the emulator "+
			"does not contact other issuers.", iss)}
}

func errUnknownResource(resource, tenant string) *stsError {
	return &stsError{http.StatusBadRequest, "invalid_resource", 500011, fmt.Sprintf(
		"The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been "+
			"installed by the administrator of the tenant or consented to by any user in the tenant. "+
			"You might have sent your authentication request to the wrong tenant.", resource, tenant)}
}

// stsTime formats t like Entra ID's error descriptions.
func stsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// write sends e with fresh trace and correlation IDs (the correlation ID echoes the client's
// client-request-id header, as Entra ID does).
func (e *stsError) write(w http.ResponseWriter, r *http.Request, now time.Time, baseURL string) {
	traceID := newGUID()
	correlationID := r.Header.Get("client-request-id")
	if !directory.IsGUID(correlationID) {
		correlationID = newGUID()
	}
	ts := now.UTC().Format("2006-01-02 15:04:05Z")
	body := struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		ErrorCodes       []int  `json:"error_codes"`
		Timestamp        string `json:"timestamp"`
		TraceID          string `json:"trace_id"`
		CorrelationID    string `json:"correlation_id"`
		ErrorURI         string `json:"error_uri"`
	}{
		Error: e.code,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			e.aadsts, e.description, traceID, correlationID, ts),
		ErrorCodes:    []int{e.aadsts},
		Timestamp:     ts,
		TraceID:       traceID,
		CorrelationID: correlationID,
		ErrorURI:      baseURL + "/error?code=" + strconv.Itoa(e.aadsts),
	}
	w.Header().Set("x-ms-request-id", traceID)
	w.Header().Set("client-request-id", correlationID)
	writeJSON(w, e.status, body)
}

// Error makes stsError usable as an error inside the package.
func (e *stsError) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.aadsts, e.description) }

// writeJSON writes v as the JSON body of a no-store response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	jsonhttp.Write(w, status, v, "Content-Type", "application/json; charset=utf-8", "Cache-Control", "no-store, no-cache", "Pragma", "no-cache")
}

// newGUID returns a random (version 4) GUID in its lower-case textual form.
func newGUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // crypto/rand.Read never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
