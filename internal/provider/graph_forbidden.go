package provider

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
)

// When Graph refuses a change (403), the provider can tell which requirement is missing for a service
// principal: its token lists the Microsoft Graph application permissions it holds ("roles"), so a
// token with Application.ReadWrite.OwnedBy that is refused lacks ownership of the agent's app
// registration, and a token without it lacks the permission. Ownership is checked by Graph on every
// request (an added owner counts at once); application permissions are in tokens issued after the
// admin consent (shared design, graph-behaviour.md).

// graphCallerFacts is what the provider's Graph token says about its identity.
type graphCallerFacts struct {
	appID, objectID string
	roles           []string
}

// graphTokenFacts reads the provider's Graph token's claims (azidentity serves it from its cache); nil when
// no token can be had. The token itself is never logged.
func (d *providerData) graphTokenFacts(ctx context.Context) *graphCallerFacts {
	if d == nil || d.credential == nil {
		return nil
	}
	tok, err := d.credential.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{graphScope(d.entry.GraphBaseURL)}})
	if err != nil {
		tflog.Debug(ctx, "Could not get the Graph token to explain a refusal", map[string]any{"error": err.Error()})
		return nil
	}
	c, err := auth.UnverifiedClaims(tok.Token)
	if err != nil {
		return nil
	}
	return &graphCallerFacts{appID: c.AppID, objectID: c.ObjectID, roles: c.Roles}
}

// Microsoft Graph application permissions that allow changing applications.
const (
	roleOwnedBy      = "Application.ReadWrite.OwnedBy"
	roleReadWriteAll = "Application.ReadWrite.All"
)

// graphRoleGrantNote is the one statement of when a grant and an owner take effect.
const graphRoleGrantNote = "An added owner counts at once; a newly granted application permission is in tokens issued " +
	"after the admin consent, and every terraform run requests a new token. Run terraform apply again once it is fixed."

// missingGraphRequirement says what the identity lacks: for a service principal whose token the provider
// read, the one requirement that is missing; otherwise the rule for its kind of identity.
func missingGraphRequirement(forbidden *graph.ForbiddenError, caller *graphCallerFacts) string {
	if forbidden.Caller == graph.CallerUser {
		return forbidden.Rule() + " An added owner counts at once: run terraform apply again. A directory role is in tokens " +
			"issued after it was assigned: sign in again (az login) first."
	}
	if caller == nil {
		return forbidden.Rule() + " " + graphRoleGrantNote
	}
	who := "the provider's service principal"
	if caller.appID != "" {
		who = fmt.Sprintf("the provider's service principal (application %s", caller.appID)
		if caller.objectID != "" {
			who += fmt.Sprintf(", object ID %s", caller.objectID)
		}
		who += ")"
	}
	roles := "none"
	if len(caller.roles) > 0 {
		roles = strings.Join(caller.roles, ", ")
	}
	has := func(r string) bool {
		return slices.ContainsFunc(caller.roles, func(x string) bool { return strings.EqualFold(x, r) })
	}
	switch {
	case has(roleReadWriteAll):
		return fmt.Sprintf("The token of %s carries %s, which allows changing every application, and Graph still refused: "+
			"the permission may have been revoked after the token was issued. %s", who, roleReadWriteAll, graphRoleGrantNote)
	case has(roleOwnedBy):
		return fmt.Sprintf("Missing: ownership. The token of %s carries %s, which allows changing only the applications "+
			"it owns, and it is not an owner of the agent's app registration. Add it as an owner (the app registration's "+
			"Owners blade, or az ad app owner add --id <agent client ID> --owner-object-id <its object ID>). An added owner "+
			"counts at once: run terraform apply again.", who, roleOwnedBy)
	default:
		return fmt.Sprintf("Missing: a Microsoft Graph application permission. The token of %s carries the application "+
			"permissions: %s; none of them allows changing applications (Application.Read.All only reads them), and being "+
			"an owner is not enough without one. Grant "+
			"%s (Microsoft Graph, Application permissions, then Grant admin consent) and make it an owner of the agent's app "+
			"registration, or grant %s. A newly granted permission is in tokens issued after the admin consent; every "+
			"terraform run requests a new token, so run terraform apply again once consent is granted.",
			who, roles, roleOwnedBy, roleReadWriteAll)
	}
}

// graphAnswer words a Graph error answer once: "Microsoft Graph answered 403 Code: message (request-id …)".
func graphAnswer(e *graph.APIError) string {
	s := e.Error()
	if rest, ok := strings.CutPrefix(s, "microsoft graph answered"); ok {
		return "Microsoft Graph answered" + rest
	}
	return s
}
