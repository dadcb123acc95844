package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// This file builds LKPS clients and words every diagnostic about a failed LKPS call, so that the same
// failure reads the same in every resource and data source. The texts themselves (what happened, what to
// do, the Ocelot route link) come from internal/lkps, which follows the LKPS guides' troubleshooting
// tables; this file only chooses the summary line and the attribute a failure belongs to.

// lkpsClient returns an LKPS client that authenticates with cred, for the provider's environment,
// region, endpoint overrides, transport and User-Agent. Each caller passes its own credential: the agent
// registration is made with the agent's credentials, not the provider's.
func (d *providerData) lkpsClient(ctx context.Context, cred azcore.TokenCredential, diags *diag.Diagnostics) (*lkps.Client, bool) {
	if d == nil {
		diags.AddError("Provider Not Configured",
			"The lkps provider was not configured before a resource used it. This is a bug in the provider; please report it.")
		return nil, false
	}
	tflog.Debug(ctx, "Building an LKPS client", map[string]any{
		"lkps_base_url": d.entry.LKPSBaseURL, "lkps_token_scope": d.entry.LKPSScope, "route": d.entry.Key(),
	})
	client, err := lkps.New(lkps.Config{
		BaseURL:    d.entry.LKPSBaseURL,
		Entry:      documentedLKPSEntry(d.entry),
		Credential: cred,
		Scope:      d.entry.LKPSScope,
		HTTPClient: d.httpClient,
		UserAgent:  d.userAgent,
		Logger:     tflogLogger{},
	})
	if err != nil {
		diags.AddError("Unable to Set Up the LKPS Client",
			fmt.Sprintf("%s.\n\nCheck the provider's lkps_base_url and lkps_token_scope settings (and the LKPS_BASE_URL and "+
				"LKPS_TOKEN_SCOPE environment variables).", err))
		return nil, false
	}
	return client, true
}

// documentedLKPSEntry returns the entry the LKPS client words its advice with: the configured one, but
// with the documented LKPS URL, host, scope and audience of its environment and region, so that the
// advice compares an overridden URL or scope with what the guides document instead of with itself. The
// client still calls the configured URL with the configured scope.
func documentedLKPSEntry(configured environments.Entry) environments.Entry {
	documented, err := environments.Lookup(configured.Environment, configured.Region)
	if err != nil {
		return configured
	}
	e := configured
	e.LKPSHost, e.LKPSBaseURL = documented.LKPSHost, documented.LKPSBaseURL
	e.LKPSScope, e.LKPSAudience = documented.LKPSScope, documented.LKPSAudience
	return e
}

// lkpsErrorSummary is the diagnostic summary of each kind of LKPS failure.
func lkpsErrorSummary(kind lkps.Kind) string {
	switch kind {
	case lkps.KindToken:
		return "Unable to Get an Access Token for LKPS"
	case lkps.KindTransport:
		return "LKPS Not Reachable"
	case lkps.KindOcelotUnauthorized:
		return "Ocelot Rejected the Access Token (401 Unauthorized)"
	case lkps.KindOcelotForbidden:
		return "Caller Not on the Ocelot Route's Client Access List (403 Forbidden from Ocelot)"
	case lkps.KindClientNotAuthorized:
		return "Client Not Authorized for the Agent (403 Forbidden from LKPS)"
	case lkps.KindNotFound:
		return "Agent Not Registered with LKPS (404 Not Found)"
	case lkps.KindInvalidRequest:
		return "LKPS Rejected the Request"
	case lkps.KindThrottled:
		return "LKPS Request Throttled (429 Too Many Requests)"
	case lkps.KindServer:
		return "LKPS Server Error"
	case lkps.KindUnexpectedResponse:
		return "Unexpected Response from LKPS"
	case lkps.KindWrongIdentity:
		return "Agent Credentials Belong to Another Application"
	default:
		return "LKPS Request Failed"
	}
}

// lkpsErrorDetail is the diagnostic detail of a failed LKPS call: the action, what happened and what to do.
func lkpsErrorDetail(action string, err error) string {
	var le *lkps.Error
	if !errors.As(err, &le) {
		return fmt.Sprintf("Could not %s: %s.", action, err)
	}
	detail := fmt.Sprintf("Could not %s: %s", action, le.Summary())
	if advice := le.Advice(); advice != "" {
		detail += "\n\n" + advice
	}
	return detail
}

// addLKPSError reports a failed LKPS call. When attr is not empty and the failure lies in the
// credentials (no token, or a token of the wrong application), the diagnostic is attached to attr.
func addLKPSError(diags *diag.Diagnostics, action string, attr path.Path, err error) {
	var le *lkps.Error
	if !errors.As(err, &le) {
		diags.AddError("LKPS Request Failed", lkpsErrorDetail(action, err))
		return
	}
	summary, detail := lkpsErrorSummary(le.Kind), lkpsErrorDetail(action, err)
	if f, ok := auth.ClassifyTransport(le.Err); ok && (le.Kind == lkps.KindToken || le.Kind == lkps.KindTransport) {
		summary = f.Summary // the advice (lkps.Error.Advice) is the same classification's
	} else if le.Kind == lkps.KindToken {
		if s, d, ok := describeCredentialFailure(action, "the", le.Err); ok {
			summary, detail = s, d
		}
	}
	if (le.Kind == lkps.KindToken || le.Kind == lkps.KindWrongIdentity) && len(attr.Steps()) > 0 {
		diags.AddAttributeError(attr, summary, detail)
		return
	}
	diags.AddError(summary, detail)
}
