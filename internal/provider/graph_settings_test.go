package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
	"github.com/bayer/terraform-provider-lkps/internal/graph/core"
)

var testProcessInit = time.Now()

func TestResolveGraphSettings(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name       string
		lag        types.String
		concurrent types.Bool
		env        map[string]string
		want       graphSettings
		wantErr    string
	}{
		{name: "defaults", lag: types.StringNull(), concurrent: types.BoolNull(), want: graphSettings{}},
		{name: "attribute", lag: types.StringValue("1500ms"), concurrent: types.BoolValue(true),
			want: graphSettings{lag: 1500 * time.Millisecond, concurrentWriters: true}},
		{name: "lag-free", lag: types.StringValue("0s"), concurrent: types.BoolNull(), want: graphSettings{lag: -1}},
		{name: "environment", lag: types.StringNull(), concurrent: types.BoolNull(),
			env: map[string]string{envGraphReplicationLag: "5s", envConcurrentWriters: "true"}, want: graphSettings{lag: 5 * time.Second, concurrentWriters: true}},
		{name: "attribute wins", lag: types.StringValue("2s"), concurrent: types.BoolValue(false),
			env: map[string]string{envGraphReplicationLag: "5s", envConcurrentWriters: "true"}, want: graphSettings{lag: 2 * time.Second}},
		{name: "bad environment lag", lag: types.StringNull(), concurrent: types.BoolNull(),
			env: map[string]string{envGraphReplicationLag: "three"}, wantErr: envGraphReplicationLag},
		{name: "negative", lag: types.StringValue("-1s"), concurrent: types.BoolNull(), wantErr: "outside 0s"},
		{name: "bad environment bool", lag: types.StringNull(), concurrent: types.BoolNull(),
			env: map[string]string{envConcurrentWriters: "sometimes"}, wantErr: "set it to true or false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, diags := resolveGraphSettings(tc.lag, tc.concurrent, env(tc.env))
			if tc.wantErr != "" {
				if !diags.HasError() || !strings.Contains(diags.Errors()[0].Summary()+diags.Errors()[0].Detail(), tc.wantErr) {
					t.Fatalf("diags = %v, want an error naming %q", diags, tc.wantErr)
				}
				return
			}
			if diags.HasError() || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, diags, tc.want)
			}
		})
	}
}

// The start of this test process, read from /proc, is when the process began: before its first
// package variable was set, and not long before.
func TestProcessStartFromProc(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("procfs")
	}
	start, err := processStart("/proc", os.Getpid(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if start.After(testProcessInit.Add(startMargin+20*time.Millisecond)) || start.Before(testProcessInit.Add(-30*time.Second)) {
		t.Fatalf("process start %s, package init %s", start, testProcessInit)
	}
}

func TestProcessStartParsesStat(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "42"), 0o700); err != nil {
		t.Fatal(err)
	}
	// A command name with spaces and parentheses; start time 1000 ticks (10 s) after boot.
	stat := "42 (terraform (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 12 0 1000 123 456"
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("42/stat", stat)
	write("uptime", "25.50 40.00\n")
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	got, err := processStart(root, 42, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(-15500 * time.Millisecond).Add(startMargin); !got.Equal(want) {
		t.Fatalf("start = %s, want %s", got, want)
	}
	write("uptime", "5.00 1.00\n") // started after "now": implausible
	if _, err := processStart(root, 42, now); err == nil {
		t.Fatal("an implausible start was accepted")
	}
	if got := commandStart(func(string) string { return "" }, now); !got.IsZero() {
		t.Fatalf("without the plugin handshake the command start was taken as known: %s", got)
	}
}

func TestOneCommandPerProcess(t *testing.T) {
	root := t.TempDir()
	for pid, cmdline := range map[int]string{
		1: "terraform\x00apply\x00-auto-approve\x00",
		2: "/usr/bin/tofu\x00-chdir=infra\x00plan\x00-out=tfplan\x00",
		3: "terraform\x00test\x00",
		4: "terraform\x00console\x00",
		5: "terraform\x00",
		6: "terraform-v1.14.3\x00destroy\x00",
	} {
		if err := os.MkdirAll(filepath.Join(root, fmt.Sprint(pid)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, fmt.Sprint(pid), "cmdline"), []byte(cmdline), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want := map[int]bool{1: true, 2: true, 3: false, 4: false, 5: false, 6: true, 7: false}
	for pid, ok := range want {
		if got := oneCommandPerProcess(root, pid); got != ok {
			t.Errorf("process %d: one command per process = %t, want %t", pid, got, ok)
		}
	}
}

// Every kind of Graph notice becomes one warning that names the application and says what to do.
func TestAddGraphNotices(t *testing.T) {
	const oid = "0f6e1c1e-3a55-4d5b-9a59-2f5c2a6d0c11"
	cases := []struct {
		notice core.Notice
		want   []string
	}{
		{core.Notice{Kind: core.NoticeForeignWriter, ObjectID: oid}, []string{"Another writer changed", oid, "concurrent_writers = true"}},
		{core.Notice{Kind: core.NoticeRestoreImpossible, ObjectID: oid, Detail: "client X pre-authorized: scope gone"},
			[]string{"could not be restored", oid, "scope gone", "terraform plan"}},
		{core.Notice{Kind: core.NoticeNotConfirmed, ObjectID: oid, Detail: "pre-authorizing client X: another writer kept overwriting"},
			[]string{"not shown by Microsoft Graph", oid, "another writer kept overwriting", "terraform plan", "apply again"}},
	}
	for _, tc := range cases {
		var diags diag.Diagnostics
		addGraphNotices([]core.Notice{tc.notice}, auth.KindClientSecret, &diags)
		if len(diags) != 1 || diags.WarningsCount() != 1 {
			t.Fatalf("notice %+v: %d diagnostics (%d warnings), want one warning", tc.notice, len(diags), diags.WarningsCount())
		}
		text := diags[0].Summary() + " " + diags[0].Detail()
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("notice kind %d: warning %q lacks %q", tc.notice.Kind, text, w)
			}
		}
	}
}
