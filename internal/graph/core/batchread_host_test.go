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
