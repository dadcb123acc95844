package emulator

import (
	"net/http"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/entra"
	"github.com/bayer/terraform-provider-lkps/internal/emulator/jsonhttp"
)

// serveMetadata serves the Azure cloud metadata document that lets Azure tooling (the azuread provider
// with ARM_METADATA_HOSTNAME) find the emulator's token service and Graph.
func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metadata/endpoints" {
		http.NotFound(w, r)
		return
	}
	if !entra.AllowGetOrHead(w, r) {
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":{"code":"MissingApiVersionParameter","message":"The api-version query parameter (?api-version=) is required for all requests."}}`))
		return
	}
	base := s.URL()
	graph := s.GraphBaseURL() + "/"
	doc := map[string]any{
		"name":                     "LKPSEmulator",
		"portal":                   base + "/portal",
		"resourceManager":          base + "/arm/",
		"microsoftGraphResourceId": graph,
		"graph":                    graph,
		"graphAudience":            graph,
		"authentication": map[string]any{
			"loginEndpoint":    base,
			"audiences":        []string{base + "/arm/"},
			"tenant":           "common",
			"identityProvider": "AAD",
		},
		"suffixes": map[string]any{
			"acrLoginServer":      "azurecr.emulator.invalid",
			"keyVaultDns":         "vault.emulator.invalid",
			"storage":             "core.emulator.invalid",
			"sqlServerHostname":   "database.emulator.invalid",
			"mhsmDns":             "managedhsm.emulator.invalid",
			"attestationEndpoint": "attest.emulator.invalid",
		},
	}
	jsonhttp.Write(w, http.StatusOK, doc, "Content-Type", "application/json; charset=utf-8")
}
