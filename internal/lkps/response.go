package lkps

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// How the client reads LKPS's answers. Only livekit_url is documented (LKPS guides), so it is decoded
// strictly: the answer is unusable without it. Every other field is an assumption (DESIGN.md, "The LKPS
// wire contract") and is decoded leniently: a field that is missing, null, of another type or in a
// form the client does not know is kept as unknown, with a debug log, never an error. An error after
// LKPS has stored a registration would fail every later apply in the same way.

// timestampLayouts are the timestamp forms accepted besides numbers: RFC 3339 (with or without fraction),
// ISO 8601 without a zone (Python's datetime.isoformat() of a naive time, read as UTC), and the same
// with a space instead of "T".
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999",
	time.RFC1123,
	time.RFC1123Z,
}

// parseTimestamp reads an undocumented timestamp field: a JSON string in one of timestampLayouts or
// holding a number, or a JSON number of Unix seconds (milliseconds when it is too large for seconds).
// ok is false for anything else, including null and absence.
func parseTimestamp(raw json.RawMessage) (t time.Time, ok bool) {
	if isNull(raw) {
		return time.Time{}, false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		s = strings.TrimSpace(s)
		for _, layout := range timestampLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), true
			}
		}
		return unixTimestamp(s)
	}
	return unixTimestamp(string(raw))
}

// unixTimestamp reads Unix seconds, or milliseconds when the value is beyond the year 5138 in seconds.
func unixTimestamp(s string) (time.Time, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return time.Time{}, false
	}
	if f >= 1e11 {
		f /= 1000
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

// isNull reports whether a field is absent or JSON null.
func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

// lenientString reads an undocumented string field; ok is false when it is missing, null or not a string.
func lenientString(raw json.RawMessage) (string, bool) {
	var s string
	if isNull(raw) || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// lenientBool reads an undocumented boolean field: a JSON boolean, or a string such as "true" or "false".
func lenientBool(raw json.RawMessage) (bool, bool) {
	var b bool
	if !isNull(raw) && json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	if s, ok := lenientString(raw); ok {
		if v, err := strconv.ParseBool(strings.TrimSpace(s)); err == nil {
			return v, true
		}
	}
	return false, false
}

// lenientField reads the undocumented field name of fields with parse. A field that is missing, or
// that parse refuses, is read as the zero value and reported to kept with why: "missing", or what
// refused says of the value.
func lenientField[T any](fields map[string]json.RawMessage, name string, parse func(json.RawMessage) (T, bool),
	refused func(json.RawMessage) string, kept func(field, why string)) (T, bool) {
	raw, ok := fields[name]
	if !ok {
		kept(name, "missing")
		var zero T
		return zero, false
	}
	v, ok := parse(raw)
	if !ok {
		kept(name, refused(raw))
	}
	return v, ok
}

// responseObject decodes a 2xx body into its top-level fields. The body must be a JSON object.
func responseObject(body []byte) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, fmt.Errorf("decoding response body: %w", err)
	}
	if fields == nil {
		return nil, fmt.Errorf("decoding response body: not a JSON object")
	}
	return fields, nil
}

// strictLiveKitURL reads the documented livekit_url: a non-empty string holding an absolute URL.
func strictLiveKitURL(fields map[string]json.RawMessage) (string, error) {
	raw, present := fields["livekit_url"]
	if !present || isNull(raw) {
		return "", fmt.Errorf("the response has no livekit_url")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("livekit_url is not a string (%s)", cleanDetail(string(raw), ""))
	}
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if s == "" || err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("livekit_url %q is not an absolute URL", cleanDetail(s, ""))
	}
	return s, nil
}

// describeNonJSON returns a short description of a response body that is not JSON, such as
// `a body of type text/html ("Access denied")`, or "" when the body is empty or meant to be JSON (it
// starts like JSON; a broken one is reported as undecodable instead). LKPS and Ocelot
// answer in JSON, so such a body comes from something in between: a corporate proxy, a captive portal, a
// load balancer's error page. secret (the access token) is removed from the excerpt.
func describeNonJSON(header http.Header, body []byte, secret string) string {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] == '{' || trimmed[0] == '[' || json.Valid(trimmed) {
		return ""
	}
	kind := "a body that is not JSON"
	if ct := header.Get(headerContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			kind = "a body of type " + mt
		}
	}
	excerpt := string(trimmed)
	if m := htmlTitle.FindStringSubmatch(excerpt); m != nil {
		excerpt = m[1]
	} else {
		excerpt = htmlTag.ReplaceAllString(excerpt, " ")
	}
	excerpt = cleanDetail(excerpt, secret)
	if r := []rune(excerpt); len(r) > 160 {
		excerpt = string(r[:160]) + "…"
	}
	if excerpt == "" {
		return kind
	}
	return fmt.Sprintf("%s (%q)", kind, excerpt)
}

var (
	htmlTitle = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)
	htmlTag   = regexp.MustCompile(`(?s)<[^>]*>`)
)
