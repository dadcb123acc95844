package provider

import (
	"path"
	"strings"
)

// Logs nobody reads are not written. The plugin SDK (terraform-plugin-go and the framework) logs
// every RPC at TRACE unless an environment variable says otherwise, as JSON on the plugin's stderr;
// Terraform reads and parses every line and only then drops it at its own level. Terraform shows
// provider logs only when TF_LOG_PROVIDER or TF_LOG is set (its logging.providerLogLevel; OpenTofu
// reads the same names, and TOFU_LOG and TOFU_LOG_PROVIDER count as well, to be safe). Without them,
// formatting and parsing those lines was a fifth of this provider's CPU and a twelfth of Terraform's
// during a 600-resource apply, on a machine whose two cores both were busy. SilenceDiscardedLogs
// sets the SDK's and this provider's loggers to OFF in exactly that case; a level the user set for
// one of them is kept.

// logLevelVariables are the variables the plugin SDK reads for its loggers' levels: the SDK root,
// its protocol and framework subsystems, and this provider's own logger (TF_LOG_PROVIDER_ and the
// provider type, dashes as underscores: TF_LOG_PROVIDER_LKPS).
var logLevelVariables = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK",
	"TF_LOG_PROVIDER_" + strings.ToUpper(strings.ReplaceAll(path.Base(RegistryAddress), "-", "_"))}

// shownLogVariables make Terraform (or OpenTofu) show provider logs when any of them is set.
var shownLogVariables = []string{"TF_LOG", "TF_LOG_PROVIDER", "TOFU_LOG", "TOFU_LOG_PROVIDER"}

// SilenceDiscardedLogs turns the plugin's loggers off when Terraform would discard what they write.
// main calls it before serving, unless the provider runs in debug mode (its logs then go to the
// developer's terminal, not to Terraform).
func SilenceDiscardedLogs(getenv func(string) string, setenv func(string, string) error) error {
	for _, name := range shownLogVariables {
		if getenv(name) != "" {
			return nil
		}
	}
	for _, name := range logLevelVariables {
		if getenv(name) != "" {
			continue
		}
		if err := setenv(name, "OFF"); err != nil {
			return err
		}
	}
	return nil
}
