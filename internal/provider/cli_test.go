package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	goversion "github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// Helpers for tests that drive the terraform CLI themselves (commands terraform-plugin-testing has no
// step for, such as `terraform query -generate-config-out`). The providers run in this process, served
// in debug mode and handed to terraform through TF_REATTACH_PROVIDERS, as terraform-plugin-testing does.

// cliPath returns the CLI of the acceptance tests and its version, skipping the test when it is older
// than min (with why).
func cliPath(t *testing.T, minVersion, why string) (string, *goversion.Version) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance tests run with TF_ACC=1 (make test)")
	}
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("terraform"); err != nil {
			t.Skip("no terraform CLI: set TF_ACC_TERRAFORM_PATH")
		}
	}
	out, err := exec.CommandContext(context.Background(), bin, "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json: %v", bin, err)
	}
	got := goversion.Must(goversion.NewVersion(v.Version))
	if got.Core().LessThan(goversion.Must(goversion.NewVersion(minVersion))) {
		t.Skipf("needs Terraform >= %s (%s); %s is %s. Build one with .ci/build-terraform and set TF_ACC_TERRAFORM_PATH.", minVersion, why, bin, v.Version)
	}
	if strings.Contains(filepath.Base(bin), "tofu") {
		t.Skip("drives the terraform CLI's own commands; OpenTofu has no terraform query")
	}
	return bin, got
}

// serveProviders serves the providers in this process and returns the TF_REATTACH_PROVIDERS value
// naming each under the given addresses.
func serveProviders(t *testing.T, servers map[string]func() tfprotov6.ProviderServer) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	reattach := map[string]any{}
	var closers []chan struct{}
	for addr, factory := range servers {
		cfgCh := make(chan *plugin.ReattachConfig)
		closeCh := make(chan struct{})
		closers = append(closers, closeCh)
		go func() {
			if err := tf6server.Serve(addr, factory, tf6server.WithDebug(ctx, cfgCh, closeCh), tf6server.WithoutLogStderrOverride()); err != nil {
				t.Errorf("serving %s: %v", addr, err)
			}
		}()
		var cfg *plugin.ReattachConfig
		select {
		case cfg = <-cfgCh:
		case <-time.After(30 * time.Second):
			t.Fatalf("the provider %s did not start", addr)
		}
		reattach[addr] = map[string]any{
			"Protocol": string(cfg.Protocol), "ProtocolVersion": cfg.ProtocolVersion, "Pid": cfg.Pid, "Test": cfg.Test,
			"Addr": map[string]string{"Network": cfg.Addr.Network(), "String": cfg.Addr.String()},
		}
	}
	t.Cleanup(func() {
		cancel()
		for _, c := range closers {
			select {
			case <-c:
			case <-time.After(10 * time.Second):
			}
		}
	})
	raw, err := json.Marshal(reattach)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// lkpsServer serves this provider.
func lkpsServer() tfprotov6.ProviderServer {
	return providerserver.NewProtocol6(New("test", "test")())()
}

// cli runs terraform commands in one working directory.
type cli struct {
	t        *testing.T
	bin, dir string
	env      []string
}

func newCLI(t *testing.T, bin, reattach string) *cli {
	t.Helper()
	dir := t.TempDir()
	rc := filepath.Join(dir, ".terraformrc")
	if err := os.WriteFile(rc, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "TF_REATTACH_PROVIDERS="+reattach, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"TF_CLI_CONFIG_FILE="+rc, "TF_INPUT=0")
	return &cli{t: t, bin: bin, dir: dir, env: env}
}

// write creates a file of the working directory.
func (c *cli) write(name, content string) {
	c.t.Helper()
	if err := os.WriteFile(filepath.Join(c.dir, name), []byte(content), 0o600); err != nil {
		c.t.Fatal(err)
	}
}

// read returns a file of the working directory.
func (c *cli) read(name string) string {
	c.t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, name))
	if err != nil {
		c.t.Fatal(err)
	}
	return string(b)
}

// run runs a terraform command and returns its output and exit code; it fails the test on a code not
// in okCodes.
func (c *cli) run(okCodes []int, args ...string) (string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			c.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	for _, ok := range okCodes {
		if code == ok {
			return out.String(), code
		}
	}
	c.t.Fatalf("terraform %s exited with %d:\n%s", strings.Join(args, " "), code, out.String())
	return "", code
}

// skipBelow is tfversion.SkipBelow with the reason in the skip message.
func skipBelow(minVersion, why string) tfversion.TerraformVersionCheck {
	return skipBelowCheck{min: goversion.Must(goversion.NewVersion(minVersion)), why: why}
}

type skipBelowCheck struct {
	min *goversion.Version
	why string
}

func (s skipBelowCheck) CheckTerraformVersion(_ context.Context, req tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	if req.TerraformVersion.Core().LessThan(s.min) {
		resp.Skip = fmt.Sprintf("needs Terraform >= %s (%s); this CLI is %s. Build one with .ci/build-terraform and set TF_ACC_TERRAFORM_PATH.",
			s.min, s.why, req.TerraformVersion)
	}
}
