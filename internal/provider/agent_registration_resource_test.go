package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/graph"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// credentialConfig builds a configuration model with the given credential attributes; "" and nil mean null.
func credentialConfig(secret, cert, password string, useProvider *bool, secretVersion, certVersion *int64) agentRegistrationResourceModel {
	str := func(s string) types.String {
		if s == "" {
			return types.StringNull()
		}
		if s == "?" {
			return types.StringUnknown()
		}
		return types.StringValue(s)
	}
	m := agentRegistrationResourceModel{
		AgentClientID:                    types.StringValue("11111111-1111-1111-1111-111111111111"),
		AgentClientSecretWO:              str(secret),
		AgentClientCertificateWO:         str(cert),
		AgentClientCertificatePasswordWO: str(password),
		UseProviderIdentity:              types.BoolNull(),
		AgentClientSecretWOVersion:       types.Int64Null(),
		AgentClientCertificateWOVersion:  types.Int64Null(),
	}
	if useProvider != nil {
		m.UseProviderIdentity = types.BoolValue(*useProvider)
	}
	if secretVersion != nil {
		m.AgentClientSecretWOVersion = types.Int64Value(*secretVersion)
	}
	if certVersion != nil {
		m.AgentClientCertificateWOVersion = types.Int64Value(*certVersion)
	}
	return m
}

func TestValidateAgentCredentials(t *testing.T) {
	yes, no := true, false
	one := int64(1)
	tests := []struct {
		name     string
		config   agentRegistrationResourceModel
		wantPath string // "" means no error
		wantText string
	}{
		{"secret", credentialConfig("s3cret", "", "", nil, nil, nil), "", ""},
		{"secret with version", credentialConfig("s3cret", "", "", &no, &one, nil), "", ""},
		{"unknown secret counts as set", credentialConfig("?", "", "", nil, nil, nil), "", ""},
		{"certificate with password and version", credentialConfig("", "PEM", "pw", nil, nil, &one), "", ""},
		{"provider identity", credentialConfig("", "", "", &yes, nil, nil), "", ""},
		{"nothing", credentialConfig("", "", "", nil, nil, nil), "agent_client_id", "Missing Agent Credentials"},
		{"provider identity false", credentialConfig("", "", "", &no, nil, nil), "agent_client_id", "Missing Agent Credentials"},
		{"secret and certificate", credentialConfig("s", "PEM", "", nil, nil, nil), "agent_client_certificate_wo", "Conflicting Agent Credentials"},
		{"secret and provider identity", credentialConfig("s", "", "", &yes, nil, nil), "use_provider_identity", "Conflicting Agent Credentials"},
		{"password without certificate", credentialConfig("s", "", "pw", nil, nil, nil), "agent_client_certificate_password_wo", "Certificate Password Without Certificate"},
		{"secret version without secret", credentialConfig("", "PEM", "", nil, &one, nil), "agent_client_secret_wo_version", "Secret Version Without Secret"},
		{"certificate version without certificate", credentialConfig("s", "", "", nil, nil, &one), "agent_client_certificate_wo_version", "Certificate Version Without Certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var diags diag.Diagnostics
			validateAgentCredentials(tt.config, &diags)
			if tt.wantPath == "" {
				if diags.HasError() {
					t.Fatalf("unexpected errors: %v", diags)
				}
				return
			}
			if diags.ErrorsCount() != 1 {
				t.Fatalf("want exactly one error, got %v", diags)
			}
			d := diags.Errors()[0]
			withPath, ok := d.(diag.DiagnosticWithPath)
			if !ok || !withPath.Path().Equal(path.Root(tt.wantPath)) {
				t.Errorf("error %q is not on attribute %s", d.Summary(), tt.wantPath)
			}
			if d.Summary() != tt.wantText {
				t.Errorf("summary = %q, want %q", d.Summary(), tt.wantText)
			}
		})
	}
}

func TestNeedsRegistration(t *testing.T) {
	base := agentRegistrationResourceModel{
		EnforceClientAuthz:              types.BoolValue(true),
		UseProviderIdentity:             types.BoolValue(false),
		AgentClientSecretWOVersion:      types.Int64Value(1),
		AgentClientCertificateWOVersion: types.Int64Null(),
		LiveKitURL:                      types.StringValue("https://eu.livekit-np.int.bayer.com"),
	}
	tests := []struct {
		name   string
		change func(plan, state *agentRegistrationResourceModel)
		want   bool
	}{
		{"nothing changed", func(_, _ *agentRegistrationResourceModel) {}, false},
		{"timeouts only", func(p, _ *agentRegistrationResourceModel) { p.RegisteredAt = types.StringValue("x") }, false},
		{"flag", func(p, _ *agentRegistrationResourceModel) { p.EnforceClientAuthz = types.BoolValue(false) }, true},
		{"secret rotated", func(p, _ *agentRegistrationResourceModel) { p.AgentClientSecretWOVersion = types.Int64Value(2) }, true},
		{"certificate version added", func(p, _ *agentRegistrationResourceModel) {
			p.AgentClientCertificateWOVersion = types.Int64Value(1)
		}, true},
		{"credential switched to provider identity", func(p, _ *agentRegistrationResourceModel) {
			p.UseProviderIdentity = types.BoolValue(true)
		}, true},
		{"imported state", func(_, s *agentRegistrationResourceModel) {
			s.EnforceClientAuthz = types.BoolNull()
			s.LiveKitURL = types.StringNull()
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, state := base, base
			tt.change(&plan, &state)
			if got := needsRegistration(plan, state); got != tt.want {
				t.Errorf("needsRegistration = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestEverySessionRefusedReason(t *testing.T) {
	const scopeID = "aaaaaaaa-0000-0000-0000-000000000001"
	const clientA = "bbbbbbbb-0000-0000-0000-000000000001"
	scope := graph.PermissionScope{ID: scopeID, Value: "access_as_client", Enabled: true}
	tests := []struct {
		name   string
		app    graph.Application
		exists bool
		want   string // substring; "" means nobody is refused for sure
	}{
		{"agent gone", graph.Application{}, false, "not found in Entra ID"},
		{"no scope", graph.Application{Scopes: []graph.PermissionScope{{ID: scopeID, Value: "other"}}}, true, "does not expose"},
		{"scope value differs in case", graph.Application{Scopes: []graph.PermissionScope{{ID: scopeID, Value: "Access_As_Client"}}}, true, "does not expose"},
		{"no client", graph.Application{Scopes: []graph.PermissionScope{scope}}, true, "no client application is pre-authorized"},
		{"client without the scope", graph.Application{
			Scopes:        []graph.PermissionScope{scope},
			PreAuthorized: []graph.PreAuthorizedApplication{{AppID: clientA, DelegatedPermissionIDs: []string{"cccccccc-0000-0000-0000-000000000001"}}},
		}, true, "no client application is pre-authorized for the agent's access_as_client scope (" + scopeID + ")"},
		{"one client authorized", graph.Application{
			Scopes:        []graph.PermissionScope{scope},
			PreAuthorized: []graph.PreAuthorizedApplication{{AppID: clientA, DelegatedPermissionIDs: []string{strings.ToUpper(scopeID)}}},
		}, true, ""},
		{"disabled scope still counts", graph.Application{
			Scopes:        []graph.PermissionScope{{ID: scopeID, Value: "access_as_client", Enabled: false}},
			PreAuthorized: []graph.PreAuthorizedApplication{{AppID: clientA, DelegatedPermissionIDs: []string{scopeID}}},
		}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := everySessionRefusedReason(tt.app, tt.exists)
			if tt.want == "" {
				if got != "" {
					t.Errorf("want no reason, got %q", got)
				}
				return
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("reason %q does not contain %q", got, tt.want)
			}
		})
	}
}

// Every kind of LKPS failure gets its own summary, and the detail carries the lkps package's advice.
func TestLKPSErrorDiagnostics(t *testing.T) {
	seen := map[string]lkps.Kind{}
	for k := lkps.KindToken; k <= lkps.KindWrongIdentity; k++ {
		s := lkpsErrorSummary(k)
		if s == lkpsErrorSummary(lkps.Kind(0)) {
			t.Errorf("kind %s has no summary of its own", k)
		}
		if other, dup := seen[s]; dup {
			t.Errorf("kinds %s and %s share the summary %q", k, other, s)
		}
		seen[s] = k
	}

	attr := path.Root("agent_client_secret_wo")
	tests := []struct {
		err       error
		wantPath  bool
		wantParts []string
	}{
		{&lkps.Error{Kind: lkps.KindWrongIdentity, Op: "verify caller", CallerAppID: "22222222-2222-2222-2222-222222222222",
			AgentAppID: "11111111-1111-1111-1111-111111111111"}, true,
			[]string{"Could not register the agent: the LKPS access token belongs to application 22222222-2222-2222-2222-222222222222",
				"would record the registration under application 22222222-2222-2222-2222-222222222222"}},
		{&lkps.Error{Kind: lkps.KindToken, Op: "register agent", Err: errors.New("AADSTS7000215: invalid secret")}, true,
			[]string{"could not acquire an access token", "AADSTS7000215"}},
		{&lkps.Error{Kind: lkps.KindOcelotForbidden, Op: "register agent", StatusCode: 403, Source: lkps.SourceOcelot,
			CallerAppID: "11111111-1111-1111-1111-111111111111"}, false,
			[]string{"Ocelot refused application 11111111-1111-1111-1111-111111111111", "HTTP 403 from Ocelot", "Client Access List"}},
		{&lkps.Error{Kind: lkps.KindInvalidRequest, Op: "register agent", StatusCode: 400, Source: lkps.SourceLKPS,
			Detail: "service_config.enforce_client_authz must be a boolean"}, false,
			[]string{"rejected with 400", "must be a boolean"}},
		{errors.New("plain failure"), false, []string{"Could not register the agent: plain failure."}},
	}
	for _, tt := range tests {
		var diags diag.Diagnostics
		addLKPSError(&diags, "register the agent", attr, tt.err)
		if diags.ErrorsCount() != 1 {
			t.Fatalf("%v: want one error, got %v", tt.err, diags)
		}
		d := diags.Errors()[0]
		_, hasPath := d.(diag.DiagnosticWithPath)
		if hasPath != tt.wantPath {
			t.Errorf("%v: attribute path = %t, want %t", tt.err, hasPath, tt.wantPath)
		}
		for _, part := range tt.wantParts {
			if !strings.Contains(d.Detail(), part) {
				t.Errorf("%v: detail %q lacks %q", tt.err, d.Detail(), part)
			}
		}
	}
}
