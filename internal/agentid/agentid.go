// Package agentid derives the identifiers this provider gives an agent's app registration from the
// agent's client ID: the stable ID of its access_as_client scope and its default Application ID URI.
// It is the one place of both derivations; the resources and the provider functions use it.
package agentid

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// scopeIDNamespace is the UUIDv5 namespace of the stable access_as_client scope IDs. Never change it:
// existing configurations and Graph applications rely on the IDs derived from it.
var scopeIDNamespace = uuid.MustParse("6f1c2a4e-3b8d-5e7f-9a0b-1c2d3e4f5a6b")

// guidPattern is the form Entra shows client IDs in: 8-4-4-4-12 hexadecimal digits, any case.
var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// StableScopeID derives the access_as_client scope ID of the agent with client ID agentID, so that
// the ID is known at plan time and the same on every run. The client ID is compared case-insensitively.
// The caller must pass a client ID (see ScopeID for a checked variant).
func StableScopeID(agentID string) string {
	return uuid.NewSHA1(scopeIDNamespace, []byte(strings.ToLower(agentID)+"/access_as_client")).String()
}

// DefaultIdentifierURI is the portal's default Application ID URI of an application, api://<client ID>,
// in lower case.
func DefaultIdentifierURI(appID string) string { return "api://" + strings.ToLower(appID) }

// NotGUIDError is returned for a client ID that is not a GUID.
type NotGUIDError struct{ Value string }

func (e *NotGUIDError) Error() string {
	return fmt.Sprintf("%q is not a client (application) ID: expected a GUID in the form "+
		"00000000-0000-0000-0000-000000000000, as the Azure portal shows it under App registrations → Overview", e.Value)
}

// check returns the client ID in lower case, or a *NotGUIDError.
func check(clientID string) (string, error) {
	if !guidPattern.MatchString(clientID) {
		return "", &NotGUIDError{Value: clientID}
	}
	return strings.ToLower(clientID), nil
}

// ScopeID is StableScopeID for a client ID given by a user: it must be a GUID (any case); the result
// is in lower case.
func ScopeID(clientID string) (string, error) {
	id, err := check(clientID)
	if err != nil {
		return "", err
	}
	return StableScopeID(id), nil
}

// IdentifierURI is DefaultIdentifierURI for a client ID given by a user: it must be a GUID (any case);
// the result is api://<client ID> in lower case.
func IdentifierURI(clientID string) (string, error) {
	id, err := check(clientID)
	if err != nil {
		return "", err
	}
	return DefaultIdentifierURI(id), nil
}
