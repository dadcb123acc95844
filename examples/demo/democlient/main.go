// Command democlient is the demo's stand-in for a client application and for curl: it starts an LKPS
// session as a client through the emulator's Ocelot gateway and checks the answer, and it prints the
// emulator's request counters per service. It reads the environment the emulator exports
// (LKPS_AUTHORITY_HOST, ARM_TENANT_ID, LKPS_BASE_URL, LKPS_TOKEN_SCOPE, SSL_CERT_FILE), so it needs
// nothing but Go.
//
//	democlient session -client-id ID -client-secret SECRET -agent ID -expect 200
//	democlient session -client-id ID -client-secret SECRET -agent ID -expect 403:client_not_preauthorized
//	democlient counters
//	democlient scan-plan -plan tfplan -show show.json -secret S [-secret S2]
package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/auth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "democlient:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: democlient session|counters|scan-plan [flags]")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 30 * time.Second}
	switch args[0] {
	case "session":
		return session(ctx, client, args[1:], out)
	case "counters":
		return counters(ctx, client, out)
	case "scan-plan":
		return scanPlan(args[1:], out)
	default:
		return fmt.Errorf("unknown command %q: want session, counters or scan-plan", args[0])
	}
}

// secretList is a repeatable -secret flag.
type secretList []string

func (l *secretList) String() string     { return fmt.Sprint(len(*l), " secrets") }
func (l *secretList) Set(v string) error { *l = append(*l, v); return nil }

// scanPlan searches a saved plan file (its raw bytes and every entry of the zip archive it is, read
// decompressed) and the `terraform show -json` of it for the secrets and for anything that looks like a
// token, and fails naming where it found one (never the secret itself).
func scanPlan(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("scan-plan", flag.ContinueOnError)
	planFile := fs.String("plan", "", "saved plan file (terraform plan -out)")
	showFile := fs.String("show", "", "terraform show -json of the plan")
	var secrets secretList
	fs.Var(&secrets, "secret", "a secret that must not appear (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *planFile == "" || *showFile == "" || len(secrets) == 0 {
		return errors.New("scan-plan needs -plan, -show and at least one -secret")
	}
	raw, err := os.ReadFile(*planFile)
	if err != nil {
		return err
	}
	show, err := os.ReadFile(*showFile)
	if err != nil {
		return err
	}
	var found []string
	search := func(where string, data []byte) {
		for i, s := range secrets {
			if bytes.Contains(data, []byte(s)) {
				found = append(found, fmt.Sprintf("secret %d in %s", i+1, where))
			}
		}
		if auth.TokenPattern.Match(data) {
			found = append(found, "a token in "+where)
		}
	}
	search("the plan file", raw)
	search("terraform show -json", show)
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return fmt.Errorf("the plan file is not a zip archive: %w", err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			return err
		}
		search("its entry "+f.Name, data)
	}
	if len(found) > 0 {
		return fmt.Errorf("the saved plan leaks: %s", strings.Join(found, "; "))
	}
	fmt.Fprintf(out, "    searched the plan file, its %d zip entries and terraform show -json: no secret, no token\n", len(zr.File))
	return nil
}

// session starts a session as a client application and compares the outcome with -expect.
func session(ctx context.Context, client *http.Client, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("session", flag.ContinueOnError)
	clientID := fs.String("client-id", "", "client application ID")
	secret := fs.String("client-secret", "", "client secret of the client application")
	agent := fs.String("agent", "", "agent application ID")
	name := fs.String("name", "client", "name of the client in the output")
	expect := fs.String("expect", "200", `expected outcome: "200", or "403:<failed_check>"`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := requireEnv("LKPS_AUTHORITY_HOST", "ARM_TENANT_ID", "LKPS_BASE_URL", "LKPS_TOKEN_SCOPE")
	if err != nil {
		return err
	}
	token, err := clientToken(ctx, client, env, *clientID, *secret)
	if err != nil {
		return err
	}
	body := strings.NewReader(fmt.Sprintf(`{"agent_entra_app_id":%q}`, *agent))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env["LKPS_BASE_URL"]+"/api/session/start", body)
	if err != nil {
		return fmt.Errorf("building the session start request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("POST /api/session/start: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading the session start answer: %w", err)
	}
	var answer struct {
		LiveKitURL  string `json:"livekit_url"`
		RoomName    string `json:"room_name"`
		Detail      string `json:"detail"`
		FailedCheck string `json:"failed_check"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return fmt.Errorf("session start answered %s with a body that is not JSON: %w", resp.Status, err)
	}
	got := strconv.Itoa(resp.StatusCode)
	if resp.StatusCode == http.StatusOK {
		fmt.Fprintf(out, "   %s (%s): %s — session in room %s on %s\n", *name, *clientID, resp.Status, answer.RoomName, answer.LiveKitURL)
	} else {
		got += ":" + answer.FailedCheck
		fmt.Fprintf(out, "   %s (%s): %s, failed_check=%s — %s\n", *name, *clientID, resp.Status, answer.FailedCheck, firstSentence(answer.Detail))
	}
	if got != *expect {
		return fmt.Errorf("session start as %s: got %s, expected %s", *name, got, *expect)
	}
	return nil
}

// clientToken gets an access token for LKPS with the client credentials flow, as a client application
// would.
func clientToken(ctx context.Context, client *http.Client, env map[string]string, clientID, secret string) (string, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {clientID},
		"client_secret": {secret},
		"scope":         {env["LKPS_TOKEN_SCOPE"]},
	}
	endpoint := strings.TrimSuffix(env["LKPS_AUTHORITY_HOST"], "/") + "/" + env["ARM_TENANT_ID"] + "/oauth2/v2.0/token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("building the token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("token request for %s: %w", clientID, err)
	}
	defer resp.Body.Close()
	var answer struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&answer); err != nil {
		return "", fmt.Errorf("token request for %s answered %s with a body that is not JSON: %w", clientID, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK || answer.AccessToken == "" {
		return "", fmt.Errorf("token request for %s failed with %s: %s %s", clientID, resp.Status, answer.Error, answer.Description)
	}
	return answer.AccessToken, nil
}

// counters prints the emulator's request counters, grouped by service.
func counters(ctx context.Context, client *http.Client, out io.Writer) error {
	env, err := requireEnv("LKPS_AUTHORITY_HOST")
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(env["LKPS_AUTHORITY_HOST"], "/")+"/_emulator/counters", nil)
	if err != nil {
		return fmt.Errorf("building the counters request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET /_emulator/counters: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /_emulator/counters answered %s", resp.Status)
	}
	var routes map[string]int64
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&routes); err != nil {
		return fmt.Errorf("decoding the counters: %w", err)
	}
	services := map[string][]string{}
	totals := map[string]int64{}
	var all int64
	for route, n := range routes {
		if n == 0 {
			continue
		}
		service, _, _ := strings.Cut(route, " ")
		services[service] = append(services[service], fmt.Sprintf("%s %d", strings.TrimPrefix(route, service+" "), n))
		totals[service] += n
		all += n
	}
	names := make([]string, 0, len(services))
	for s := range services {
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		sort.Strings(services[s])
		fmt.Fprintf(out, "   %-9s %4d  (%s)\n", s, totals[s], strings.Join(services[s], ", "))
	}
	fmt.Fprintf(out, "   %-9s %4d\n", "total", all)
	return nil
}

// firstSentence shortens a server message to its first sentence.
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// requireEnv reads environment variables that must be set.
func requireEnv(names ...string) (map[string]string, error) {
	env := map[string]string{}
	for _, n := range names {
		v := os.Getenv(n)
		if v == "" {
			return nil, fmt.Errorf("%s is not set; load the emulator's export lines first", n)
		}
		env[n] = v
	}
	return env, nil
}
