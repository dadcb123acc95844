package docscontents

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/index.md's Contents section is what Update writes from the pages under docs/: every guide,
// resource, data source, action, function and list resource is linked, and nothing else.
func TestIndexContentsListsEveryPage(t *testing.T) {
	docs := filepath.Join("..", "..", "docs")
	raw, err := os.ReadFile(filepath.Join(docs, "index.md"))
	if err != nil {
		t.Fatal(err)
	}
	pages, err := Pages(docs)
	if err != nil {
		t.Fatal(err)
	}
	want, ok := Replace(string(raw), Render(pages))
	if !ok {
		t.Fatalf("docs/index.md has no contents markers; templates/index.md.tmpl must carry %q and %q", BeginMarker, EndMarker)
	}
	if want != string(raw) {
		t.Errorf("docs/index.md's contents are stale: run `make generate` and commit the result")
	}
	i := strings.Index(string(raw), BeginMarker)
	j := strings.Index(string(raw), EndMarker)
	section := string(raw)[i:j]
	files, _ := filepath.Glob(filepath.Join(docs, "*", "*.md"))
	if len(files) < 10 {
		t.Fatalf("found only %d pages under docs/", len(files))
	}
	for _, f := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(f, docs+string(filepath.Separator)))
		if !strings.Contains(section, "]("+rel+")") {
			t.Errorf("the contents do not link %s", rel)
		}
	}
	for _, m := range regexp.MustCompile(`\]\(([^)]+)\)`).FindAllStringSubmatch(section, -1) {
		if _, err := os.Stat(filepath.Join(docs, m[1])); err != nil {
			t.Errorf("the contents link %s, which does not exist", m[1])
		}
	}
}

// A page added under docs/ (here a guide in a copy of the folder) appears in the contents without any
// edit of the index.
func TestUpdatePicksUpANewPage(t *testing.T) {
	dir := t.TempDir()
	for _, sub := range []string{"guides", "resources"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("index.md", "# LKPS\n\n## Contents\n"+BeginMarker+"\nold\n"+EndMarker+"\n\n## Rest\n")
	write("resources/x.md", "---\npage_title: \"lkps_x Resource - lkps\"\ndescription: |-\n  Does x. And more.\n---\n")
	write("guides/new.md", "---\npage_title: \"Installing from a mirror\"\nsubcategory: \"\"\ndescription: |-\n  Install the provider\n  from a mirror.\n---\n")
	if err := Update(dir); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "index.md"))
	got := string(b)
	for _, want := range []string{
		"**Guides**\n\n- [Installing from a mirror](guides/new.md): Install the provider from a mirror.\n",
		"**Resources**\n\n- [`lkps_x`](resources/x.md): Does x.\n",
		"## Rest",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the index lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "old") {
		t.Error("the old contents stayed")
	}
}
