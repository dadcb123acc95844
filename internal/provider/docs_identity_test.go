package provider

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// The Import sections of the resource pages list each identity attribute by hand (docs are generated with
// Terraform 1.11, whose schema output carries no identities): every attribute of every identity schema
// must be listed with its kind and its description, and nothing else.
func TestDocsIdentitySchemaMatchesTheResources(t *testing.T) {
	ctx := context.Background()
	for _, newResource := range (&lkpsProvider{}).Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "lkps"}, &meta)
		withIdentity, ok := r.(resource.ResourceWithIdentity)
		if !ok {
			t.Errorf("%s has no identity", meta.TypeName)
			continue
		}
		var id resource.IdentitySchemaResponse
		withIdentity.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &id)
		file := "../../templates/resources/" + strings.TrimPrefix(meta.TypeName, "lkps_") + ".md.tmpl"
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		section := text[strings.Index(text, "### Identity Schema"):]
		section = section[:strings.Index(section, "The [`terraform import` command]")]
		var names []string
		for name := range id.IdentitySchema.Attributes {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			a := id.IdentitySchema.Attributes[name]
			kind := "optional for import"
			if a.IsRequiredForImport() {
				kind = "required for import"
			}
			want := "- `" + name + "` (String, " + kind + ") " + a.GetDescription() + "\n"
			if !strings.Contains(section, want) {
				t.Errorf("%s: the Identity Schema section lacks %q", file, want)
			}
		}
		if got := strings.Count(section, "\n- `"); got != len(names) {
			t.Errorf("%s: the Identity Schema section lists %d attributes, the identity has %d", file, got, len(names))
		}
	}
}
