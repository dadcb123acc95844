package core

import "testing"

func TestNextPage(t *testing.T) {
	const base = "https://graph.example.com"
	for _, tc := range []struct {
		next string
		ok   bool
	}{
		{"https://graph.example.com/v1.0/me/ownedObjects?$skiptoken=x", true},
		{"https://GRAPH.example.com/v1.0/me/ownedObjects?$skiptoken=x", true},
		{"https://evil.example.com/v1.0/me/ownedObjects?$skiptoken=x", false},
		{"https://graph.example.com:8443/v1.0/x", false},
		{"::not a url", false},
	} {
		u, err := NextPage(base, tc.next)
		if (err == nil) != tc.ok || (tc.ok && u.String() != tc.next) {
			t.Errorf("NextPage(%q) = %v, %v; want ok %v", tc.next, u, err, tc.ok)
		}
	}
}

func TestFilterAndPaths(t *testing.T) {
	for got, want := range map[string]string{
		Filter("appId", "a'b"): "appId eq 'a''b'",
		Filter("id", "a", "b"): "id in ('a','b')",
		OwnedPath("x/y", true): "/servicePrincipals/x%2Fy/ownedObjects/microsoft.graph.application",
		OwnedPath("x", false):  "/me/ownedObjects/microsoft.graph.application",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestHost(t *testing.T) {
	for base, want := range map[string]string{
		"https://graph.microsoft.com":   "graph.microsoft.com",
		"https://127.0.0.1:8443":        "127.0.0.1",
		"http://graph.microsoft.com":    "",
		"graph.microsoft.com":           "",
		"https://":                      "",
		"https://graph.example.com/%zz": "",
	} {
		if got, err := Host(base); got != want || (err == nil) != (want != "") {
			t.Errorf("Host(%q) = %q, %v; want %q", base, got, err, want)
		}
	}
}
