package provider

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// The docs (docs/, generated from templates/ and examples/, and the README) may name only what exists:
// every lkps_* type, every argument set in an HCL example of an lkps block, every ARM_*/LKPS_*
// environment variable and every `make` target. A renamed or removed attribute, variable or target makes
// this test fail with the page and the name.

// docsSurface is what the provider and the repository define.
type docsSurface struct {
	types      map[string]bool            // resource, data source, action, list resource type names
	attrs      map[string]bool            // every attribute and block name of every schema
	byType     map[string]map[string]bool // attributes of each type; "provider" for the provider block
	envs       map[string]bool            // ARM_*/LKPS_* names the code, GNUmakefile or .ci read or write
	envPrefix  []string                   // prefixes of names built at run time (LKPS_EMULATOR_OIDC_)
	makeTarget map[string]bool
}

func schemaNames(s *tfprotov6.Schema) map[string]bool {
	out := map[string]bool{}
	if s == nil || s.Block == nil {
		return out
	}
	var walk func(b *tfprotov6.SchemaBlock)
	walk = func(b *tfprotov6.SchemaBlock) {
		for _, a := range b.Attributes {
			out[a.Name] = true
			if a.NestedType != nil {
				for _, n := range a.NestedType.Attributes {
					out[n.Name] = true
				}
			}
		}
		for _, nb := range b.BlockTypes {
			out[nb.TypeName] = true
			walk(nb.Block)
		}
	}
	walk(s.Block)
	return out
}

func loadDocsSurface(t *testing.T) docsSurface {
	t.Helper()
	resp, err := lkpsServer().GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(resp.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, resp.Diagnostics)
	}
	s := docsSurface{types: map[string]bool{}, attrs: map[string]bool{}, byType: map[string]map[string]bool{},
		envs: map[string]bool{}, makeTarget: map[string]bool{}}
	add := func(name string, sc *tfprotov6.Schema) {
		names := schemaNames(sc)
		if prev, ok := s.byType[name]; ok { // a resource and a list resource share a name
			for k := range prev {
				names[k] = true
			}
		}
		s.byType[name] = names
		for k := range names {
			s.attrs[k] = true
		}
	}
	add("provider", resp.Provider)
	for n, sc := range resp.ResourceSchemas {
		s.types[n] = true
		add(n, sc)
	}
	for n, sc := range resp.DataSourceSchemas {
		s.types[n] = true
		add(n, sc)
	}
	for n, sc := range resp.ListResourceSchemas {
		s.types[n] = true
		add(n, sc)
	}
	for n, sc := range resp.ActionSchemas {
		s.types[n] = true
		add(n, sc.Schema)
	}
	for n := range resp.Functions {
		s.attrs[n] = true
	}
	// Environment variables: the string literals of the non-test Go code, and the names GNUmakefile and
	// the CI scripts use.
	envRe := regexp.MustCompile(`\b(?:ARM|LKPS)_[A-Z0-9_]*[A-Z0-9]\b`)
	prefixRe := regexp.MustCompile(`"((?:ARM|LKPS)_[A-Z0-9_]*_)"`)
	root := filepath.Join("..", "..")
	var sources []string
	_ = filepath.WalkDir(filepath.Join(root, "internal"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			sources = append(sources, p)
		}
		return nil
	})
	more, _ := filepath.Glob(filepath.Join(root, "cmd", "*", "*.go"))
	ci, _ := filepath.Glob(filepath.Join(root, ".ci", "*"))
	sources = append(append(append(sources, more...), ci...), filepath.Join(root, "GNUmakefile"), filepath.Join(root, "main.go"))
	for _, p := range sources {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, m := range envRe.FindAllString(string(b), -1) {
			s.envs[m] = true
		}
		for _, m := range prefixRe.FindAllStringSubmatch(string(b), -1) {
			s.envPrefix = append(s.envPrefix, m[1])
		}
	}
	mk, err := os.ReadFile(filepath.Join(root, "GNUmakefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z0-9-]*):`).FindAllStringSubmatch(string(mk), -1) {
		s.makeTarget[m[1]] = true
	}
	return s
}

// docsPages are the pages a reader reads: docs/ and the README.
func docsPages(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	sub, _ := filepath.Glob(filepath.Join(root, "docs", "*", "*.md"))
	files = append(append(files, sub...), filepath.Join(root, "README.md"))
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimPrefix(f, root+string(filepath.Separator))] = string(b)
	}
	if len(out) < 15 {
		t.Fatalf("found only %d pages", len(out))
	}
	return out
}

// userNamedEnv are names in the guides that users define themselves, not the provider: pipeline secrets.
var userNamedEnv = map[string]string{
	"LKPS_AGENT_CLIENT_SECRET": "the pipeline secret of the guides' secret variant (a GitHub secret, an Azure DevOps secret variable)",
}

// hclMetaArguments are the names Terraform itself gives meaning in a block.
var hclMetaArguments = map[string]bool{"count": true, "for_each": true, "depends_on": true, "provider": true,
	"lifecycle": true, "alias": true, "config": true, "providers": true}

// hclArguments returns, for each lkps block in the HCL code blocks of page, the arguments it sets: the
// block's type ("provider" for the provider block) and the names at its top level (inside config for an
// action).
func hclArguments(page string) [][2]string {
	var out [][2]string
	head := regexp.MustCompile(`^\s*(?:(resource|data|action|list)\s+"(lkps_[a-z0-9_]+)"|provider\s+"lkps")\s.*\{\s*$`)
	key := regexp.MustCompile(`^\s*([a-z_][a-z0-9_]*)\s*(=|\{)`)
	sc := bufio.NewScanner(strings.NewReader(page))
	inCode, typ, kind, depth := false, "", "", 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inCode, typ, depth = !inCode, "", 0
			continue
		}
		if !inCode {
			continue
		}
		if typ == "" {
			if m := head.FindStringSubmatch(line); m != nil {
				typ, kind, depth = m[2], m[1], 1
				if typ == "" {
					typ = "provider"
				}
			}
			continue
		}
		want := 1
		if kind == "action" {
			want = 2 // inside config { }
		}
		if m := key.FindStringSubmatch(line); m != nil && depth == want {
			out = append(out, [2]string{typ, m[1]})
		}
		depth += strings.Count(line, "{") - strings.Count(line, "}")
		if depth <= 0 {
			typ = ""
		}
	}
	return out
}

func TestDocsNameOnlyWhatExists(t *testing.T) {
	s := loadDocsSurface(t)
	pages := docsPages(t)
	typeRe := regexp.MustCompile(`(?:^|[^A-Za-z0-9_./:-])(lkps_[a-z0-9_]*[a-z0-9])\b`)
	envRe := regexp.MustCompile(`(?:^|[^A-Za-z0-9_])((?:ARM|LKPS)_[A-Z0-9_]*[A-Z0-9])\b`)
	makeRe := regexp.MustCompile("(?:`|\\n\\s*|\\$ )make ([a-z][a-z0-9-]*)")
	var problems []string
	names := make([]string, 0, len(pages))
	for n := range pages {
		names = append(names, n)
	}
	sort.Strings(names)
	checked := map[string]int{}
	declared := regexp.MustCompile(`variable "([a-z0-9_]+)"`)
	for _, name := range names {
		page := pages[name]
		vars := map[string]bool{} // a configuration's own variables may start with lkps_ too
		for _, m := range declared.FindAllStringSubmatch(page, -1) {
			vars[m[1]] = true
		}
		for _, m := range typeRe.FindAllStringSubmatch(page, -1) {
			checked["types"]++
			if !s.types[m[1]] && !s.attrs[m[1]] && !vars[m[1]] {
				problems = append(problems, name+": "+m[1]+" is no lkps type or attribute")
			}
		}
		for _, m := range envRe.FindAllStringSubmatch(page, -1) {
			checked["environment variables"]++
			if s.envs[m[1]] || userNamedEnv[m[1]] != "" {
				continue
			}
			known := false
			for _, p := range s.envPrefix {
				known = known || strings.HasPrefix(m[1], p)
			}
			if !known {
				problems = append(problems, name+": environment variable "+m[1]+" is read or set nowhere")
			}
		}
		for _, m := range makeRe.FindAllStringSubmatch(page, -1) {
			checked["make targets"]++
			if !s.makeTarget[m[1]] {
				problems = append(problems, name+": make target "+m[1]+" does not exist")
			}
		}
		for _, a := range hclArguments(page) {
			checked["HCL arguments"]++
			if !s.byType[a[0]][a[1]] && !hclMetaArguments[a[1]] {
				problems = append(problems, name+": "+a[0]+" has no argument "+a[1])
			}
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
	for _, what := range []string{"types", "environment variables", "make targets", "HCL arguments"} {
		if checked[what] < 5 {
			t.Errorf("only %d %s found in the docs: the test looks in the wrong places", checked[what], what)
		}
	}
	t.Logf("checked %v", checked)
}

// The checks catch what they are for: a removed argument of the action, an unknown variable and target.
func TestDocsNameOnlyWhatExists_catches(t *testing.T) {
	s := loadDocsSurface(t)
	page := "```terraform\naction \"lkps_session_start\" \"x\" {\n  config {\n    client_secret = var.s\n    use_oidc = true\n  }\n}\n```\n"
	got := hclArguments(page)
	if len(got) != 2 || got[0] != [2]string{"lkps_session_start", "client_secret"} {
		t.Fatalf("arguments %v", got)
	}
	if s.byType["lkps_session_start"]["client_secret"] {
		t.Error("the action still has client_secret")
	}
	if !s.byType["lkps_session_start"]["use_oidc"] || !s.byType["provider"]["ado_pipeline_service_connection_id"] {
		t.Error("the schema names are not loaded")
	}
	if s.envs["ARM_NO_SUCH_SETTING"] || !s.envs["ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID"] || !s.envs["LKPS_BASE_URL"] {
		t.Error("the environment variables are not loaded")
	}
	if s.makeTarget["no-such-target"] || !s.makeTarget["demo"] {
		t.Error("the make targets are not loaded")
	}
}
