package provider

import (
	"os"
	"strings"
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/environments"
	"github.com/bayer/terraform-provider-lkps/internal/lkps"
)

// TestTroubleshootingDocNamesTheDiagnostics keeps the Troubleshooting section of the provider page
// (templates/index.md.tmpl, rendered to docs/index.md) in step with what the provider prints: every
// diagnostic title it quotes must be the one the code uses, and every row of the LKPS guide's tables must
// be there.
func TestTroubleshootingDocNamesTheDiagnostics(t *testing.T) {
	raw, err := os.ReadFile("../../docs/index.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	start := strings.Index(doc, "## Troubleshooting")
	if start < 0 {
		t.Fatal("docs/index.md has no Troubleshooting section")
	}
	section := doc[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	entry := environments.MustLookup(environments.NonProd, environments.EU)
	for _, want := range []string{
		// The guide's tables and rows ("Ocelot Access Setup" → Troubleshooting).
		"### 401 Unauthorized", "Expired or invalid Entra JWT", "Token does not target the LKPS audience",
		"### 403 Forbidden (from Ocelot)", "Client ID not in the Ocelot route's Client Access List", "Wrong environment",
		"### 403 Forbidden (from LKPS)", "Client not authorized for the target agent",
		"### Unable to access the Ocelot UI", "No access to the Ocelot UI",
		// The diagnostics, as the code names them.
		lkpsErrorSummary(lkps.KindOcelotUnauthorized), lkpsErrorSummary(lkps.KindOcelotForbidden),
		lkpsErrorSummary(lkps.KindClientNotAuthorized), "LKPS Would Refuse Every Session Start",
		"Check block assertion failed", lkps.CheckScopeMissing, lkps.CheckClientNotPreauthorized, lkps.CheckScopeNotGranted,
		// The credential, Graph and proxy diagnostics (diagnostics.go, preauthorized_client_checks.go).
		"No credentials found", "Authentication failed", "AADSTS7000215: the client secret is wrong",
		"Insufficient privileges on the agent application", "Scope not found on the agent", "Client application not found in the tenant",
		"something between the provider and LKPS answered", "Application.ReadWrite.OwnedBy",
		"Missing: ownership.", "Missing: a Microsoft Graph application permission.",
		// Issue 19's cases: TLS trust, a duplicate in one configuration, swapped import IDs, a change of case, the
		// open registration on destroy.
		auth.SummaryTLSUntrusted, ". bin/emulator/env", "SSL_CERT_FILE",
		"Duplicate pre-authorization in this configuration", "Remove the duplicate resource", "The client is already pre-authorized",
		"Import ID looks swapped", "the plan is empty in both directions",
		"The Agent Stays Registered with LKPS", "every client application on the Client Access List",
		// The places the fixes send the user to.
		entry.OcelotRouteURL, entry.OcelotAccessURL, entry.LKPSAudience,
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the Troubleshooting section does not mention %q", want)
		}
	}
}
