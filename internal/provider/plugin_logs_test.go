package provider

import (
	"maps"
	"testing"
)

func TestSilenceDiscardedLogs(t *testing.T) {
	off := map[string]string{"TF_LOG_SDK": "OFF", "TF_LOG_SDK_PROTO": "OFF", "TF_LOG_SDK_FRAMEWORK": "OFF", "TF_LOG_PROVIDER_LKPS": "OFF"}
	tests := []struct {
		name      string
		env, want map[string]string
	}{
		{"nothing shown: every logger off", map[string]string{}, off},
		{"only the core's logs shown", map[string]string{"TF_LOG_CORE": "TRACE"},
			merged(off, map[string]string{"TF_LOG_CORE": "TRACE"})},
		{"a level the user set is kept", map[string]string{"TF_LOG_SDK_PROTO": "TRACE"},
			merged(off, map[string]string{"TF_LOG_SDK_PROTO": "TRACE"})},
		{"TF_LOG shows them", map[string]string{"TF_LOG": "DEBUG"}, map[string]string{"TF_LOG": "DEBUG"}},
		{"TF_LOG=JSON shows them", map[string]string{"TF_LOG": "JSON"}, map[string]string{"TF_LOG": "JSON"}},
		{"TF_LOG_PROVIDER shows them", map[string]string{"TF_LOG_PROVIDER": "INFO"}, map[string]string{"TF_LOG_PROVIDER": "INFO"}},
		{"TOFU_LOG counts too", map[string]string{"TOFU_LOG": "trace"}, map[string]string{"TOFU_LOG": "trace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := maps.Clone(tt.env)
			err := SilenceDiscardedLogs(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(env, tt.want) {
				t.Errorf("environment = %v, want %v", env, tt.want)
			}
		})
	}
}

func merged(a, b map[string]string) map[string]string {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}
