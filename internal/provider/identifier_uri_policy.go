package provider

import (
	"fmt"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// Codes and message fragments of Entra's refusal of a new identifier URI under the tenant's app management
// policy (Microsoft Learn, "Restrictions on identifier URIs of Microsoft Entra applications"; every such
// message links https://aka.ms/identifier-uri-addition-error). The code of the nonDefaultUriAddition refusal
// is not documented, so the message decides.
const (
	codeUniqueTenantIdentifierPolicy = "InvalidUniqueTenantIdentifierAsPerAppPolicy"
	identifierURIPolicyLink          = "aka.ms/identifier-uri-addition-error"
	nonDefaultURIFragment            = "must comply with the format 'api://{appId}' or 'api://{tenantId}/{appId}'"
)

// describeIdentifierURIPolicyRefusal words Graph's refusal of an Application ID URI by the tenant's app
// management policy: which restriction refused it, which forms the tenant allows, and that api://<appId>,
// the provider's default, is always allowed. ok is false for other validation errors.
func describeIdentifierURIPolicyRefusal(action string, ref model.AppRef, e *model.ValidationError) (summary, detail string, ok bool) {
	nonDefault := containsFoldSubstring(e.Message, nonDefaultURIFragment)
	unique := e.Code == codeUniqueTenantIdentifierPolicy ||
		(!nonDefault && containsFoldSubstring(e.Message, identifierURIPolicyLink))
	if !nonDefault && !unique {
		return "", "", false
	}
	restriction, allowed := "uriAdditionWithoutUniqueTenantIdentifier",
		"api://<agent client ID>, api://<tenant ID>/<name>, api://<name>/<agent client ID>, or a URI whose host is a "+
			"domain verified in the tenant (https://<verified domain>/<path>, api://<verified domain>/<path>)"
	if nonDefault {
		restriction, allowed = "nonDefaultUriAddition",
			"only api://<agent client ID> and api://<tenant ID>/<agent client ID>"
	}
	return "The tenant's app management policy refused the Application ID URI",
		fmt.Sprintf("Could not %s for the %s: %s.\n\nThe tenant's default app management policy enables the %s "+
			"restriction (applicationRestrictions.identifierUris in GET /policies/defaultAppManagementPolicy), which "+
			"blocks new identifier URIs of other forms. This tenant allows %s.\n\napi://<agent client ID> is always "+
			"allowed: remove identifier_uri from lkps_agent_client_scope to use it (the provider's default), or choose "+
			"an allowed form. An administrator can grant the application an exemption instead; see "+
			"https://%s.", action, ref, e.APIError.Error(), restriction, allowed, identifierURIPolicyLink), true
}
