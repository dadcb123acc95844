package graph

import "testing"

func TestNewGUID(t *testing.T) {
	a, b := newGUID(), newGUID()
	if a == b || len(a) != 36 || a[14] != '4' || (a[19] != '8' && a[19] != '9' && a[19] != 'a' && a[19] != 'b') {
		t.Fatalf("newGUID = %q, %q", a, b)
	}
}
