package graph

import (
	"testing"

	"github.com/bayer/terraform-provider-lkps/internal/graph/model"
)

func TestNewScopeGUID(t *testing.T) {
	sa, _ := newScope(model.PermissionScope{Value: "a"})
	sb, _ := newScope(model.PermissionScope{Value: "b"})
	a, b := sa.ID, sb.ID
	if a == b || len(a) != 36 || a[14] != '4' || (a[19] != '8' && a[19] != '9' && a[19] != 'a' && a[19] != 'b') {
		t.Fatalf("newScope IDs = %q, %q", a, b)
	}
}
