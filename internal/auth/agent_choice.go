package auth

// AgentCredentialSource is where the credential of a call made as the agent (the LKPS registration)
// comes from.
type AgentCredentialSource int

const (
	// AgentCredentialMissing: none of the ways to authenticate as the agent is given.
	AgentCredentialMissing AgentCredentialSource = iota
	// AgentCredentialConflict: more than one way is given, and the provider must not guess.
	AgentCredentialConflict
	// AgentCredentialProviderIdentity: the provider's own identity is the agent.
	AgentCredentialProviderIdentity
	// AgentCredentialSecret: a client secret of the agent application.
	AgentCredentialSecret
	// AgentCredentialCertificate: a certificate of the agent application with its private key.
	AgentCredentialCertificate
	// AgentCredentialOIDC: the provider's OIDC token, exchanged for a token of the agent application
	// through the agent's own federated identity credential (FederatedCredentialFor).
	AgentCredentialOIDC
)

// AgentCredentialChoice says which ways to authenticate as the agent a configuration gives. A value that
// is not known yet (at validation) counts as given.
type AgentCredentialChoice struct {
	ProviderIdentity bool
	Secret           bool
	Certificate      bool
	OIDC             bool
}

// Source chooses the credential: exactly one way must be given.
func (c AgentCredentialChoice) Source() AgentCredentialSource {
	n := 0
	for _, b := range []bool{c.ProviderIdentity, c.Secret, c.Certificate, c.OIDC} {
		if b {
			n++
		}
	}
	switch {
	case n == 0:
		return AgentCredentialMissing
	case n > 1:
		return AgentCredentialConflict
	case c.ProviderIdentity:
		return AgentCredentialProviderIdentity
	case c.Secret:
		return AgentCredentialSecret
	case c.OIDC:
		return AgentCredentialOIDC
	default:
		return AgentCredentialCertificate
	}
}

// Source reports which agent credential the settings carry; AgentCredentialMissing or
// AgentCredentialConflict when they carry none or both.
func (a AgentSettings) Source() AgentCredentialSource {
	return AgentCredentialChoice{Secret: a.ClientSecret != "", Certificate: a.ClientCertificate != ""}.Source()
}
