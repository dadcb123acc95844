package emulator

import (
	"sort"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/environments"
)

// providerEnv builds the provider's environment variables for a server, a CA file and a route.
func providerEnv(s *Server, caFile string, env environments.Environment, region environments.Region) map[string]string {
	entry := environments.MustLookup(env, region)
	out := map[string]string{
		"LKPS_ENVIRONMENT":    string(env),
		"LKPS_REGION":         string(region),
		"LKPS_BASE_URL":       s.LKPSBaseURL(env, region),
		"LKPS_GRAPH_BASE_URL": s.GraphBaseURL(),
		"LKPS_AUTHORITY_HOST": s.AuthorityHost(),
		"LKPS_TOKEN_SCOPE":    entry.LKPSScope,
		"ARM_TENANT_ID":       s.TenantID(),
		"SSL_CERT_FILE":       caFile,
	}
	if d, ok := s.Seed().Deployer(); ok {
		out["ARM_CLIENT_ID"] = d.AppID
		out["ARM_CLIENT_SECRET"] = d.Secrets[0].Value
		out["ARM_USE_CLI"] = "false"
	}
	return out
}

// Env returns the environment variables a shell needs to point the provider and curl at the server for
// a route: the provider's LKPS_* and ARM_* variables (ARM_CLIENT_ID/SECRET of the seed's deployer, if
// any), and SSL_CERT_FILE and CURL_CA_BUNDLE naming caFile.
func (s *Server) Env(caFile string, env environments.Environment, region environments.Region) (map[string]string, error) {
	if _, err := environments.Lookup(env, region); err != nil {
		return nil, err
	}
	out := providerEnv(s, caFile, env, region)
	out["CURL_CA_BUNDLE"] = caFile
	return out, nil
}

// ExportLines formats environment variables as POSIX shell export lines, sorted by name, with values
// single-quoted.
func ExportLines(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("export " + k + "='" + strings.ReplaceAll(env[k], "'", `'\''`) + "'\n")
	}
	return b.String()
}
