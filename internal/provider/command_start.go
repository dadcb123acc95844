package provider

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// The terraform command's start anchors the Graph client's lag bound (graph.Config.CommandStart):
// every change an earlier command reported is older than the command, so a read started L after it
// shows them, and a run whose plan walk already took L waits for nothing before its first write.
//
// It is known reliably only when Terraform (or OpenTofu) launched this process as its plugin: the
// parent is then the terraform process of this command. That is told by the plugin handshake's magic
// cookie in the environment, which go-plugin sets for the plugins it starts and which a provider
// started in another way (a debugger, the in-process acceptance tests) does not have. The parent must
// also run a single command (plan, apply, destroy, ...): `terraform test` runs several applies in one
// process, so its start says nothing about the run before. The parent's start is read from /proc
// (Linux); elsewhere, or on any doubt, the anchor is when the Graph client is built, which is always
// safe, only sometimes slower.

// pluginCookieKey is the environment variable of Terraform's plugin handshake.
const pluginCookieKey = "TF_PLUGIN_MAGIC_COOKIE"

// startMargin is added to a start read from /proc (10 ms clock ticks): a later anchor is the safe side.
const startMargin = 50 * time.Millisecond

// commandStart returns when the terraform command that launched this process started, or the zero
// time when that cannot be known reliably.
func commandStart(getenv func(string) string, now time.Time) time.Time {
	if getenv(pluginCookieKey) == "" {
		return time.Time{}
	}
	ppid := os.Getppid()
	if ppid <= 1 {
		return time.Time{} // re-parented: the command that launched us is gone
	}
	if !oneCommandPerProcess("/proc", ppid) {
		return time.Time{}
	}
	start, err := processStart("/proc", ppid, now)
	if err != nil {
		return time.Time{}
	}
	return start
}

// anchoredSubcommands are the terraform subcommands whose process runs one command: every earlier
// command that wrote ended before the process started. `terraform test` (several applies in one
// process), `console` and anything unknown are not anchored on the process start.
var anchoredSubcommands = map[string]bool{"plan": true, "apply": true, "destroy": true, "refresh": true, "import": true, "query": true}

// oneCommandPerProcess reports whether the process pid is terraform (or tofu) running one of
// anchoredSubcommands, from its command line: the first argument after the global options.
func oneCommandPerProcess(root string, pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("%s/%d/cmdline", root, pid))
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") {
			continue // a global option such as -chdir=DIR
		}
		return anchoredSubcommands[a]
	}
	return false
}

// processStart reads when process pid started, from procfs at root: the process's start in clock
// ticks after boot (/proc/<pid>/stat, field 22) against the system's uptime (/proc/uptime).
func processStart(root string, pid int, now time.Time) (time.Time, error) {
	stat, err := os.ReadFile(fmt.Sprintf("%s/%d/stat", root, pid))
	if err != nil {
		return time.Time{}, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: fields are counted after it.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return time.Time{}, fmt.Errorf("unexpected %s/%d/stat", root, pid)
	}
	fields := strings.Fields(s[i+1:])
	const startField = 22 - 3 // fields[0] is field 3 (state)
	if len(fields) <= startField {
		return time.Time{}, fmt.Errorf("unexpected %s/%d/stat", root, pid)
	}
	ticks, err := strconv.ParseUint(fields[startField], 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("unexpected start time in %s/%d/stat: %w", root, pid, err)
	}
	up, err := os.ReadFile(root + "/uptime")
	if err != nil {
		return time.Time{}, err
	}
	upFields := strings.Fields(string(up))
	if len(upFields) == 0 {
		return time.Time{}, fmt.Errorf("unexpected %s/uptime", root)
	}
	uptime, err := strconv.ParseFloat(upFields[0], 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("unexpected %s/uptime: %w", root, err)
	}
	// Linux reports process start times in USER_HZ, 100 on every architecture Terraform ships for.
	age := time.Duration((uptime - float64(ticks)/100) * float64(time.Second))
	if age < 0 || age > 24*time.Hour {
		return time.Time{}, fmt.Errorf("implausible age %s of process %d", age, pid)
	}
	return now.Add(-age).Add(startMargin), nil
}
