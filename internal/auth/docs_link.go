package auth

// DocsProviderPageURL is the provider documentation page diagnostics link to: by default the
// repository's docs/index.md, which exists for every build. It is the one place to change; a release
// published to a registry sets it at build time:
//
//	-ldflags "-X github.com/bayer/terraform-provider-lkps/internal/auth.DocsProviderPageURL=https://registry.terraform.io/providers/bayer/lkps/latest/docs"
//
// (the registry page has the same section anchors).
var DocsProviderPageURL = "https://github.com/bayer/terraform-provider-lkps/blob/main/docs/index.md"

// DocsURL links a section of the provider documentation page by its anchor, such as "authentication".
func DocsURL(anchor string) string { return DocsProviderPageURL + "#" + anchor }
