package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

// This file words every diagnostic about a remote failure, so that the same failure reads the same
// everywhere: what happened, then what to do.

// addGraphError reports a failed Microsoft Graph operation on the agent application.
func addGraphError(diags *diag.Diagnostics, action string, ref graph.AppRef, err error) {
	summary, detail := describeGraphError(action, ref, err, nil)
	diags.AddError(summary, detail)
}

// reportGraphError reports a failed change of the agent application. A refusal (403) then says which
// of the requirements is missing, from the application permissions in the provider's Graph token.
func (d *providerData) reportGraphError(ctx context.Context, diags *diag.Diagnostics, action string, ref graph.AppRef, err error) {
	var forbidden *graph.ForbiddenError
	var caller *graphCallerFacts
	if errors.As(err, &forbidden) && forbidden.Caller == graph.CallerServicePrincipal {
		caller = d.graphTokenFacts(ctx)
	}
	summary, detail := describeGraphError(action, ref, err, caller)
	diags.AddError(summary, detail)
}

// describeGraphError returns the summary and detail of a Graph failure. caller, when known, is what the
// provider's token says about its identity.
func describeGraphError(action string, ref graph.AppRef, err error, caller *graphCallerFacts) (summary, detail string) {
	var (
		forbidden  *graph.ForbiddenError
		validation *graph.ValidationError
		conflict   *graph.ConflictError
		apiErr     *graph.APIError
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
	case errors.Is(err, graph.ErrNotFound):
		return "Agent application not found",
			fmt.Sprintf("Could not %s: no %s exists in the tenant, or the provider's identity cannot see it (%s).\n\n"+
				"Check the ID: agent_client_id is the \"Application (client) ID\" on the app registration's Overview page; "+
				"agent_object_id is the app registration's \"Object ID\" (not the enterprise application's).", action, ref, err)
	case errors.As(err, &forbidden):
		return "Insufficient privileges on the agent application",
			fmt.Sprintf("Could not %s for the %s: %s.\n\n%s\n\nSee the provider documentation, \"Permissions the identity "+
				"needs\": %s", action, ref, graphAnswer(&forbidden.APIError), missingGraphRequirement(forbidden, caller),
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
func validationAdvice(e *graph.ValidationError) string {
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
	return err != nil && (errors.Is(err, graph.ErrNotFound) || errors.Is(err, model.ErrScopeNotFound))
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
