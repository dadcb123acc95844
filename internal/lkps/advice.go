package lkps

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// Every advice text of the package lives in this file. The texts follow the troubleshooting tables of the
// LKPS guides ("Ocelot Access Setup" → Troubleshooting; "Client-to-Agent Authorization" → How it works,
// Steps 2-4, FAQ); where a table has no row (transport, 5xx, throttling), the advice says what the client
// knows and what the user can check.

// what is the "what happened" sentence of an *Error, without facts in parentheses.
func what(e *Error) string {
	if e.NonJSON != "" {
		return fmt.Sprintf("something between the provider and LKPS answered HTTP %d with %s instead of Ocelot's or "+
			"LKPS's JSON", e.StatusCode, e.NonJSON)
	}
	switch e.Kind {
	case KindToken:
		return fmt.Sprintf("could not acquire an access token for LKPS (scope %s)", e.scope)
	case KindTransport:
		return fmt.Sprintf("no response from LKPS at %s", e.baseURL)
	case KindOcelotUnauthorized:
		return "Ocelot rejected the access token"
	case KindOcelotForbidden:
		if e.CallerAppID != "" {
			return fmt.Sprintf("Ocelot refused application %s", e.CallerAppID)
		}
		return "Ocelot refused the calling application"
	case KindClientNotAuthorized:
		who := "the client application"
		if e.CallerAppID != "" {
			who = "client application " + e.CallerAppID
		}
		return fmt.Sprintf("LKPS refused to start a session: %s is not authorized for agent %s", who, orUnknown(e.AgentAppID))
	case KindNotFound:
		return fmt.Sprintf("LKPS does not know agent %s in %s", orUnknown(e.AgentAppID), envName(e.env))
	case KindInvalidRequest:
		return fmt.Sprintf("the request was rejected with %d", e.StatusCode)
	case KindThrottled:
		return "the request was throttled with 429 Too Many Requests"
	case KindServer:
		return fmt.Sprintf("the server failed with %d", e.StatusCode)
	case KindUnexpectedResponse:
		if e.StatusCode < 300 {
			return "LKPS answered with a response body the provider cannot use"
		}
		return fmt.Sprintf("LKPS answered with unexpected status %d", e.StatusCode)
	case KindWrongIdentity:
		return fmt.Sprintf("the LKPS access token belongs to application %s, not to agent %s", orUnknown(e.CallerAppID), orUnknown(e.AgentAppID))
	default:
		return "the LKPS call failed"
	}
}

// advise is the "what to do" part of an *Error's message.
func advise(e *Error) string {
	env := e.env
	if e.NonJSON != "" && e.Kind != KindInvalidRequest {
		// A 4xx other than 401/403 (a wrong path, say) keeps its own advice.
		return proxyAdvice(e)
	}
	if e.Kind == KindToken || e.Kind == KindTransport {
		if f, ok := auth.ClassifyTransport(e.Err); ok {
			if e.Kind == KindTransport && f.Cause != auth.CauseTLSUntrusted && f.Cause != auth.CauseTLSExpired {
				return fmt.Sprintf("%s For %s the documented LKPS base URL is %s.", f.Advice, envName(env), orUnknown(env.LKPSBaseURL))
			}
			return f.Advice
		}
	}
	switch e.Kind {
	case KindToken:
		return fmt.Sprintf("Check the credentials configured for this call (client ID, secret, certificate or federated token) "+
			"and that the application can request tokens for %s in tenant %s.", e.scope, orUnknown(env.TenantID))
	case KindTransport:
		return fmt.Sprintf("Check that %s is reachable from this machine (the LKPS hosts under int.bayer.com are internal: "+
			"network, VPN and proxy settings) and that any LKPS base URL override points at the right host; "+
			"for %s the documented URL is %s.", e.baseURL, envName(env), orUnknown(env.LKPSBaseURL))
	case KindOcelotUnauthorized:
		return adviceOcelotUnauthorized(e)
	case KindOcelotForbidden:
		return adviceOcelotForbidden(e)
	case KindClientNotAuthorized:
		return adviceClientNotAuthorized(e.FailedCheck, e.CallerAppID) +
			" Alternatively the agent owner can register the agent with enforce_client_authz = false, so any client with " +
			"Ocelot access can start sessions (not recommended for production agents)."
	case KindNotFound:
		return fmt.Sprintf("The agent owner must register agent %s with LKPS (POST %s, made as the agent; Terraform: lkps_agent_registration) "+
			"in %s. EU and US are isolated deployments: an agent registered in one region exists only there, so check "+
			"that client and agent use the same region.", orUnknown(e.AgentAppID), PathAgentRegister, envName(env))
	case KindInvalidRequest:
		if e.StatusCode == 404 {
			return fmt.Sprintf("The path was not found at %s; check the LKPS base URL (for %s the documented URL is %s).",
				e.baseURL, envName(env), orUnknown(env.LKPSBaseURL))
		}
		return "Correct the request as the server's message says; if the message points at a value the provider " +
			"chose, this is a bug in the provider and should be reported."
	case KindThrottled:
		s := "LKPS or Ocelot is limiting the request rate; retry later or lower Terraform's -parallelism."
		if e.RetryAfter > 0 {
			s += fmt.Sprintf(" The server asked to wait %s.", e.RetryAfter.Round(time.Second))
		}
		return s
	case KindServer:
		if e.StatusCode == 502 || e.StatusCode == 504 {
			return fmt.Sprintf("Ocelot could not get an answer from LKPS; retry later. If it persists, report it to the "+
				"Bayer LiveKit Platform Team, who own the route %s, with the request id.", orUnknown(env.OcelotRouteURL))
		}
		return "Retry later. If it persists, report it to the Bayer LiveKit Platform Team with the request id."
	case KindUnexpectedResponse:
		if e.StatusCode >= 300 && e.StatusCode < 400 {
			return fmt.Sprintf("The provider does not follow redirects, so that the access token is sent only to the "+
				"configured host; check the LKPS base URL (for %s the documented URL is %s).", envName(env), orUnknown(env.LKPSBaseURL))
		}
		return "The LKPS response format is not documented and the provider's assumption about it (DESIGN.md, " +
			"\"The LKPS wire contract\") may be out of date; report this to the provider developers with the request id."
	case KindWrongIdentity:
		return fmt.Sprintf("LKPS keys a registration by the calling application's client ID, so registering with this token "+
			"would record the registration under application %s instead of agent %s. Configure the agent's own "+
			"credentials (its client ID with a client secret, certificate or federated credential) for the registration.",
			orUnknown(e.CallerAppID), orUnknown(e.AgentAppID))
	default:
		return ""
	}
}

// adviceOcelotUnauthorized follows the guide's "401 Unauthorized" rows.
func adviceOcelotUnauthorized(e *Error) string {
	env := e.env
	var b strings.Builder
	if e.TokenAudience != "" && env.LKPSAudience != "" && !strings.EqualFold(strings.TrimSuffix(e.TokenAudience, "/"), env.LKPSAudience) {
		fmt.Fprintf(&b, "The token was issued for audience %s, but %s expects %s: the token does not target the LKPS audience. ",
			e.TokenAudience, envName(env), env.LKPSAudience)
	}
	fmt.Fprintf(&b, "The token is expired or invalid, or does not target the LKPS audience. Ensure the token is fresh and "+
		"targets the correct audience: %s for %s (non-prod uses api://livekit-platform-service-np.int.bayer.com, prod "+
		"api://livekit-platform-service.int.bayer.com). Verify the scope parameter of the token request: it is %s here",
		orUnknown(env.LKPSAudience), envName(env), orUnknown(e.scope))
	if env.LKPSScope != "" && e.scope != env.LKPSScope {
		fmt.Fprintf(&b, ", but the documented scope for %s is %s", envName(env), env.LKPSScope)
	}
	b.WriteString(".")
	if env.OcelotRouteURL != "" {
		fmt.Fprintf(&b, " Ocelot route: %s.", env.OcelotRouteURL)
	}
	return b.String()
}

// adviceOcelotForbidden follows the guide's "403 Forbidden (from Ocelot)" rows and the Ocelot UI row.
func adviceOcelotForbidden(e *Error) string {
	env := e.env
	app := "the calling application's client ID"
	if e.CallerAppID != "" {
		app = "client ID " + e.CallerAppID
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Either the client ID is not in the Ocelot route's Client Access List: request access for %s on the "+
		"Ocelot route page %s (REQUEST ACCESS, select the Entra app registration, SAVE) and wait until the Bayer LiveKit "+
		"Platform Dev Team approves it; access is requested separately for each environment and region. ",
		app, orUnknown(env.OcelotRouteURL))
	fmt.Fprintf(&b, "Or the environment is wrong: this call went to %s (%s); ensure you use the URL of the environment "+
		"(non-prod vs. prod) your access was approved for.", e.baseURL, envName(env))
	if env.OcelotAccessURL != "" {
		fmt.Fprintf(&b, " If you cannot open the Ocelot UI, join the Ocelot Users group via %s.", env.OcelotAccessURL)
	}
	return b.String()
}

// adviceClientNotAuthorized explains the three checks of the session-start decision and what fixes the
// failed one (guide "403 Forbidden (from LKPS)" row and "How Client-to-Agent Authorization Works").
func adviceClientNotAuthorized(failedCheck, clientID string) string {
	client := "the client's ID"
	if clientID != "" {
		client = "client ID " + clientID
	}
	checks := fmt.Sprintf("LKPS checks, in order: (1) the agent's app registration exposes the %q scope; (2) %s is listed in "+
		"the agent's preAuthorizedApplications; (3) that entry includes the %s scope ID.",
		environments.ClientScopeValue, client, environments.ClientScopeValue)
	switch failedCheck {
	case CheckScopeMissing:
		return checks + " Check 1 failed: " + reasonScopeMissing
	case CheckClientNotPreauthorized:
		return checks + " Check 2 failed: " + reasonClientNotPreauthorized(clientID)
	case CheckScopeNotGranted:
		return checks + " Check 3 failed: " + reasonScopeNotGranted(clientID, "")
	default:
		return checks + " LKPS did not say which check failed. The agent owner must add " + client +
			" to preAuthorizedApplications with the " + environments.ClientScopeValue + " scope checked, on an agent " +
			"that exposes that scope (Expose an API in the agent's app registration)."
	}
}

// Texts of the session-start decision (Evaluate); each says what the agent owner must do.
const (
	reasonEnforcementOff = "enforce_client_authz is false for this agent, so LKPS skips the authorization check: any " +
		"client application with Ocelot access can start sessions with it."
	reasonAgentMissing = "the agent's app registration was not found in Entra ID, so it exposes no " +
		environments.ClientScopeValue + " scope and every session start is refused with 403 Forbidden. Check the agent " +
		"client ID, and create or restore the app registration."
	reasonScopeMissing = "the agent's app registration does not expose a scope with value exactly \"" +
		environments.ClientScopeValue + "\", so every session start to this agent is refused with 403 Forbidden. The " +
		"agent owner must add it under Expose an API → Add a scope (scope name " + environments.ClientScopeValue +
		"; Terraform: lkps_agent_client_scope)."
)

// reasonAuthorized is the text for a client that passes all three checks.
func reasonAuthorized(clientID, scopeID string) string {
	return fmt.Sprintf("client application %s is pre-authorized for the agent's %s scope (%s): LKPS starts the session.",
		orUnknown(clientID), environments.ClientScopeValue, scopeID)
}

// reasonClientNotPreauthorized is the text for check 2.
func reasonClientNotPreauthorized(clientID string) string {
	return fmt.Sprintf("client application %s is not listed in the agent's preAuthorizedApplications. The agent owner must "+
		"add its client ID under Expose an API → Authorized client applications → Add a client application, with the "+
		"%s scope checked (Terraform: lkps_preauthorized_client).", orUnknown(clientID), environments.ClientScopeValue)
}

// reasonScopeNotGranted is the text for check 3.
func reasonScopeNotGranted(clientID, scopeID string) string {
	id := ""
	if scopeID != "" {
		id = " (" + scopeID + ")"
	}
	return fmt.Sprintf("client application %s is pre-authorized, but its entry does not include the %s scope ID%s. The "+
		"agent owner must check the %s scope for this client under Expose an API → Authorized client applications "+
		"(Terraform: lkps_preauthorized_client).", orUnknown(clientID), environments.ClientScopeValue, id,
		environments.ClientScopeValue)
}

// envName names an entry as "nonprod/eu", or "the configured environment" when the entry is empty.
func envName(env environments.Entry) string {
	if env.Environment == "" {
		return "the configured environment"
	}
	return env.Key()
}

// orUnknown returns s, or "(unknown)" when s is empty.
func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// proxyAdvice is the advice for an answer that neither Ocelot nor LKPS wrote (a non-JSON body).
func proxyAdvice(e *Error) string {
	host := e.baseURL
	if u, err := url.Parse(e.baseURL); err == nil && u.Host != "" {
		host = u.Hostname()
	}
	advice := fmt.Sprintf("Ocelot and LKPS answer in JSON, so this page came from a proxy, gateway or captive portal on the "+
		"way to %s. Check the HTTPS_PROXY and NO_PROXY environment variables of the machine running Terraform (a corporate "+
		"proxy may need %s in NO_PROXY, or may require its own sign-in), and that the LKPS base URL is right (for %s the "+
		"documented URL is %s).", e.baseURL, host, envName(e.env), orUnknown(e.env.LKPSBaseURL))
	if e.StatusCode >= 500 || e.StatusCode == 429 {
		advice += " If the page reports a temporary failure, retry later."
	}
	return advice
}
