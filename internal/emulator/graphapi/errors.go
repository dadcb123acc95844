package graphapi

import (
	"encoding/json"
	"net/http"
	"time"
)

// Graph error codes and messages the emulator answers with, spelled as Microsoft Graph spells them.
const (
	CodeBadRequest            = "BadRequest"
	CodeRequestBadRequest     = "Request_BadRequest"
	CodeNotFound              = "Request_ResourceNotFound"
	CodeUnsupportedQuery      = "Request_UnsupportedQuery"
	CodeAccessDenied          = "Authorization_RequestDenied"
	CodeInvalidToken          = "InvalidAuthenticationToken"
	CodeEnabledEntitlement    = "CannotDeleteOrUpdateEnabledEntitlement"
	CodeHostNameNotVerified   = "HostNameNotOnVerifiedDomain"
	CodeConcurrencyViolation  = "Directory_ConcurrencyViolation"
	CodeTooManyRequests       = "TooManyRequests"
	CodeServiceNotAvailable   = "serviceNotAvailable"
	CodeGatewayTimeout        = "gatewayTimeout"
	CodeMethodNotAllowed      = "Request_MethodNotAllowed"
	CodeRequestEntityTooLarge = "RequestEntityTooLarge"

	MsgEnabledEntitlement   = "Permission (scope or role) cannot be deleted or updated unless disabled first."
	MsgUnknownPermissionID  = "Property api.preAuthorizedApplications.delegatedPermissionIds has a Permission Id that cannot be found in the AppPermissions sets."
	MsgIdentifierURIExists  = "Another object with the same value for property identifierUris already exists."
	MsgAccessDenied         = "Insufficient privileges to complete the operation."
	MsgConcurrency          = "Error due to concurrent requests being made to the tenant. Please wait briefly and retry."
	MsgTooManyRequests      = "Too many requests."
	MsgServiceNotAvailable  = "Service is temporarily unavailable. Please try again later."
	MsgGatewayTimeout       = "The gateway did not receive a timely response from the upstream service."
	MsgTokenEmpty           = "Access token is empty."
	MsgTokenInvalid         = "Access token validation failure."
	MsgTokenExpired         = "Lifetime validation failed, the token is expired."
	MsgTokenAudience        = "Access token validation failure. Invalid audience."
	msgHostNameNotVerifiedF = "Values of identifierUris property must use a verified domain of the organization or its subdomain: '%s'"
	// The identifier URI restrictions of the tenant's app management policy. The messages are Microsoft
	// Learn's ("Restrictions on identifier URIs of Microsoft Entra applications" and the
	// entra-apps-identifier-uri-protection guidance it links). InvalidUniqueTenantIdentifierAsPerAppPolicy is the
	// code reported from tenants for the first; the code of the second is not documented (Request_BadRequest
	// here, see the fidelity page).
	CodeUniqueTenantIdentifierPolicy = "InvalidUniqueTenantIdentifierAsPerAppPolicy"
	CodeNonDefaultURIPolicy          = CodeRequestBadRequest
	MsgUniqueTenantIdentifierPolicyF = "Failed to add identifier URI %s. All newly added URIs must contain a tenant verified domain, tenant ID, or app ID, as per the default tenant policy of your organization. See https://aka.ms/identifier-uri-addition-error for more information on this error."
	MsgNonDefaultURIPolicyF          = "The newly added URI %s must comply with the format 'api://{appId}' or 'api://{tenantId}/{appId}' as per the default app management policy of your organization. If the requestedAccessTokenVersion is set to 2, this restriction may not apply. See https://aka.ms/identifier-uri-addition-error for more information on this error."
	msgNotFoundF                     = "Resource '%s' does not exist or one of its queried reference-property objects are not present."
)

// graphError is an error answered to the client in Graph's error shape.
type graphError struct {
	Status  int
	Code    string
	Message string
}

func (e *graphError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, message string) *graphError {
	return &graphError{Status: status, Code: code, Message: message}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	Date            string `json:"date"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
}

// writeError writes e in Graph's error shape. The request ids must already be in the response headers.
func writeError(w http.ResponseWriter, now time.Time, e *graphError) {
	body := errorBody{Error: errorDetail{
		Code:    e.Code,
		Message: e.Message,
		InnerError: innerError{
			Date:            now.UTC().Format("2006-01-02T15:04:05"),
			RequestID:       w.Header().Get("request-id"),
			ClientRequestID: w.Header().Get("client-request-id"),
		},
	}}
	raw, err := json.Marshal(body)
	if err != nil {
		http.Error(w, "internal error encoding a Graph error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(raw)
}
