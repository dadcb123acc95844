package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// The action lkps_session_start (Terraform 1.14 actions): the LKPS guide's verification step, a real
// POST /api/session/start through Ocelot as the client application, with every failure mapped to its fix
// by internal/lkps (the troubleshooting tables) and, for LKPS's 403, the decision rule of
// lkps_client_authorization evaluated on what Graph shows.

// sessionStartTimeout bounds one invocation: a token request and one session start (LKPS retries only
// answers that prove the request was not processed).
const sessionStartTimeout = 2 * time.Minute

// newSessionStartAction returns the lkps_session_start action.
func newSessionStartAction() action.Action { return &sessionStartAction{} }

type sessionStartAction struct {
	data *providerData
}

// sessionStartModel maps the action's configuration. An action has no state, but Terraform writes its
// configuration into a saved plan file (`terraform plan -invoke=... -out=...`) in clear text, and an
// action can take neither write-only nor ephemeral values (terraform-plugin-framework v1.19 refuses
// every non-null write-only value in an action's configuration). So no attribute holds a credential:
// the action uses the provider's identity, OIDC, or a credential it reads when it runs, from a file or
// from an environment variable whose name is the attribute's value (auth.RunTimeCredential).
type sessionStartModel struct {
	AgentClientID                   types.String `tfsdk:"agent_client_id"`
	ClientID                        types.String `tfsdk:"client_id"`
	ClientSecretFilePath            types.String `tfsdk:"client_secret_file_path"`
	ClientSecretEnvVar              types.String `tfsdk:"client_secret_env_var"`
	ClientCertificatePath           types.String `tfsdk:"client_certificate_path"`
	ClientCertificateEnvVar         types.String `tfsdk:"client_certificate_env_var"`
	ClientCertificatePasswordEnvVar types.String `tfsdk:"client_certificate_password_env_var"`
	UseOIDC                         types.Bool   `tfsdk:"use_oidc"`
	UseProviderIdentity             types.Bool   `tfsdk:"use_provider_identity"`
}

var (
	pathSessionClientID         = path.Root("client_id")
	pathSessionSecretFile       = path.Root(auth.AttrSecretFilePath)
	pathSessionSecretEnv        = path.Root(auth.AttrSecretEnvVar)
	pathSessionCertPath         = path.Root(auth.AttrCertificatePath)
	pathSessionCertEnv          = path.Root(auth.AttrCertificateEnvVar)
	pathSessionCertPasswordEnv  = path.Root(auth.AttrCertificatePasswordEnvVar)
	pathSessionUseOIDC          = path.Root("use_oidc")
	pathSessionProviderIdentity = path.Root("use_provider_identity")
)

func (a *sessionStartAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_session_start"
}

func (a *sessionStartAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Starts an LKPS session for real (`POST /api/session/start` through Ocelot) as a client " +
			"application, and reports the client ID of the token, the HTTP status and LKPS's or Ocelot's reason. Every " +
			"failure names its fix: Ocelot's 401 (token) and 403 (Client Access List, with the route's Ocelot URL), " +
			"LKPS's 403 (which of the three authorization checks failed) and 404 (agent not registered). Needs " +
			"Terraform 1.14 or later. **Side effect:** each invocation starts one session, with whatever LKPS does " +
			"for a session (a LiveKit room and a participant token, which the provider discards).",
		Attributes: map[string]schema.Attribute{
			"agent_client_id": schema.StringAttribute{
				MarkdownDescription: "The client (application) ID of the agent to start a session with, as in the body " +
					"`{\"agent_entra_app_id\": \"<agent client ID>\"}`.",
				Required:   true,
				Validators: []validator.String{guidValidator()},
			},
			"client_id": schema.StringAttribute{
				MarkdownDescription: "The client (application) ID of the client application the session is started " +
					"as. Required with a secret, a certificate and `use_oidc`; with `use_provider_identity` it is optional " +
					"and, when set, the action checks that the provider's token belongs to it.",
				Optional:   true,
				Validators: []validator.String{guidValidator()},
			},
			auth.AttrSecretEnvVar: schema.StringAttribute{
				MarkdownDescription: "The **name** of an environment variable of the terraform process that holds a client " +
					"secret of the client application (its Value, not its Secret ID), for example `\"LKPS_CLIENT_SECRET\"`. " +
					"The secret is read when the action runs, so it is in no plan file and no configuration.",
				Optional: true,
			},
			auth.AttrSecretFilePath: schema.StringAttribute{
				MarkdownDescription: "The path of a file that holds a client secret of the client application, read when " +
					"the action runs.",
				Optional: true,
			},
			auth.AttrCertificatePath: schema.StringAttribute{
				MarkdownDescription: "The path of a PKCS#12 (`.pfx`) or PEM file with a certificate of the client " +
					"application and its private key, read when the action runs.",
				Optional: true,
			},
			auth.AttrCertificateEnvVar: schema.StringAttribute{
				MarkdownDescription: "The **name** of an environment variable that holds a certificate of the client " +
					"application with its private key: PEM text, or base64 of a PKCS#12 archive or of PEM text.",
				Optional: true,
			},
			auth.AttrCertificatePasswordEnvVar: schema.StringAttribute{
				MarkdownDescription: "The **name** of an environment variable that holds the password of the " +
					"certificate's private key, when it is encrypted.",
				Optional: true,
			},
			"use_oidc": schema.BoolAttribute{
				MarkdownDescription: "Present the provider's OIDC token (`use_oidc`, GitHub Actions, a token or token " +
					"file, or AKS workload identity in the provider block) to Entra ID as the client application " +
					"`client_id`, through that application's own federated identity credential: no secret.",
				Optional: true,
			},
			"use_provider_identity": schema.BoolAttribute{
				MarkdownDescription: "Start the session with the provider's own identity, when the provider " +
					"authenticates as the client application.",
				Optional: true,
			},
		},
	}
}

func (a *sessionStartAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// choice says which ways to authenticate as the client a configuration gives; unknown counts as given.
func (m sessionStartModel) choice() auth.AgentCredentialChoice {
	given := func(v interface{ IsNull() bool }) bool { return !v.IsNull() }
	on := func(b types.Bool) bool { return b.IsUnknown() || b.ValueBool() }
	return auth.AgentCredentialChoice{
		ProviderIdentity: on(m.UseProviderIdentity),
		Secret:           given(m.ClientSecretEnvVar) || given(m.ClientSecretFilePath),
		Certificate:      given(m.ClientCertificateEnvVar) || given(m.ClientCertificatePath),
		OIDC:             on(m.UseOIDC),
	}
}

// runTime is the credential the configuration names, to be read when the action runs.
func (m sessionStartModel) runTime() auth.RunTimeCredential {
	return auth.RunTimeCredential{
		SecretFilePath:            m.ClientSecretFilePath.ValueString(),
		SecretEnvVar:              m.ClientSecretEnvVar.ValueString(),
		CertificatePath:           m.ClientCertificatePath.ValueString(),
		CertificateEnvVar:         m.ClientCertificateEnvVar.ValueString(),
		CertificatePasswordEnvVar: m.ClientCertificatePasswordEnvVar.ValueString(),
	}
}

func (a *sessionStartAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	validateConfig(ctx, req.Config.Get, &resp.Diagnostics, validateSessionCredentials)
}

// validateSessionCredentials checks that exactly one credential is given, with the client ID it needs.
func validateSessionCredentials(m sessionStartModel, diags *diag.Diagnostics) {
	for _, p := range []struct {
		v    types.String
		at   path.Path
		what string
	}{
		{m.ClientSecretEnvVar, pathSessionSecretEnv, "client secret"},
		{m.ClientCertificateEnvVar, pathSessionCertEnv, "certificate"},
		{m.ClientCertificatePasswordEnvVar, pathSessionCertPasswordEnv, "certificate's password"},
	} {
		if isSet(p.v) && !auth.ValidEnvVarName(p.v.ValueString()) {
			// Never echo the value: it is most likely the secret itself.
			diags.AddAttributeError(p.at, "Not an Environment Variable Name",
				fmt.Sprintf("%s takes the name of an environment variable that holds the %s, not the %s itself (its value, "+
					"%d characters, is not a variable name: letters, digits and underscores). Export the %s in the environment "+
					"of terraform, for example as LKPS_CLIENT_SECRET, and write that name here. The value given is now in your "+
					"configuration: if it is a real credential, rotate it.", p.at, p.what, p.what, len(p.v.ValueString()), p.what))
		}
	}
	choice := m.choice()
	if isSet(m.ClientSecretEnvVar) && isSet(m.ClientSecretFilePath) || isSet(m.ClientCertificateEnvVar) && isSet(m.ClientCertificatePath) {
		choice.Secret, choice.Certificate = true, true // two sources of one kind conflict too
	}
	switch choice.Source() {
	case auth.AgentCredentialMissing:
		diags.AddAttributeError(pathSessionClientID, "Missing Client Credentials",
			"A session is started as a client application. Set client_id with one of client_secret_env_var or "+
				"client_secret_file_path (a client secret of that application, read when the action runs), "+
				"client_certificate_path or client_certificate_env_var (a certificate with its private key) or use_oidc = true "+
				"(the provider's OIDC token, through the application's federated credential); or set use_provider_identity = "+
				"true when the provider itself authenticates as the client (an aliased provider block can sign in as the "+
				"client, with an ephemeral client_secret).")
		return
	case auth.AgentCredentialConflict:
		diags.AddAttributeError(pathSessionClientID, "Conflicting Client Credentials",
			"Set exactly one of client_secret_env_var, client_secret_file_path, client_certificate_path, "+
				"client_certificate_env_var, use_oidc = true and use_provider_identity = true: each names a way to "+
				"authenticate as the client, and the provider must know which one to use.")
		return
	case auth.AgentCredentialProviderIdentity:
	default:
		if m.ClientID.IsNull() {
			diags.AddAttributeError(pathSessionClientID, "Missing Client ID",
				"client_id is required with a client secret, a certificate and use_oidc: it names the client application "+
					"the credential belongs to.")
		}
	}
	if !m.ClientCertificatePasswordEnvVar.IsNull() && !choice.Certificate {
		diags.AddAttributeError(pathSessionCertPasswordEnv, "Certificate Password Without Certificate",
			"client_certificate_password_env_var names the password of the certificate's private key; set "+
				"client_certificate_path or client_certificate_env_var too, or remove it.")
	}
}

// progress sends one progress message, and logs it.
func progress(ctx context.Context, resp *action.InvokeResponse, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	tflog.Info(ctx, "lkps_session_start: "+msg)
	if resp.SendProgress != nil {
		resp.SendProgress(action.InvokeProgressEvent{Message: msg})
	}
}

func (a *sessionStartAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m sessionStartModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateSessionCredentials(m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if a.data == nil {
		resp.Diagnostics.AddError("Provider Not Configured",
			"The lkps provider was not configured before the action ran. This is a bug in the provider; please report it.")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sessionStartTimeout)
	defer cancel()

	agentID := strings.ToLower(m.AgentClientID.ValueString())
	cred, credAttr, how, ok := a.clientCredential(ctx, m, &resp.Diagnostics)
	if !ok {
		return
	}
	client, ok := a.data.lkpsClient(ctx, cred, &resp.Diagnostics)
	if !ok {
		return
	}
	const what = "start a session"
	progress(ctx, resp, "Requesting an access token for %s with %s.", client.Scope(), how)
	callerID, err := client.TokenAppID(ctx)
	if err != nil {
		if f, ok := auth.ExplainAuthFailure(err); ok {
			status := ""
			var afe *azidentity.AuthenticationFailedError
			if errors.As(err, &afe) && afe.RawResponse != nil {
				status = fmt.Sprintf("HTTP %d, ", afe.RawResponse.StatusCode)
			}
			progress(ctx, resp, "Microsoft Entra ID refused the token request: %s%s", status, f.Headline())
		}
		addLKPSError(&resp.Diagnostics, what, credAttr, err)
		return
	}
	progress(ctx, resp, "The token belongs to client ID %s.", callerID)
	if want := m.ClientID.ValueString(); isSet(m.ClientID) && !strings.EqualFold(callerID, want) {
		resp.Diagnostics.AddAttributeError(credAttr, "Token of Another Application",
			fmt.Sprintf("The access token belongs to application %s, not to client_id %s, so LKPS would decide for %s. "+
				"Configure the provider to authenticate as %s, or set client_id to %s.", callerID, want, callerID, want, callerID))
		return
	}
	progress(ctx, resp, "POST %s%s with agent_entra_app_id %s.", client.BaseURL(), lkps.PathSessionStart, agentID)
	session, err := client.StartSession(ctx, agentID)
	if err != nil {
		a.reportFailure(ctx, resp, what, credAttr, agentID, callerID, err)
		return
	}
	room := ""
	if session.RoomName != "" {
		room = " in room " + session.RoomName
	}
	expires := ""
	if !session.ExpiresAt.IsZero() {
		expires = ", expires " + session.ExpiresAt.UTC().Format(time.RFC3339)
	}
	progress(ctx, resp, "HTTP 200 from LKPS: session started for client %s with agent %s%s (LiveKit %s%s). The "+
		"participant token was discarded.", callerID, agentID, room, session.LiveKitURL, expires)
}

// clientCredential returns the credential the session is started with, the attribute it comes from and
// a description of it for the progress messages.
func (a *sessionStartAction) clientCredential(ctx context.Context, m sessionStartModel, diags *diag.Diagnostics) (azcore.TokenCredential, path.Path, string, bool) {
	clientID := m.ClientID.ValueString()
	switch m.choice().Source() {
	case auth.AgentCredentialProviderIdentity:
		if a.data.credentialErr != nil {
			diags.AddAttributeError(pathSessionProviderIdentity, "No Usable Provider Identity",
				fmt.Sprintf("use_provider_identity = true starts the session with the provider's identity, but the provider "+
					"could not set it up: %s.\n\nSee the provider documentation, \"Authentication\".", a.data.credentialErr))
			return nil, path.Empty(), "", false
		}
		return a.data.credential, pathSessionProviderIdentity, "the provider's identity (" + a.data.method.Description() + ")", true
	case auth.AgentCredentialOIDC:
		cred, ok := federatedCredential(ctx, a.data, clientID, "the client application", pathSessionUseOIDC, diags)
		return cred, pathSessionUseOIDC, "the provider's " + a.data.method.Kind.Description() + " token, exchanged for a token of " + clientID, ok
	}
	rt := m.runTime()
	attr, how := pathSessionSecretEnv, "a client secret of "+clientID+" from the environment variable "+rt.SecretEnvVar
	switch {
	case rt.SecretFilePath != "":
		attr, how = pathSessionSecretFile, "a client secret of "+clientID+" from the file "+rt.SecretFilePath
	case rt.CertificatePath != "":
		attr, how = pathSessionCertPath, "a certificate of "+clientID+" from the file "+rt.CertificatePath
	case rt.CertificateEnvVar != "":
		attr, how = pathSessionCertEnv, "a certificate of "+clientID+" from the environment variable "+rt.CertificateEnvVar
	}
	settings, err := rt.Settings(clientID, auth.OSLookup, auth.OSReadFile)
	if err != nil {
		at := attr
		var ce *auth.ConfigError
		if errors.As(err, &ce) && ce.Attribute != "" {
			at = path.Root(ce.Attribute)
		}
		diags.AddAttributeError(at, "Client Credential Not Readable", fmt.Sprintf("Could not read the client's credential: %s.", err))
		return nil, path.Empty(), "", false
	}
	cred, _, err := auth.NewAgentCredential(ctx, settings, a.data.authOpts)
	if err != nil {
		var ce *auth.ConfigError
		if errors.As(err, &ce) {
			if at, ok := sessionSettingAttribute(ce.Attribute, attr); ok {
				diags.AddAttributeError(at, "Invalid Client Credentials", ce.Error())
				return nil, path.Empty(), "", false
			}
		}
		diags.AddAttributeError(attr, "Invalid Client Credentials", fmt.Sprintf("Could not set up the client's credentials: %s.", err))
		return nil, path.Empty(), "", false
	}
	return cred, attr, how, true
}

// sessionSettingAttribute maps the attribute names of auth.AgentSettings errors to the action's: the
// credential's own errors belong to attr, the attribute it was read from.
func sessionSettingAttribute(name string, attr path.Path) (path.Path, bool) {
	switch name {
	case "client_id":
		return pathSessionClientID, true
	case "client_secret", "client_certificate":
		return attr, true
	case "client_certificate_password":
		return pathSessionCertPasswordEnv, true
	default:
		return path.Empty(), false
	}
}

// reportFailure reports a failed session start: a progress message with the status and the reason as
// Ocelot or LKPS gave it, and the diagnostic with the fix (internal/lkps's advice). For LKPS's 403 it adds
// lkps_client_authorization's decision on what Graph shows now, when the provider can read the agent.
func (a *sessionStartAction) reportFailure(ctx context.Context, resp *action.InvokeResponse, what string, credAttr path.Path, agentID, callerID string, err error) {
	var le *lkps.Error
	if errors.As(err, &le) && le.StatusCode != 0 {
		from := string(le.Source)
		if from == "" {
			from = "the LKPS endpoint"
		}
		reason := le.Detail
		if le.FailedCheck != "" {
			reason += " (failed_check " + le.FailedCheck + ")"
		}
		if reason == "" {
			reason = "no reason given"
		}
		progress(ctx, resp, "HTTP %d from %s: %s", le.StatusCode, from, reason)
	}
	var diags diag.Diagnostics
	addLKPSError(&diags, what, credAttr, err)
	if le != nil && le.Kind == lkps.KindClientNotAuthorized {
		if rule := a.ruleOnGraph(ctx, agentID, callerID, le.FailedCheck); rule != "" {
			for i, d := range diags {
				if d.Severity() == diag.SeverityError {
					diags[i] = diag.NewErrorDiagnostic(d.Summary(), d.Detail()+"\n\n"+rule)
					break
				}
			}
		}
	}
	resp.Diagnostics.Append(diags...)
}

// ruleOnGraph evaluates lkps_client_authorization's decision (lkps.Evaluate) for the client on the agent
// application as Graph shows it now, and says whether it agrees with LKPS's failed check. It returns ""
// when the provider cannot read the agent (no Graph access is needed to start a session).
func (a *sessionStartAction) ruleOnGraph(ctx context.Context, agentID, clientID, failedCheck string) string {
	ctx, cancel, client, ok := a.data.graphForCheck(ctx, sessionStartTimeout) // within the invocation's own timeout
	defer cancel()
	if !ok {
		return ""
	}
	app, exists, err := agentIfExists(ctx, client, agentID)
	if err != nil {
		tflog.Debug(ctx, "lkps_session_start: could not read the agent to explain LKPS's 403", map[string]any{"error": err.Error()})
		return ""
	}
	if !exists && failedCheck != "" && failedCheck != lkps.CheckScopeMissing {
		// LKPS read the agent, so the provider's identity only cannot see it (Application.ReadWrite.OwnedBy
		// shows owned applications only): the rule would explain nothing.
		return ""
	}
	d := lkps.Evaluate(decisionInput(app, exists, true, clientID))
	s := "lkps_client_authorization's rule, on the agent's app registration as Microsoft Graph shows it now: "
	switch {
	case d.Authorized:
		return s + "the client passes all three checks. Graph's replicas may not have caught up with a recent change " +
			"yet, or LKPS reads another copy: wait a minute and invoke the action again."
	case failedCheck != "" && d.FailedCheck != failedCheck:
		return s + d.FailedCheck + " (LKPS said " + failedCheck + "): " + d.Reason
	default:
		return s + d.FailedCheck + ": " + d.Reason
	}
}
