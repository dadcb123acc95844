package core

import (
	"fmt"
	"net/url"
	"strings"
)

// Listing decisions of `terraform query` and of the batched reads: which collection, which filter.

// MaxListPages bounds how many pages of a collection are followed (Graph pages of 100 by default).
const MaxListPages = 200

// Host returns the host of base, the Graph endpoint, which must be an absolute https URL: the only
// host the client sends its token to.
func Host(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parsing base URL %q: %w", base, err)
	}
	if u.Scheme != "https" || u.Hostname() == "" {
		return "", fmt.Errorf("base URL %q must be an absolute https URL", base)
	}
	return u.Host, nil
}

// OwnedPath is the collection of the applications an identity owns: an app-only identity's (a service
// principal's) under its object ID, which Graph allows with Application.Read.All or Directory.Read.All;
// a signed-in user's (the Azure CLI) under /me, which needs no directory role.
func OwnedPath(objectID string, appOnly bool) string {
	if appOnly {
		return "/servicePrincipals/" + url.PathEscape(objectID) + "/ownedObjects/microsoft.graph.application"
	}
	return "/me/ownedObjects/microsoft.graph.application"
}

// Filter is an OData $filter naming objects by prop: "prop eq 'v'" for one value, "prop in ('v',…)"
// for several, each value quoted as an OData string literal.
func Filter(prop string, values ...string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	if len(values) == 1 {
		return prop + " eq " + quoted[0]
	}
	return prop + " in (" + strings.Join(quoted, ",") + ")"
}
