package auth

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documentation diagnostics link to exists: the default page is this repository's docs/index.md,
// and it has a heading for every anchor the provider links.
func TestDocsLinksExist(t *testing.T) {
	const repoDocs = "https://github.com/bayer/terraform-provider-lkps/blob/main/"
	if !strings.HasPrefix(DocsProviderPageURL, repoDocs) {
		t.Fatalf("DocsProviderPageURL = %s, want a page under %s", DocsProviderPageURL, repoDocs)
	}
	page, err := os.ReadFile(filepath.Join("..", "..", strings.TrimPrefix(DocsProviderPageURL, repoDocs)))
	if err != nil {
		t.Fatalf("the linked page is not in the repository: %v", err)
	}
	for _, link := range []string{DocsAuthenticationURL} {
		_, anchor, ok := strings.Cut(link, "#")
		if !ok {
			t.Fatalf("%s has no anchor", link)
		}
		heading := regexp.MustCompile(`(?m)^#+ (.+)$`)
		found := false
		for _, m := range heading.FindAllStringSubmatch(string(page), -1) {
			if strings.ReplaceAll(strings.ToLower(m[1]), " ", "-") == anchor {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no heading for #%s in %s", link, anchor, DocsProviderPageURL)
		}
	}
}

func TestClassifyTransport(t *testing.T) {
	for _, tt := range []struct {
		name, err, want string
	}{
		{"unknown authority", `Get "https://127.0.0.1:8443/v1.0/x": tls: failed to verify certificate: x509: certificate signed by unknown authority`, "SSL_CERT_FILE"},
		{"expired", `x509: certificate has expired or is not yet valid`, "restart the emulator"},
		{"other host", `x509: certificate is valid for localhost, not example.com`, "endpoint overrides"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := ClassifyTransport(errString(tt.err))
			if !ok || !strings.Contains(f.Advice, tt.want) || !strings.Contains(f.Advice, ". bin/emulator/env") && tt.name != "other host" {
				t.Errorf("ClassifyTransport(%q) = %+v, %v; want advice with %q and the emulator's exports", tt.err, f, ok, tt.want)
			}
		})
	}
	if _, ok := ClassifyTransport(errString("AADSTS7000215: Invalid client secret provided.")); ok {
		t.Error("an authentication failure was classified as a transport failure")
	}
}

type errString string

func (e errString) Error() string { return string(e) }
