package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// This file is the one mapping from Microsoft Graph errors to diagnostics. Every resource, data source,
// list resource, action and check reports a failed Graph call through the report functions below, so
// that the same failure reads the same everywhere: what happened, then what to do. A refusal (403) says
// what the provider's kind of identity needs (authorizationRule) and, for a service principal, which
// requirement is missing, from the application permissions in the provider's Graph token.

// reportGraphError reports a failed Graph call on the agent application: action is what the provider
// tried ("read the agent application"), ref the application it named.
func (d *providerData) reportGraphError(ctx context.Context, diags *diag.Diagnostics, action string, ref model.AppRef, err error) {
	var caller *graphCallerFacts
	if errors.As(err, new(*model.ForbiddenError)) && !d.method.Kind.SignsInAsUser() {
		caller = d.graphTokenFacts(ctx)
	}
	summary, detail := describeGraphError(action, ref, err, d.method.Kind, caller)
	diags.AddError(summary, detail)
}

// reportPreauthorizeError reports a failed pre-authorization: a scope_id that is not a scope of the agent
// agentAppID is an error on scope_id that says what to use instead; anything else is reportGraphError's.
func (d *providerData) reportPreauthorizeError(ctx context.Context, diags *diag.Diagnostics, ref model.AppRef, agentAppID, scopeID string, err error) {
	if errors.Is(err, model.ErrScopeNotFound) {
		diags.AddAttributeError(path.Root("scope_id"), "Scope not found on the agent",
			fmt.Sprintf("The scope %s does not exist on agent %s: it is not one of the agent application's "+
				"api.oauth2PermissionScopes, so it cannot be pre-authorized.\n\n"+
				"Use scope_id = lkps_agent_client_scope.<name>.scope_id, which also makes Terraform create the scope first, "+
				"or omit scope_id to use the agent's %s scope.", scopeID, agentAppID, environments.ClientScopeValue))
		return
	}
	d.reportGraphError(ctx, diags, "pre-authorize the client application", ref, err)
}

// reportAgentCheck reports the outcome of reading the agent application with the client ID agentID for a
// check that keeps the state when it cannot be made: gone is true when Graph says the application does not
// exist; a refusal (403) is a warning that the check was not made; any other failure is reportGraphError's.
func (d *providerData) reportAgentCheck(ctx context.Context, diags *diag.Diagnostics, agentID string, ref model.AppRef, err error) (gone bool) {
	var forbidden *model.ForbiddenError
	switch {
	case err == nil:
		return false
	case errors.Is(err, model.ErrNotFound):
		tflog.Warn(ctx, "The agent's app registration no longer exists; removing the registration from the state",
			map[string]any{"agent_client_id": agentID})
		return true
	case errors.As(err, &forbidden):
		tflog.Warn(ctx, "Microsoft Graph refused to read the agent application; keeping the registration",
			map[string]any{"agent_client_id": agentID, "error": err.Error()})
		diags.AddWarning("Agent Application Not Checked",
			fmt.Sprintf("The registration of agent %s is kept as it is, but the provider could not check whether the agent's "+
				"app registration still exists: %s.\n\nTo detect a deleted agent, let the "+
				"provider's identity read it. %s", agentID, graphAnswer(&forbidden.APIError), authorizationRule(d.method.Kind)))
		return false
	default:
		d.reportGraphError(ctx, diags, "check that the agent's app registration still exists", ref, err)
		return false
	}
}

// reportListError reports a failed listing (of the applications the provider's identity owns) with
// advice, what to do instead.
func (d *providerData) reportListError(diags *diag.Diagnostics, action string, err error, advice string) {
	if errors.As(err, new(*model.ForbiddenError)) {
		diags.AddError("Not allowed to "+action, fmt.Sprintf("Microsoft Graph refused to %s: %v. %s\n\n%s", action, err,
			authorizationRule(d.method.Kind), advice))
		return
	}
	diags.AddError("Could not "+action, fmt.Sprintf("Failed to %s: %v\n\n%s", action, err, advice))
}

// describeGraphError returns the summary and detail of a Graph failure. kind is how the provider signs in;
// caller, when known, is what the provider's token says about its identity.
func describeGraphError(action string, ref model.AppRef, err error, kind auth.Kind, caller *graphCallerFacts) (summary, detail string) {
	var (
		forbidden  *model.ForbiddenError
		validation *model.ValidationError
		conflict   *model.ConflictError
		apiErr     *model.APIError
	)
	if f, ok := auth.ClassifyTransport(err); ok {
		return f.Summary, fmt.Sprintf("Could not %s for the %s: %s.\n\n%s", action, ref, err, f.Advice)
	}
	if summary, detail, ok := describeCredentialFailure(fmt.Sprintf("%s for the %s", action, ref), "the provider's", err); ok {
		return summary, detail
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "Timed out waiting for Microsoft Graph",
			fmt.Sprintf("Could not %s for the %s before the operation's timeout: %s.\n\n"+
				"Microsoft Entra ID replicates changes with a delay and throttles bursts; the provider retries and waits until a "+
				"change is visible before it returns. If this keeps happening, raise the resource's timeouts block.", action, ref, err)
	case errors.Is(err, model.ErrNotFound):
		return "Agent application not found",
			fmt.Sprintf("Could not %s: no %s exists in the tenant, or the provider's identity cannot see it (%s).\n\n"+
				"Check the ID: agent_client_id is the \"Application (client) ID\" on the app registration's Overview page; "+
				"agent_object_id is the app registration's \"Object ID\" (not the enterprise application's).", action, ref, err)
	case errors.As(err, &forbidden):
		return "Insufficient privileges on the agent application",
			fmt.Sprintf("Could not %s for the %s: %s.\n\n%s\n\nSee the provider documentation, \"Permissions the identity "+
				"needs\": %s", action, ref, graphAnswer(&forbidden.APIError), missingGraphRequirement(kind, caller),
				auth.DocsURL("permissions-the-identity-needs"))
	case errors.As(err, &validation):
		if summary, detail, ok := describeIdentifierURIPolicyRefusal(action, ref, validation); ok {
			return summary, detail
		}
		return "Microsoft Graph rejected the change",
			fmt.Sprintf("Could not %s for the %s: %s.%s", action, ref, validation.APIError.Error(), validationAdvice(validation))
	case errors.As(err, &conflict):
		return "Conflicting change on the agent application",
			fmt.Sprintf("Could not %s for the %s: Microsoft Graph kept reporting a concurrent change (%s) after the "+
				"provider's retries.\n\nAnother tool or person may be editing the same app registration. Run terraform apply again; "+
				"if both Terraform configurations manage this application, see the resource documentation on azuread_application.",
				action, ref, conflict.APIError.Error())
	case errors.As(err, &apiErr):
		return "Microsoft Graph request failed",
			fmt.Sprintf("Could not %s for the %s: %s.\n\nIf the status is 5xx or 429 the service was unavailable or "+
				"throttling for longer than the provider's retries; run terraform apply again later.", action, ref, apiErr.Error())
	default:
		return "Microsoft Graph request failed",
			fmt.Sprintf("Could not %s for the %s: %s.\n\nIf this is an authentication error, check the provider's "+
				"credentials (see the provider documentation, \"Authentication\").", action, ref, err)
	}
}

// validationAdvice adds what to do for the Graph validation rules users meet.
func validationAdvice(e *model.ValidationError) string {
	switch e.Code {
	case "HostNameNotOnVerifiedDomain":
		return "\n\nidentifier_uri must be api://<agent client ID>, api://<tenant ID>/<name>, or a URI on a domain verified in the tenant."
	case "CannotDeleteOrUpdateEnabledEntitlement":
		return "\n\nMicrosoft Graph kept reporting the scope as enabled after the provider disabled it; replication is slow. Run terraform apply again."
	}
	switch {
	case containsFoldSubstring(e.Message, "identifierUris already exists"):
		return "\n\nAnother application in the tenant already uses this Application ID URI; choose another identifier_uri."
	case containsFoldSubstring(e.Message, "Permission Id that cannot be found"):
		return "\n\nThe scope_id is not a scope of the agent application. Use lkps_agent_client_scope.<name>.scope_id."
	}
	return ""
}

// isGone reports whether err means the application, the scope or the pre-authorization no longer
// exists, which Read turns into removal from state and Delete into success.
func isGone(err error) bool {
	return err != nil && (errors.Is(err, model.ErrNotFound) || errors.Is(err, model.ErrScopeNotFound))
}

// describeCredentialFailure words a failure to get a token: no credentials configured at all (the Azure CLI
// fallback found nothing), or Entra ID refusing the credentials (an AADSTS code, whose meaning comes first
// and the raw response after). whose is "the provider's" or "the agent's". ok is false for other errors.
func describeCredentialFailure(what, whose string, err error) (summary, detail string, ok bool) {
	var none *auth.NoCredentialsError
	if errors.As(err, &none) {
		cli := "the Azure CLI, the fallback, is not installed"
		if none.CLIInstalled {
			cli = "the Azure CLI, the fallback, is not signed in"
		}
		return "No credentials found",
			fmt.Sprintf("Could not %s: no credentials were found. No ARM_* credential settings or provider attributes are "+
				"configured, and %s (%v).\n\nProvide credentials in one of these ways:\n%s\n\nSee the provider documentation, "+
				"\"Authentication\": %s", what, cli, none.Cause, auth.WaysToAuthenticate, auth.DocsAuthenticationURL), true
	}
	if f, isAuth := auth.ExplainAuthFailure(err); isAuth {
		return "Authentication failed",
			fmt.Sprintf("%s\n\nCould not %s: Microsoft Entra ID refused %s credentials. See the provider documentation, "+
				"\"Authentication\": %s\n\nRaw response:\n%s", f.Headline(), what, whose, auth.DocsAuthenticationURL, f.RawResponse()), true
	}
	return "", "", false
}

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

// authorizationRule says who may read and change an application for the kind of identity the provider
// signs in as, and what to grant (Microsoft Graph permission reference for application get/update; shared
// design graph-behaviour.md).
func authorizationRule(kind auth.Kind) string {
	if kind.SignsInAsUser() {
		return "A signed-in user (Azure CLI) may change an app registration they own: add the user as an owner of the " +
			"agent's app registration, or give them a directory role such as Application Administrator or Cloud " +
			"Application Administrator."
	}
	return "A service principal (client secret, certificate, OIDC or managed identity) is authorized by its " +
		"Microsoft Graph application permissions, not by ownership alone: grant it the application permission " +
		"Application.ReadWrite.OwnedBy (admin consent) and add it as an owner of the agent's app registration " +
		"(the least privilege that works), or grant Application.ReadWrite.All (admin consent). To only read, " +
		"Application.Read.All suffices. Being an owner without an application permission is not enough."
}

// missingGraphRequirement says what the identity lacks: for a service principal whose token the provider
// read, the one requirement that is missing; otherwise the rule for its kind of identity (kind).
func missingGraphRequirement(kind auth.Kind, caller *graphCallerFacts) string {
	if kind.SignsInAsUser() {
		return authorizationRule(kind) + " An added owner counts at once: run terraform apply again. A directory role is in " +
			"tokens issued after it was assigned: sign in again (az login) first."
	}
	if caller == nil {
		return authorizationRule(kind) + " " + graphRoleGrantNote
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
func graphAnswer(e *model.APIError) string {
	s := e.Error()
	if rest, ok := strings.CutPrefix(s, "microsoft graph answered"); ok {
		return "Microsoft Graph answered" + rest
	}
	return s
}
