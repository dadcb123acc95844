package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

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
	}
}

// validateAgentCredentials checks the credential attributes of a configuration. Unknown values count as
// set, since they will be known at apply.
func validateAgentCredentials(c agentRegistrationResourceModel, diags *diag.Diagnostics) {
	given := func(v interface{ IsNull() bool }) bool { return !v.IsNull() }
	choice := configuredAgentCredential(c)
	secret, cert, providerIdentity := choice.Secret, choice.Certificate, choice.ProviderIdentity
	switch choice.Source() {
	case auth.AgentCredentialMissing:
		diags.AddAttributeError(pathAgentClientID, "Missing Agent Credentials",
			"LKPS records a registration under the calling application's client ID, so the registration must be made as the "+
				"agent. Set one of agent_client_secret_wo (a client secret of the agent's app registration), "+
				"agent_client_certificate_wo (a certificate with its private key), or use_provider_identity = true when the "+
				"provider itself authenticates as the agent.")
	case auth.AgentCredentialConflict:
		at := pathAgentCertificate
		if providerIdentity {
			at = pathUseProviderIdentity
		}
		diags.AddAttributeError(at, "Conflicting Agent Credentials",
			"Set exactly one of agent_client_secret_wo, agent_client_certificate_wo and use_provider_identity = true: each "+
				"names a way to authenticate as the agent, and the provider must know which one to use.")
	}
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
