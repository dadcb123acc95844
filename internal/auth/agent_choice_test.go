package auth

import "testing"

func TestAgentCredentialChoice(t *testing.T) {
	cases := []struct {
		c    AgentCredentialChoice
		want AgentCredentialSource
	}{
		{AgentCredentialChoice{}, AgentCredentialMissing},
		{AgentCredentialChoice{ProviderIdentity: true}, AgentCredentialProviderIdentity},
		{AgentCredentialChoice{Secret: true}, AgentCredentialSecret},
		{AgentCredentialChoice{Certificate: true}, AgentCredentialCertificate},
		{AgentCredentialChoice{Secret: true, Certificate: true}, AgentCredentialConflict},
		{AgentCredentialChoice{ProviderIdentity: true, Secret: true}, AgentCredentialConflict},
		{AgentCredentialChoice{ProviderIdentity: true, Certificate: true}, AgentCredentialConflict},
		{AgentCredentialChoice{ProviderIdentity: true, Secret: true, Certificate: true}, AgentCredentialConflict},
		{AgentCredentialChoice{OIDC: true}, AgentCredentialOIDC},
		{AgentCredentialChoice{OIDC: true, Secret: true}, AgentCredentialConflict},
		{AgentCredentialChoice{OIDC: true, ProviderIdentity: true}, AgentCredentialConflict},
	}
	for _, tc := range cases {
		if got := tc.c.Source(); got != tc.want {
			t.Errorf("%+v.Source() = %v, want %v", tc.c, got, tc.want)
		}
	}
	if got := (AgentSettings{ClientID: "x", ClientCertificate: "pem"}).Source(); got != AgentCredentialCertificate {
		t.Errorf("settings with a certificate: %v", got)
	}
	if got := (AgentSettings{ClientID: "x"}).Source(); got != AgentCredentialMissing {
		t.Errorf("settings without a credential: %v", got)
	}
}
