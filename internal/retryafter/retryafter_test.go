package retryafter_test

import (
	"testing"
	"time"

	"github.com/bayer/terraform-provider-lkps/internal/retryafter"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"3":                                3 * time.Second,
		" 3 ":                              3 * time.Second,
		"0":                                0,
		"-1":                               0,
		"1.5":                              1500 * time.Millisecond,
		"0.25":                             250 * time.Millisecond,
		"-0.5":                             0,
		"1.":                               0,
		".5":                               0,
		"1e3":                              0,
		"+3":                               0,
		"Inf":                              0,
		"NaN":                              0,
		"0x10":                             0,
		"soon":                             0,
		"":                                 0,
		"999999999999":                     retryafter.Max,
		"100000.5":                         retryafter.Max,
		"Thu, 01 Jan 2026 00:00:07 GMT":    7 * time.Second,
		"Thursday, 01-Jan-26 00:00:07 GMT": 7 * time.Second, // RFC 850
		"Thu Jan  1 00:00:07 2026":         7 * time.Second, // asctime
		"Wed, 31 Dec 2025 23:59:00 GMT":    0,
		"Sat, 01 Jan 2028 00:00:00 GMT":    retryafter.Max,
	} {
		if got := retryafter.Parse(in, now); got != want {
			t.Errorf("Parse(%q) = %s, want %s", in, got, want)
		}
	}
}

// Every form Format writes reads back as the delay (a date rounded up to the whole second).
func TestFormatParsesBack(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for form, want := range map[string]string{
		retryafter.FormSeconds: "2",
		retryafter.FormDecimal: "1.500",
		retryafter.FormDate:    "Thu, 01 Jan 2026 00:00:02 GMT",
	} {
		got := retryafter.Format(form, 1500*time.Millisecond, now)
		if got != want {
			t.Errorf("Format(%s) = %q, want %q", form, got, want)
		}
		if d := retryafter.Parse(got, now); d < 1500*time.Millisecond || d > 2*time.Second {
			t.Errorf("Parse(Format(%s)) = %s", form, d)
		}
	}
}
