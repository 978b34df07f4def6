package provider

import (
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dockbake/dockbake/internal/settings"
)

func TestRenewalDue(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	expires := types.StringValue(now.Add(10 * 24 * time.Hour).Format(time.RFC3339))
	for _, tc := range []struct {
		name string
		days types.Int64
		want bool
	}{
		{"not set", types.Int64Null(), false},
		{"zero", types.Int64Value(0), false},
		{"outside the window", types.Int64Value(5), false},
		{"at its edge", types.Int64Value(10), true},
		{"inside the window", types.Int64Value(30), true},
		{"not known yet", types.Int64Unknown(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := renewalDue(tc.days, expires, now); got != tc.want {
				t.Errorf("renewalDue(%v) = %v, want %v", tc.days, got, tc.want)
			}
		})
	}
}

// The core's field errors become diagnostics on attribute paths, list
// elements included, all at once.
func TestProblemsOnPaths(t *testing.T) {
	s := settings.Settings{Name: "web1", IPAddresses: []string{"10.0.0.1", "10.0.0.300"}, KeyType: "dsa"}
	_, err := s.Request("")
	var diags diag.Diagnostics
	problems(&diags, "invalid machine", err, s)
	want := map[string]string{
		path.Root("ip_addresses").AtListIndex(1).String(): `ip_addresses[1]: "10.0.0.300": not an IP address`,
		path.Root("key_type").String():                    `key_type: "dsa": unknown key type`,
	}
	if len(diags) != len(want) {
		t.Fatalf("%d diagnostics, want %d: %v", len(diags), len(want), diags)
	}
	for _, d := range diags {
		wp, ok := d.(diag.DiagnosticWithPath)
		if !ok {
			t.Fatalf("diagnostic without a path: %v", d)
		}
		if got := d.Summary(); want[wp.Path().String()] != got {
			t.Errorf("at %s: %q, want %q", wp.Path(), got, want[wp.Path().String()])
		}
	}
}
