package lkps

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	want := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	ok := map[string]time.Time{
		`"2026-11-22T10:00:00Z"`:             want,
		`"2026-11-22T11:00:00+01:00"`:        want,
		`"2026-11-22T10:00:00.250Z"`:         want.Add(250 * time.Millisecond),
		`"2026-11-22T10:00:00"`:              want, // Python's isoformat() of a naive UTC time
		`"2026-11-22T10:00:00.123456"`:       want.Add(123456 * time.Microsecond),
		`"2026-11-22 10:00:00"`:              want,
		`"2026-11-22 10:00:00+00:00"`:        want,
		`"2026-11-22T10:00:00+0000"`:         want,
		`"Sun, 22 Nov 2026 10:00:00 UTC"`:    want,
		`1795341600`:                         want,
		`1795341600000`:                      want, // milliseconds
		`"1795341600"`:                       want,
		`1795341600.5`:                       want.Add(500 * time.Millisecond),
		` "2026-11-22T10:00:00Z" `:           want,
		`"  2026-11-22T10:00:00Z  "`:         want,
		`"2026-11-22T10:00:00.000000+00:00"`: want,
	}
	for raw, w := range ok {
		got, parsed := parseTimestamp(json.RawMessage(raw))
		if !parsed || !got.Equal(w) || got.Location() != time.UTC {
			t.Errorf("parseTimestamp(%s) = %v, %v; want %v", raw, got, parsed, w)
		}
	}
	for _, raw := range []string{``, `null`, `""`, `"yesterday"`, `"22.11.2026"`, `"22/11/2026 10:00"`, `true`, `{}`, `[]`, `-5`, `0`, `"NaN"`} {
		if got, parsed := parseTimestamp(json.RawMessage(raw)); parsed {
			t.Errorf("parseTimestamp(%s) = %v, want unknown", raw, got)
		}
	}
}

func TestLenientFields(t *testing.T) {
	for raw, want := range map[string]bool{`true`: true, `false`: false, `"true"`: true, `"False"`: false, `"1"`: true} {
		if got, ok := lenientBool(json.RawMessage(raw)); !ok || got != want {
			t.Errorf("lenientBool(%s) = %v, %v", raw, got, ok)
		}
	}
	for _, raw := range []string{``, `null`, `"yes please"`, `1`, `{}`} {
		if _, ok := lenientBool(json.RawMessage(raw)); ok {
			t.Errorf("lenientBool(%s) accepted", raw)
		}
	}
	if _, ok := lenientString(json.RawMessage(`123`)); ok {
		t.Error("lenientString accepted a number")
	}
}

func TestStrictLiveKitURL(t *testing.T) {
	for body, want := range map[string]string{
		`{}`:                            "no livekit_url",
		`{"livekit_url":null}`:          "no livekit_url",
		`{"livekit_url":42}`:            "livekit_url is not a string (42)",
		`{"livekit_url":""}`:            "is not an absolute URL",
		`{"livekit_url":"eu.livekit"}`:  "is not an absolute URL",
		`{"livekit_url":["wss://x"]}`:   "livekit_url is not a string",
		`{"livekit_url":"wss://lk.x/"}`: "",
	} {
		fields, err := responseObject([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		_, err = strictLiveKitURL(fields)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: err = %v, want %q", body, err, want)
		}
	}
	if _, err := responseObject([]byte(`["livekit_url"]`)); err == nil {
		t.Error("a JSON array was accepted as the response object")
	}
	if _, err := responseObject([]byte(`null`)); err == nil {
		t.Error("null was accepted as the response object")
	}
}

func TestDescribeNonJSON(t *testing.T) {
	html := http.Header{"Content-Type": []string{"text/html; charset=utf-8"}}
	cases := []struct {
		header http.Header
		body   string
		want   string
	}{
		{html, "<html><head><title>Access Denied</title></head><body>Blocked by policy</body></html>", `a body of type text/html ("Access Denied")`},
		{html, "<html><body><h1>502 Bad Gateway</h1></body></html>", `a body of type text/html ("502 Bad Gateway")`},
		{http.Header{}, "upstream connect error", `a body that is not JSON ("upstream connect error")`},
		{http.Header{"Content-Type": []string{"application/json"}}, "Service Unavailable", `a body of type application/json ("Service Unavailable")`},
		{http.Header{"Content-Type": []string{"text/plain"}}, "token SECRET-TOKEN leaked", `a body of type text/plain ("token [REDACTED] leaked")`},
		{html, "", ""},
		{html, `{"detail":"x"}`, ""},
		{html, `{"detail":`, ""}, // broken JSON is reported as undecodable, not as a proxy page
	}
	for _, c := range cases {
		if got := describeNonJSON(c.header, []byte(c.body), "SECRET-TOKEN"); got != c.want {
			t.Errorf("describeNonJSON(%q) = %q, want %q", c.body, got, c.want)
		}
	}
	long := strings.Repeat("é", 500)
	if got := describeNonJSON(http.Header{}, []byte(long), ""); !strings.HasSuffix(got, `…")`) || len([]rune(got)) > 200 {
		t.Errorf("long body: %q", got)
	}
}
