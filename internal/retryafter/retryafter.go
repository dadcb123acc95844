// Package retryafter reads the Retry-After response header, for every client of this repository (the
// Graph client and the LKPS client) alike.
//
// RFC 9110 §10.2.3 defines two forms: delay-seconds (a non-negative integer) and an HTTP-date. Some
// gateways and services send decimal seconds ("1.5"); a client that read those as invalid would retry
// at once, so they are read as well.
package retryafter

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Max bounds the delay a server can ask for: a longer or unreadable-large value is read as Max, so a
// bad header cannot park a client for days.
const Max = 24 * time.Hour

// Parse returns the delay a Retry-After value asks for, relative to now for an HTTP-date: whole
// seconds ("3"), decimal seconds ("1.5") or an HTTP-date in any of the formats http.ParseTime reads
// (IMF-fixdate, RFC 850, asctime). It returns 0 for an empty, negative, past or unreadable value, and
// at most Max.
func Parse(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if isDecimal(value) {
		secs, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(secs) || secs <= 0 {
			return 0
		}
		if secs >= Max.Seconds() {
			return Max
		}
		return time.Duration(math.Round(secs * float64(time.Second)))
	}
	if at, err := http.ParseTime(value); err == nil {
		return min(max(at.Sub(now), 0), Max)
	}
	return 0
}

// isDecimal reports whether v is digits with at most one decimal point between digits, and an optional
// leading minus (a negative delay, read as 0): no exponent, sign "+", hexadecimal or "Inf".
func isDecimal(v string) bool {
	v = strings.TrimPrefix(v, "-")
	intPart, frac, hasDot := strings.Cut(v, ".")
	if intPart == "" || !allDigits(intPart) {
		return false
	}
	return !hasDot || (frac != "" && allDigits(frac))
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Format renders a delay in one of the forms Parse reads, as a server would send it: FormSeconds
// (whole seconds, rounded up), FormDecimal (seconds with three decimals) or FormDate (the HTTP-date
// now+d, rounded up to the next whole second, since HTTP-dates carry no fraction). Unknown forms are
// FormSeconds.
func Format(form string, d time.Duration, now time.Time) string {
	switch form {
	case FormDecimal:
		return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
	case FormDate:
		at := now.Add(d)
		if t := at.Truncate(time.Second); !t.Equal(at) {
			at = t.Add(time.Second)
		}
		return at.UTC().Format(http.TimeFormat)
	}
	return strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10)
}

// The forms of Format.
const (
	FormSeconds = "seconds"
	FormDecimal = "decimal"
	FormDate    = "date"
)
