package provider

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"
)

// describedAttribute is what every schema attribute type offers.
type describedAttribute interface {
	GetMarkdownDescription() string
}

// TestSchemaDescriptionsAreSentences walks every schema of the provider and requires a description on
// every attribute that is a full sentence: it starts with a capital letter (or a code span) and ends
// with a period. The docs are generated from these descriptions.
func TestSchemaDescriptionsAreSentences(t *testing.T) {
	ctx := context.Background()
	p := New("test", "test")()

	var presp provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &presp)
	checkDescription(t, "provider", presp.Schema.MarkdownDescription)
	for name, a := range presp.Schema.Attributes {
		checkAttribute(t, "provider."+name, a)
	}
	if _, ok := presp.Schema.Attributes["environment"].(pschema.StringAttribute); !ok {
		t.Error("provider.environment is not a string attribute")
	}

	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "lkps"}, &meta)
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		checkDescription(t, meta.TypeName, resp.Schema.MarkdownDescription)
		for name, a := range resp.Schema.Attributes {
			checkAttribute(t, meta.TypeName+"."+name, a)
			switch n := a.(type) {
			case rschema.ListNestedAttribute:
				for sub, sa := range n.NestedObject.Attributes {
					checkAttribute(t, meta.TypeName+"."+name+"."+sub, sa)
				}
			case rschema.SingleNestedAttribute: // the timeouts block
				for sub, sa := range n.Attributes {
					checkAttribute(t, meta.TypeName+"."+name+"."+sub, sa)
				}
			}
		}
		if ri, ok := r.(resource.ResourceWithIdentity); ok {
			var iresp resource.IdentitySchemaResponse
			ri.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &iresp)
			for name, a := range iresp.IdentitySchema.Attributes {
				checkIdentityAttribute(t, meta.TypeName+" identity."+name, a.GetDescription(), a.GetMarkdownDescription())
			}
		}
	}
	if pl, ok := p.(provider.ProviderWithListResources); ok {
		for _, newList := range pl.ListResources(ctx) {
			l := newList()
			var meta resource.MetadataResponse
			l.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "lkps"}, &meta)
			var resp list.ListResourceSchemaResponse
			l.ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &resp)
			checkDescription(t, "list "+meta.TypeName, resp.Schema.MarkdownDescription)
			for name, a := range resp.Schema.Attributes {
				checkAttribute(t, "list "+meta.TypeName+"."+name, a)
			}
		}
	} else {
		t.Error("the provider offers no list resources")
	}
	for _, newDataSource := range p.DataSources(ctx) {
		d := newDataSource()
		var meta datasource.MetadataResponse
		d.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "lkps"}, &meta)
		var resp datasource.SchemaResponse
		d.Schema(ctx, datasource.SchemaRequest{}, &resp)
		checkDescription(t, meta.TypeName, resp.Schema.MarkdownDescription)
		for name, a := range resp.Schema.Attributes {
			checkAttribute(t, meta.TypeName+"."+name, a)
			if n, ok := a.(dsschema.ListNestedAttribute); ok {
				for sub, sa := range n.NestedObject.Attributes {
					checkAttribute(t, meta.TypeName+"."+name+"."+sub, sa)
				}
			}
		}
	}
}

// checkIdentityAttribute checks an identity attribute, which carries its text in Description (plain
// text; identity schemas have no Markdown) or MarkdownDescription.
func checkIdentityAttribute(t *testing.T, name, desc, markdown string) {
	t.Helper()
	if markdown != "" {
		desc = markdown
	}
	checkDescription(t, name, desc)
}

func checkAttribute(t *testing.T, name string, a any) {
	t.Helper()
	d, ok := a.(describedAttribute)
	if !ok {
		t.Errorf("%s: attribute type %T has no description", name, a)
		return
	}
	checkDescription(t, name, d.GetMarkdownDescription())
}

func checkDescription(t *testing.T, name, desc string) {
	t.Helper()
	desc = strings.TrimSpace(desc)
	if desc == "" {
		t.Errorf("%s: no description", name)
		return
	}
	first := []rune(desc)[0]
	if !unicode.IsUpper(first) && first != '`' {
		t.Errorf("%s: description does not start a sentence: %q", name, desc)
	}
	if !strings.HasSuffix(desc, ".") {
		t.Errorf("%s: description is not a full sentence ending in a period: %q", name, desc)
	}
}

// TestTimeoutDefaultsAreDocumented requires every resource's timeouts block, and each operation in it,
// to state its default, so that the resource pages document them.
func TestTimeoutDefaultsAreDocumented(t *testing.T) {
	ctx := context.Background()
	p := New("test", "test")()
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "lkps"}, &meta)
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		block, ok := resp.Schema.Attributes["timeouts"].(rschema.SingleNestedAttribute)
		if !ok {
			t.Errorf("%s has no timeouts block", meta.TypeName)
			continue
		}
		for op, a := range block.Attributes {
			desc := a.GetMarkdownDescription()
			if !strings.Contains(desc, "Defaults to `") || !strings.Contains(block.MarkdownDescription, "`"+op+"` ") {
				t.Errorf("%s timeouts.%s: the default is not documented (%q; block: %q)", meta.TypeName, op, desc, block.MarkdownDescription)
			}
		}
	}
	if got := formatTimeout(10 * time.Minute); got != "10m" {
		t.Errorf("formatTimeout(10m) = %q", got)
	}
	if got := formatTimeout(90 * time.Second); got != "1m30s" {
		t.Errorf("formatTimeout(90s) = %q", got)
	}
	if got := formatTimeout(2 * time.Hour); got != "2h" {
		t.Errorf("formatTimeout(2h) = %q", got)
	}
}
