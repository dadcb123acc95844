package core

import "testing"

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
		"https://127.0.0.1:8443":        "127.0.0.1:8443",
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
