package provider

import (
	"context"
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

// timeoutsAttribute is the timeouts block of a resource, with a description of what it bounds.
func timeoutsAttribute(ctx context.Context, opts timeouts.Opts) schema.Attribute {
	a := timeouts.Attributes(ctx, opts)
	if nested, ok := a.(schema.SingleNestedAttribute); ok {
		nested.MarkdownDescription = "Bounds how long each operation may take, as durations such as `10m`. The bound covers " +
			"the provider's retries of throttling, conflicts and replication lag, and the wait until a change is visible on " +
			"every replica. Defaults apply to unset operations."
		return nested
	}
	return a
}
