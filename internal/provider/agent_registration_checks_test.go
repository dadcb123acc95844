package provider

import (
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

func TestWarnRegistrationMismatches(t *testing.T) {
	const agent, other = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
	echoedTrue := true
	var diags diag.Diagnostics
	warnRegistrationMismatches(&diags, agent, lkps.Registration{AgentAppID: other, EnforceClientAuthz: false, EchoedEnforceClientAuthz: &echoedTrue})
	if diags.HasError() || diags.WarningsCount() != 2 {
		t.Fatalf("diagnostics %v", diags)
	}
	want := map[string]path.Path{"LKPS Echoed Another agent_entra_app_id": pathAgentClientID, "LKPS Echoed Another enforce_client_authz": pathEnforceClientAuthz}
	for _, d := range diags {
		at, ok := want[d.Summary()]
		wd, isAttr := d.(diag.DiagnosticWithPath)
		if !ok || !isAttr || !wd.Path().Equal(at) {
			t.Errorf("unexpected warning %q", d.Summary())
		}
		if !strings.Contains(d.Detail(), "keeps the value it sent") {
			t.Errorf("warning %q does not say what the provider does: %s", d.Summary(), d.Detail())
		}
	}
	diags = nil
	warnRegistrationMismatches(&diags, agent, lkps.Registration{AgentAppID: strings.ToUpper(agent), EnforceClientAuthz: true, EchoedEnforceClientAuthz: &echoedTrue})
	warnRegistrationMismatches(&diags, agent, lkps.Registration{EnforceClientAuthz: true})
	if len(diags) != 0 {
		t.Fatalf("matching or absent echoes warned: %v", diags)
	}
}

func TestSetFromRegistration(t *testing.T) {
	m := agentRegistrationResourceModel{AgentClientID: types.StringValue("ABC")}
	m.setFromRegistration(lkps.Registration{EnforceClientAuthz: true, LiveKitURL: "wss://lk"})
	if m.ID.ValueString() != "abc" || !m.RegisteredAt.IsNull() || m.LiveKitURL.ValueString() != "wss://lk" || !m.EnforceClientAuthz.ValueBool() {
		t.Fatalf("without a readable time: %+v", m)
	}
	m.setFromRegistration(lkps.Registration{LiveKitURL: "wss://lk", RegisteredAt: time.Date(2026, 11, 22, 11, 0, 0, 0, time.FixedZone("CET", 3600))})
	if m.RegisteredAt.ValueString() != "2026-11-22T10:00:00Z" || m.EnforceClientAuthz.ValueBool() {
		t.Fatalf("with a time: %+v", m)
	}
}

func TestAgentSettingAttribute(t *testing.T) {
	for name, want := range map[string]path.Path{
		"client_id": pathAgentClientID, "client_secret": pathAgentSecret, "client_certificate": pathAgentCertificate,
		"client_certificate_password": pathAgentCertPassword,
	} {
		if got, ok := agentSettingAttribute(name); !ok || !got.Equal(want) {
			t.Errorf("agentSettingAttribute(%q) = %v, %v", name, got, ok)
		}
	}
	if _, ok := agentSettingAttribute("tenant_id"); ok {
		t.Error("tenant_id is not an attribute of the resource")
	}
}
