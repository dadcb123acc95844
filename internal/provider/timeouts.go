package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// timeoutGetter reads one operation's duration from a timeouts block, such as plan.Timeouts.Create.
type timeoutGetter func(context.Context, time.Duration) (time.Duration, diag.Diagnostics)

// withTimeout bounds ctx by the timeouts block's value for the operation (get is for example
// plan.Timeouts.Create), or by def when the block does not set it.
func withTimeout(ctx context.Context, get timeoutGetter, def time.Duration, diags *diag.Diagnostics) (context.Context, context.CancelFunc, bool) {
	d, ds := get(ctx, def)
	diags.Append(ds...)
	if diags.HasError() {
		return ctx, func() {}, false
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	return ctx, cancel, true
}

// nullTimeouts is an absent timeouts block, for imported state. ops are the operations the resource's
// block has (as declared with timeouts.Opts).
func nullTimeouts(ops ...string) timeouts.Value {
	attrTypes := map[string]attr.Type{}
	for _, op := range ops {
		attrTypes[op] = types.StringType
	}
	return timeouts.Value{Object: types.ObjectNull(attrTypes)}
}

// timeoutsAttribute is the timeouts block of a resource, with a description of what it bounds and, on the
// block and on each operation, the default that applies when it is unset. defaults names the operations
// the block has ("create", "read", "update", "delete") and the durations the resource passes to
// withTimeout or graphWithin for them.
func timeoutsAttribute(ctx context.Context, defaults map[string]time.Duration) schema.Attribute {
	opts := timeouts.Opts{}
	for op := range defaults {
		switch op {
		case "create":
			opts.Create = true
		case "read":
			opts.Read = true
		case "update":
			opts.Update = true
		case "delete":
			opts.Delete = true
		default:
			panic("timeoutsAttribute: unknown operation " + op)
		}
	}
	a := timeouts.Attributes(ctx, opts)
	nested, ok := a.(schema.SingleNestedAttribute)
	if !ok {
		return a
	}
	var list []string
	for _, op := range []string{"create", "read", "update", "delete"} {
		d, ok := defaults[op]
		if !ok {
			continue
		}
		list = append(list, fmt.Sprintf("`%s` %s", op, formatTimeout(d)))
		if sa, ok := nested.Attributes[op].(schema.StringAttribute); ok {
			sa.MarkdownDescription = fmt.Sprintf("How long %s may take, as a duration such as `30s`, `10m` or `1h`. Defaults to `%s`.",
				timeoutOperation[op], formatTimeout(d))
			if op == "delete" {
				sa.MarkdownDescription += " A changed delete timeout applies only after an apply has saved it in the state."
			}
			sa.Description = sa.MarkdownDescription
			nested.Attributes[op] = sa
		}
	}
	nested.MarkdownDescription = "Bounds how long each operation may take, as durations such as `10m`. The bound covers " +
		"the provider's retries of throttling, conflicts and replication lag, and the wait until a change is visible on " +
		"every replica. Defaults: " + strings.Join(list, ", ") + "."
	return nested
}

// timeoutOperation says what each operation of a timeouts block covers.
var timeoutOperation = map[string]string{
	"create": "creating the resource",
	"read":   "reading the resource (every refresh, so every plan)",
	"update": "updating the resource in place",
	"delete": "destroying the resource",
}

// formatTimeout writes a duration as Terraform users write it: `10m`, `90s`, `1h30m`.
func formatTimeout(d time.Duration) string {
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 || b.Len() == 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}
