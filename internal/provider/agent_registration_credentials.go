package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
)

// The credentials of lkps_agent_registration: which of the configured ways to authenticate as the agent
// is used (the rule itself is auth.AgentCredentialChoice), and the errors that name the attribute at fault.

// configuredAgentCredential says which ways to authenticate as the agent a configuration gives. Unknown
// values count as given, since they will be known at apply.
func configuredAgentCredential(c agentRegistrationResourceModel) auth.AgentCredentialChoice {
	return auth.AgentCredentialChoice{
		ProviderIdentity: c.UseProviderIdentity.IsUnknown() || c.UseProviderIdentity.ValueBool(),
		Secret:           !c.AgentClientSecretWO.IsNull(),
		Certificate:      !c.AgentClientCertificateWO.IsNull(),
		OIDC:             c.AgentUseOIDC.IsUnknown() || c.AgentUseOIDC.ValueBool(),
	}
}

// validateAgentCredentials checks the credential attributes of a configuration. Unknown values count as
// set, since they will be known at apply, except that an unknown choice is no conflict yet.
func validateAgentCredentials(c agentRegistrationResourceModel, diags *diag.Diagnostics) {
	given := func(v interface{ IsNull() bool }) bool { return !v.IsNull() }
	choice := configuredAgentCredential(c)
	secret, cert, providerIdentity := choice.Secret, choice.Certificate, choice.ProviderIdentity
	switch choice.Source() {
	case auth.AgentCredentialMissing:
		diags.AddAttributeError(pathAgentClientID, "Missing Agent Credentials",
			"LKPS records a registration under the calling application's client ID, so the registration must be made as the "+
				"agent. Set one of agent_client_secret_wo (a client secret of the agent's app registration), "+
				"agent_client_certificate_wo (a certificate with its private key), agent_use_oidc = true (the provider's OIDC "+
				"token, through a federated credential of the agent), or use_provider_identity = true when the provider itself "+
				"authenticates as the agent.")
	case auth.AgentCredentialConflict:
		if c.UseProviderIdentity.IsUnknown() || c.AgentUseOIDC.IsUnknown() {
			// A module's input is unknown at validate time (`terraform validate`, a module offering
			// both choices): the check runs again once the plan knows the values.
			break
		}
		at := pathAgentCertificate
		switch {
		case providerIdentity:
			at = pathUseProviderIdentity
		case choice.OIDC:
			at = pathAgentUseOIDC
		}
		diags.AddAttributeError(at, "Conflicting Agent Credentials",
			"Set exactly one of agent_client_secret_wo, agent_client_certificate_wo, agent_use_oidc = true and "+
				"use_provider_identity = true: each names a way to authenticate as the agent, and the provider must know which "+
				"one to use.")
	}
	emptyAgentCredential(c, diags)
	if given(c.AgentClientCertificatePasswordWO) && !cert {
		diags.AddAttributeError(pathAgentCertPassword, "Certificate Password Without Certificate",
			"agent_client_certificate_password_wo decrypts agent_client_certificate_wo's private key; set the certificate too, "+
				"or remove the password.")
	}
	if given(c.AgentClientSecretWOVersion) && !secret {
		diags.AddAttributeError(pathAgentSecretVersion, "Secret Version Without Secret",
			"agent_client_secret_wo_version only tells Terraform that agent_client_secret_wo changed; set the secret too, or "+
				"remove the version.")
	}
	if given(c.AgentClientCertificateWOVersion) && !cert {
		diags.AddAttributeError(pathAgentCertVersion, "Certificate Version Without Certificate",
			"agent_client_certificate_wo_version only tells Terraform that agent_client_certificate_wo changed; set the "+
				"certificate too, or remove the version.")
	}
}

// agentCredential returns the credential to register with and the attribute it comes from.
func (r *agentRegistrationResource) agentCredential(ctx context.Context, agentID string, config agentRegistrationResourceModel, diags *diag.Diagnostics) (azcore.TokenCredential, path.Path, bool) {
	if r.data == nil {
		diags.AddError("Provider Not Configured",
			"The lkps provider was not configured before the resource used it. This is a bug in the provider; please report it.")
		return nil, path.Empty(), false
	}
	if config.AgentUseOIDC.ValueBool() {
		cred, ok := federatedCredential(ctx, r.data, agentID, "the agent", pathAgentUseOIDC, diags)
		return cred, pathAgentUseOIDC, ok
	}
	if config.UseProviderIdentity.ValueBool() {
		if r.data.credentialErr != nil {
			diags.AddAttributeError(pathUseProviderIdentity, "No Usable Provider Identity",
				fmt.Sprintf("use_provider_identity = true registers the agent with the provider's identity, but the provider "+
					"could not set it up: %s.\n\nSee the provider documentation, \"Authentication\".", r.data.credentialErr))
			return nil, path.Empty(), false
		}
		return r.data.credential, pathUseProviderIdentity, true
	}
	settings := auth.AgentSettings{
		ClientID:                  agentID,
		ClientSecret:              config.AgentClientSecretWO.ValueString(),
		ClientCertificate:         config.AgentClientCertificateWO.ValueString(),
		ClientCertificatePassword: config.AgentClientCertificatePasswordWO.ValueString(),
	}
	credAttr := pathAgentSecret
	if settings.ClientCertificate != "" {
		credAttr = pathAgentCertificate
	}
	if emptyAgentCredential(config, diags) {
		return nil, path.Empty(), false
	}
	if settings.ClientSecret == "" && settings.ClientCertificate == "" {
		diags.AddAttributeError(pathAgentClientID, "Missing Agent Credentials",
			"Set agent_client_secret_wo, agent_client_certificate_wo, or use_provider_identity = true: the registration must "+
				"be made as the agent. Write-only attributes need Terraform 1.11 or later.")
		return nil, path.Empty(), false
	}
	cred, _, err := auth.NewAgentCredential(ctx, settings, r.data.authOpts)
	if err != nil {
		var ce *auth.ConfigError
		if errors.As(err, &ce) {
			if at, ok := agentSettingAttribute(ce.Attribute); ok {
				diags.AddAttributeError(at, "Invalid Agent Credentials", ce.Error())
				return nil, path.Empty(), false
			}
		}
		diags.AddAttributeError(credAttr, "Invalid Agent Credentials", fmt.Sprintf("Could not set up the agent's credentials: %s.", err))
		return nil, path.Empty(), false
	}
	return cred, credAttr, true
}

// agentSettingAttribute maps the attribute names of auth.AgentSettings errors to this resource's.
func agentSettingAttribute(name string) (path.Path, bool) {
	switch name {
	case "client_id":
		return pathAgentClientID, true
	case "client_secret":
		return pathAgentSecret, true
	case "client_certificate":
		return pathAgentCertificate, true
	case "client_certificate_password":
		return pathAgentCertPassword, true
	default:
		return path.Empty(), false
	}
}

// emptyAgentCredential reports a secret or certificate that is set but empty (or only white space), as
// when Enter is pressed at Terraform's prompt for the variable that carries it: the attribute is given,
// so "missing" would mislead. Unknown values are not checked.
func emptyAgentCredential(c agentRegistrationResourceModel, diags *diag.Diagnostics) bool {
	return emptyCredentialValue(c.AgentClientSecretWO, pathAgentSecret, "a client secret of the agent's app registration (its Value, not its Secret ID)", diags) ||
		emptyCredentialValue(c.AgentClientCertificateWO, pathAgentCertificate, "a certificate of the agent's app registration with its private key", diags)
}

// emptyCredentialValue reports, on attr, a credential value that is known and empty; want says what it
// must hold.
func emptyCredentialValue(v types.String, attr path.Path, want string, diags *diag.Diagnostics) bool {
	if v.IsNull() || v.IsUnknown() || strings.TrimSpace(v.ValueString()) != "" {
		return false
	}
	name := attr.String()
	diags.AddAttributeError(attr, "Empty "+name,
		fmt.Sprintf("%s is set, but its value is empty (for example Enter was pressed at Terraform's prompt for the variable "+
			"that carries it, or its TF_VAR_ environment variable is empty). Set it to %s, or remove it and choose another "+
			"credential.", name, want))
	return true
}

// federatedCredential builds the credential of application clientID from the provider's OIDC token
// (auth.FederatedCredentialFor). whose names the application ("the agent") and attr the attribute that
// asked for it, which carries the error when the provider has no OIDC token.
func federatedCredential(ctx context.Context, data *providerData, clientID, whose string, attr path.Path, diags *diag.Diagnostics) (azcore.TokenCredential, bool) {
	if data.credentialErr != nil {
		diags.AddAttributeError(attr, "OIDC Not Configured on the Provider",
			fmt.Sprintf("%s = true exchanges the provider's OIDC token for a token of %s %s, but the provider could not set up "+
				"its identity: %s.\n\nSee the provider documentation, \"Authentication\" (use_oidc).", attr, whose, clientID, data.credentialErr))
		return nil, false
	}
	cred, m, err := auth.FederatedCredentialFor(ctx, data.method, clientID, data.authOpts)
	if err != nil {
		var no *auth.NoOIDCError
		if errors.As(err, &no) {
			diags.AddAttributeError(attr, "OIDC Not Configured on the Provider",
				fmt.Sprintf("%s = true exchanges the provider's OIDC token for a token of %s %s, but %s.\n\nThe provider's "+
					"identity for Microsoft Graph and %s are two applications that share one OIDC token: give %s a federated "+
					"credential for the token's issuer and subject (see the provider documentation, \"Authentication\").",
					attr, whose, clientID, err, whose, whose))
			return nil, false
		}
		diags.AddAttributeError(attr, "Invalid OIDC Settings", fmt.Sprintf("Could not set up the credential of %s %s: %s.", whose, clientID, err))
		return nil, false
	}
	tflog.Debug(ctx, "Using the provider's OIDC token for another application", map[string]any{"method": m.String()})
	return cred, true
}
