package graphapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bayer/terraform-provider-lkps/internal/emulator/directory"
)

// parseSelect returns the canonical property names of $select (nil when absent).
func parseSelect(q url.Values) ([]string, *graphError) {
	raw := q.Get("$select")
	if raw == "" {
		return nil, nil
	}
	var out []string
	for _, part := range strings.Split(raw, ",") {
		name := strings.TrimSpace(part)
		if name == "" {
			continue
		}
		canonical := ""
		for _, p := range directory.PropertyNames() {
			if strings.EqualFold(p, name) {
				canonical = p
				break
			}
		}
		if canonical == "" {
			return nil, newError(http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("Parsing OData Select and Expand failed: Could not find a property named '%s' on type 'microsoft.graph.application'.", name))
		}
		if !directory.ContainsFold(out, canonical) {
			out = append(out, canonical)
		}
	}
	return out, nil
}

func selectSuffix(sel []string) string {
	if sel == nil {
		return ""
	}
	return "(" + strings.Join(sel, ",") + ")"
}

// entityJSON renders a single application response with its @odata.context.
func (a *API) entityJSON(app *directory.Application, sel []string) ([]byte, *graphError) {
	body, gerr := projection(app, sel)
	if gerr != nil {
		return nil, gerr
	}
	ctx, err := json.Marshal(a.cfg.BaseURL() + "/v1.0/$metadata#applications" + selectSuffix(sel) + "/$entity")
	if err != nil {
		return nil, internal(err)
	}
	var buf bytes.Buffer
	buf.Grow(len(body) + len(ctx) + 24)
	buf.WriteString(`{"@odata.context":`)
	buf.Write(ctx)
	if len(body) > 2 {
		buf.WriteByte(',')
		buf.Write(body[1:])
	} else {
		buf.WriteByte('}')
	}
	return buf.Bytes(), nil
}

// projection renders the application, or only id and the selected properties (in Graph's order).
func projection(app *directory.Application, sel []string) ([]byte, *graphError) {
	full, err := json.Marshal(app)
	if err != nil {
		return nil, internal(err)
	}
	if sel == nil {
		return full, nil
	}
	var props map[string]json.RawMessage
	if err := json.Unmarshal(full, &props); err != nil {
		return nil, internal(err)
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	first := true
	for _, name := range directory.PropertyNames() {
		if name != "id" && !directory.ContainsFold(sel, name) {
			continue
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		key, _ := json.Marshal(name)
		buf.Write(key)
		buf.WriteByte(':')
		buf.Write(props[name])
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// parseFilter supports the filters clients use to find applications: "appId eq '…'", "id eq '…'",
// "appId in (…)", "id in (…)", "displayName eq '…'" and "identifierUris/any(x:x eq '…')". An empty
// filter matches everything.
func parseFilter(raw string) (func(*directory.Application) bool, *graphError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return func(*directory.Application) bool { return true }, nil
	}
	unsupported := newError(http.StatusBadRequest, CodeUnsupportedQuery, fmt.Sprintf("Unsupported or invalid query filter clause specified for property of resource 'Application': %s", raw))
	for _, in := range []struct {
		prop string
		of   func(*directory.Application) string
	}{
		{"appId", func(a *directory.Application) string { return a.AppID }},
		{"id", func(a *directory.Application) string { return a.ID }},
	} {
		if ids, ok, gerr := parseIn(raw, in.prop, unsupported); ok || gerr != nil {
			if gerr != nil {
				return nil, gerr
			}
			return func(a *directory.Application) bool { return directory.ContainsFold(ids, in.of(a)) }, nil
		}
	}
	if lhs, rhs, ok := strings.Cut(raw, " eq "); ok {
		value, ok := quoted(strings.TrimSpace(rhs))
		if !ok {
			return nil, unsupported
		}
		switch strings.ToLower(strings.TrimSpace(lhs)) {
		case "appid":
			return func(a *directory.Application) bool { return strings.EqualFold(a.AppID, value) }, nil
		case "id":
			return func(a *directory.Application) bool { return strings.EqualFold(a.ID, value) }, nil
		case "displayname":
			return func(a *directory.Application) bool { return a.DisplayName != nil && *a.DisplayName == value }, nil
		}
		// identifierUris/any(x:x eq 'v') has " eq " inside the lambda.
		lower := strings.ToLower(raw)
		if strings.HasPrefix(lower, "identifieruris/any(") && strings.HasSuffix(raw, ")") {
			inner := raw[len("identifierUris/any(") : len(raw)-1]
			v, body, ok := strings.Cut(inner, ":")
			if !ok {
				return nil, unsupported
			}
			l, r, ok := strings.Cut(body, " eq ")
			if !ok || strings.TrimSpace(l) != strings.TrimSpace(v) {
				return nil, unsupported
			}
			uri, ok := quoted(strings.TrimSpace(r))
			if !ok {
				return nil, unsupported
			}
			return func(a *directory.Application) bool { return directory.ContainsFold(a.IdentifierURIs, uri) }, nil
		}
	}
	return nil, unsupported
}

// maxInValues is how many values Graph's directory accepts in an "in" clause of $filter without
// advanced query parameters (ConsistencyLevel: eventual, which the emulator does not model).
const maxInValues = 15

// parseIn parses "<prop> in ('a','b',…)": ok reports whether raw is such a clause. A malformed list
// is unsupported; more than maxInValues values is refused as Graph refuses it: 400 with the message
// Graph answers ("Too many child clauses specified in search filter expression containing 'OR'
// operators: 16. Max allowed: 15"). Graph's answer quoted in public reports shows that message; its
// code is taken to be Request_UnsupportedQuery, the code the directory answers every filter clause it
// refuses with.
func parseIn(raw, prop string, unsupported *graphError) (ids []string, ok bool, gerr *graphError) {
	lhs, rhs, found := strings.Cut(raw, " in ")
	if !found || !strings.EqualFold(strings.TrimSpace(lhs), prop) {
		return nil, false, nil
	}
	rhs = strings.TrimSpace(rhs)
	if len(rhs) < 2 || rhs[0] != '(' || rhs[len(rhs)-1] != ')' {
		return nil, true, unsupported
	}
	body := strings.TrimSpace(rhs[1 : len(rhs)-1])
	if body == "" {
		return nil, true, unsupported
	}
	// Split on the commas outside string literals ('' is a quote inside one).
	var parts []string
	inString, start := false, 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '\'':
			inString = !inString
		case ',':
			if !inString {
				parts = append(parts, body[start:i])
				start = i + 1
			}
		}
	}
	parts = append(parts, body[start:])
	if inString {
		return nil, true, unsupported
	}
	for _, part := range parts {
		v, isQuoted := quoted(strings.TrimSpace(part))
		if !isQuoted {
			return nil, true, unsupported
		}
		ids = append(ids, v)
	}
	if len(ids) > maxInValues {
		return nil, true, newError(http.StatusBadRequest, CodeUnsupportedQuery, fmt.Sprintf(
			"Too many child clauses specified in search filter expression containing 'OR' operators: %d. Max allowed: %d.", len(ids), maxInValues))
	}
	return ids, true, nil
}

// parseServicePrincipalFilter supports the filters clients use to find service principals of
// applications: "appId eq '…'" and "appId in (…)". An empty filter matches everything.
func parseServicePrincipalFilter(raw string) (func(appID string) bool, *graphError) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return func(string) bool { return true }, nil
	}
	unsupported := newError(http.StatusBadRequest, CodeUnsupportedQuery, fmt.Sprintf("Unsupported or invalid query filter clause specified for property of resource 'ServicePrincipal': %s", raw))
	if ids, ok, gerr := parseIn(raw, "appId", unsupported); ok || gerr != nil {
		if gerr != nil {
			return nil, gerr
		}
		return func(appID string) bool { return directory.ContainsFold(ids, appID) }, nil
	}
	if lhs, rhs, ok := strings.Cut(raw, " eq "); ok && strings.EqualFold(strings.TrimSpace(lhs), "appId") {
		if v, ok := quoted(strings.TrimSpace(rhs)); ok {
			return func(appID string) bool { return strings.EqualFold(appID, v) }, nil
		}
	}
	return nil, unsupported
}

// quoted unquotes an OData string literal ('…' with ” for a quote).
func quoted(s string) (string, bool) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return "", false
	}
	return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), true
}
