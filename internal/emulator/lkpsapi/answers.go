package lkpsapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Variations of LKPS's answers, so that clients can be tested against answers they did not foresee. Only
// livekit_url of the register answer is documented; the rest of its shape is an assumption that the real
// LKPS may not share. The zero values answer as DESIGN.md's wire contract says.

// Timestamp forms of RegisterAnswer.TimestampFormat.
const (
	TimestampRFC3339 = "rfc3339" // 2026-11-22T10:00:00Z (the default)
	TimestampUnix    = "unix"    // 1795341600 (a JSON number)
	TimestampUnixMS  = "unix-ms" // 1795341600000
	TimestampNaive   = "naive"   // 2026-11-22T10:00:00.000000 (Python's isoformat() of a naive time)
	TimestampText    = "text"    // "22.11.2026 10:00 Uhr" (a form no client can be expected to read)
	TimestampNull    = "null"    // null
	timestampDefault = ""        // same as TimestampRFC3339
	naiveLayout      = "2006-01-02T15:04:05.000000"
	textLayout       = "02.01.2006 15:04 Uhr"
)

// RegisterAnswer varies the body of a successful POST /api/agent/register. The registration itself is
// stored as usual.
type RegisterAnswer struct {
	// TimestampFormat is the form of registered_at and expires_at (Timestamp* constants; "" is RFC 3339).
	TimestampFormat string `json:"timestampFormat,omitempty"`
	// Omit lists fields to leave out of the answer (any but livekit_url may go).
	Omit []string `json:"omit,omitempty"`
	// Extra adds fields to the answer.
	Extra map[string]any `json:"extra,omitempty"`
	// Override replaces the value of answered fields, e.g. {"enforce_client_authz": "true"}.
	Override map[string]any `json:"override,omitempty"`
}

// ProxyPage makes something in front of Ocelot (a corporate proxy, a load balancer) answer the next
// Count requests to any LKPS route with a page instead of forwarding them.
type ProxyPage struct {
	// Status is the HTTP status of the page, e.g. 502 or 403.
	Status int `json:"status"`
	// ContentType is the page's content type; empty means "text/html; charset=utf-8".
	ContentType string `json:"contentType,omitempty"`
	// Body is the page.
	Body string `json:"body"`
	// Count is how many requests get the page; 0 means every request until cleared.
	Count int `json:"count,omitempty"`
}

// Validate checks the variation.
func (a RegisterAnswer) Validate() error {
	switch a.TimestampFormat {
	case timestampDefault, TimestampRFC3339, TimestampUnix, TimestampUnixMS, TimestampNaive, TimestampText, TimestampNull:
	default:
		return fmt.Errorf("timestampFormat %q is not one of rfc3339, unix, unix-ms, naive, text, null", a.TimestampFormat)
	}
	for _, f := range a.Omit {
		if f == "livekit_url" {
			return errors.New("livekit_url is the documented field of the answer and cannot be omitted")
		}
	}
	return nil
}

// Validate checks the page.
func (p ProxyPage) Validate() error {
	if p.Status < 200 || p.Status > 599 {
		return fmt.Errorf("status %d is not an HTTP status", p.Status)
	}
	if p.Count < 0 {
		return errors.New("count must not be negative")
	}
	return nil
}

// SetRegisterAnswer sets the variation of the register answer; the zero value restores the default.
func (s *Service) SetRegisterAnswer(a RegisterAnswer) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("register answer: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.registerAnswer = a
	return nil
}

// SetProxyPage makes a proxy answer LKPS requests with p; nil removes the proxy.
func (s *Service) SetProxyPage(p *ProxyPage) error {
	if p != nil {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("proxy page: %w", err)
		}
		c := *p
		p = &c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.proxy = p
	return nil
}

// serveProxyPage answers r with the proxy page, when one is set, and reports whether it did.
func (s *Service) serveProxyPage(w http.ResponseWriter) bool {
	s.mu.Lock()
	p := s.proxy
	if p != nil && p.Count > 0 {
		p.Count--
		if p.Count == 0 {
			s.proxy = nil
		}
	}
	var page ProxyPage
	if p != nil {
		page = *p
	}
	s.mu.Unlock()
	if p == nil {
		return false
	}
	ct := page.ContentType
	if ct == "" {
		ct = "text/html; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(page.Status)
	_, _ = w.Write([]byte(page.Body))
	return true
}

// shapeRegisterAnswer renders the register answer with the configured variation.
func (s *Service) shapeRegisterAnswer(base registerResponse, registeredAt, expiresAt time.Time) map[string]any {
	s.mu.Lock()
	a := s.registerAnswer
	s.mu.Unlock()
	stamp := func(t time.Time) any {
		t = t.UTC()
		switch a.TimestampFormat {
		case TimestampUnix:
			return t.Unix()
		case TimestampUnixMS:
			return t.UnixMilli()
		case TimestampNaive:
			return t.Format(naiveLayout)
		case TimestampText:
			return t.Format(textLayout)
		case TimestampNull:
			return nil
		default:
			return t.Format(time.RFC3339)
		}
	}
	out := map[string]any{
		"agent_entra_app_id":   base.AgentEntraAppID,
		"enforce_client_authz": base.EnforceClientAuthz,
		"livekit_url":          base.LiveKitURL,
		"registered_at":        stamp(registeredAt),
		"token":                base.Token,
		"expires_at":           stamp(expiresAt),
	}
	for _, f := range a.Omit {
		delete(out, strings.TrimSpace(f))
	}
	for k, v := range a.Extra {
		if _, taken := out[k]; !taken {
			out[k] = v
		}
	}
	for k, v := range a.Override {
		if _, ok := out[k]; ok && k != "livekit_url" {
			out[k] = v
		}
	}
	return out
}
