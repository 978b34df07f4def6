package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dockbake/dockbake/internal/attach"
	"github.com/dockbake/dockbake/internal/settings"
	"github.com/dockbake/dockbake/store"
)

// attach runs the one attach flow for the model, retrying until the
// host's dockerd answers or the op's timeout ends.
func (r *attachmentResource) attach(ctx context.Context, m *attachmentModel, op string, diags *diag.Diagnostics) {
	timeout, ok := m.timeout(op, diags)
	if !ok {
		return
	}
	s := settings.Settings{Name: m.Machine.ValueString()}
	diags.Append(m.IPAddresses.ElementsAs(ctx, &s.IPAddresses, false)...)
	diags.Append(m.DNSNames.ElementsAs(ctx, &s.DNSNames, false)...)
	if diags.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	mach, err := attach.Run(ctx, attach.Request{
		Store: r.c.store, Name: s.Name, IPs: s.IPAddresses, DNSNames: s.DNSNames, Port: int(m.Port.ValueInt64()),
		Force: m.Force.ValueBool(), Retry: true, ToolVersion: r.c.tool, SpoolDir: r.c.spoolDir,
	})
	if err != nil {
		attachFailed(diags, s, err, timeout)
		return
	}
	m.ID = types.StringValue(mach.Name)
	m.DockerHost = types.StringValue(mach.Spec.URL())
}

// timeout is the op's timeouts value, or the default.
func (m *attachmentModel) timeout(op string, diags *diag.Diagnostics) (time.Duration, bool) {
	if m.Timeouts == nil {
		return defaultAttachTimeout, true
	}
	v := m.Timeouts.Create
	if op == "update" {
		v = m.Timeouts.Update
	}
	if v.IsNull() || v.ValueString() == "" {
		return defaultAttachTimeout, true
	}
	d, err := time.ParseDuration(v.ValueString())
	if err != nil || d <= 0 {
		diags.AddAttributeError(path.Root("timeouts").AtName(op), fmt.Sprintf("timeouts.%s: %q: not a positive duration", op, v.ValueString()), "write it as 10m")
		return 0, false
	}
	return d, true
}

// attachFailed says why an attach failed and what to do.
func attachFailed(diags *diag.Diagnostics, s settings.Settings, err error, timeout time.Duration) {
	summary := fmt.Sprintf("attaching machine %q", s.Name)
	var ae *attach.Error
	switch {
	case errors.As(err, &ae) && errors.Is(err, context.DeadlineExceeded):
		diags.AddError(summary, fmt.Sprintf("%v\n\nthe host's dockerd did not answer within %s: check that the instance is up and its TLS port reachable from here, or raise timeouts", err, timeout))
	case errors.Is(err, attach.ErrNotRecorded):
		diags.AddError(summary, err.Error()+"\n\nrun terraform apply again: attaching with the same addresses mends it")
	case errors.Is(err, store.ErrNotFound):
		diags.AddAttributeError(path.Root("machine"), summary, err.Error()+"\n\nname a machine of this configuration, e.g. dockbake_machine.web.name")
	default:
		problems(diags, summary, err, s)
	}
}
