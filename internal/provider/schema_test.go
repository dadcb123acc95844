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
		checkSchema(t, meta.TypeName, resp.Schema.MarkdownDescription, resp.Schema.Attributes)
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
			checkSchema(t, "list "+meta.TypeName, resp.Schema.MarkdownDescription, resp.Schema.Attributes)
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
		checkSchema(t, meta.TypeName, resp.Schema.MarkdownDescription, resp.Schema.Attributes)
	}
}

// checkSchema checks the description of the schema of typeName and of each of its attributes, nested ones
// (a list of objects, the timeouts block) included.
func checkSchema[A any](t *testing.T, typeName, description string, attrs map[string]A) {
	t.Helper()
	checkDescription(t, typeName, description)
	for name, a := range attrs {
		checkAttribute(t, typeName+"."+name, a)
		var nested map[string]any
		switch n := any(a).(type) {
		case rschema.ListNestedAttribute:
			nested = anyAttributes(n.NestedObject.Attributes)
		case rschema.SingleNestedAttribute:
			nested = anyAttributes(n.Attributes)
		case dsschema.ListNestedAttribute:
			nested = anyAttributes(n.NestedObject.Attributes)
		case dsschema.SingleNestedAttribute:
			nested = anyAttributes(n.Attributes)
		}
		for sub, sa := range nested {
			checkAttribute(t, typeName+"."+name+"."+sub, sa)
		}
	}
}

func anyAttributes[A any](attrs map[string]A) map[string]any {
	m := make(map[string]any, len(attrs))
	for k, v := range attrs {
		m[k] = v
	}
	return m
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
