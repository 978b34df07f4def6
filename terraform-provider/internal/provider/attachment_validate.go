package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/settings"
)

var _ resource.ResourceWithValidateConfig = (*attachmentResource)(nil)

// ValidateConfig checks the known addresses and port with the core's
// rules, each problem on its attribute path, all at once.
func (r *attachmentResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m attachmentModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// The machine's other settings are its own resource's to check: a
	// machine of valid defaults stands in for them.
	s := settings.Settings{Name: "attachment"}
	check := map[string]bool{}
	if !partly(m.IPAddresses) {
		s.IPAddresses, check["ip_addresses"] = values(ctx, m.IPAddresses), true
	}
	if !partly(m.DNSNames) {
		s.DNSNames, check["dns_names"] = values(ctx, m.DNSNames), true
	}
	if !m.Port.IsUnknown() && !m.Port.IsNull() {
		s.Port, check["port"] = int(m.Port.ValueInt64()), true
	}
	_, err := s.Request("")
	var es generator.Errors
	if ps, ok := settings.Problems(err, s); ok {
		for _, p := range ps {
			if check[p.Attr] {
				es = append(es, p.Err)
			}
		}
	}
	if len(es) > 0 {
		problems(&resp.Diagnostics, "invalid attachment", es, s)
	}
}

// values is a known list's values.
func values(ctx context.Context, l types.List) []string {
	var out []string
	l.ElementsAs(ctx, &out, false)
	return out
}
