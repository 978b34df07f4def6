package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dockbake/dockbake/internal/settings"
)

// userDataSource is dockbake_user_data: an existing machine's user-data in
// another format or for another target, e.g. a MIME part for
// cloudinit_config.
type userDataSource struct{ c *client }

type userDataModel struct {
	Machine        types.String `tfsdk:"machine"`
	Format         types.String `tfsdk:"format"`
	Target         types.String `tfsdk:"target"`
	UserData       types.String `tfsdk:"user_data"`
	UserDataBase64 types.String `tfsdk:"user_data_base64"`
}

func newUserDataSource() datasource.DataSource { return &userDataSource{} }

// Metadata names the data source.
func (d *userDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_user_data"
}

// Schema is the data source's schema.
func (d *userDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "A machine of the store rendered again, in another format or for another target, with no new certificates " +
			"(`dockbake render`). Give machine as dockbake_machine.NAME.id so that it is read after the machine is made.",
		Attributes: map[string]schema.Attribute{
			"machine":          schema.StringAttribute{Required: true, Description: "The machine's name."},
			"format":           schema.StringAttribute{Optional: true, Description: "cloud-config, mime, script, butane or ignition. Default: the OS's."},
			"target":           schema.StringAttribute{Optional: true, Description: "The cloud whose user-data slot it must fit: aws, gcp, azure, ..."},
			"user_data":        schema.StringAttribute{Computed: true, Sensitive: true, Description: "The user-data; it holds the host's private TLS key."},
			"user_data_base64": schema.StringAttribute{Computed: true, Sensitive: true, Description: "The user-data gzip-compressed and base64-encoded (base64 alone for Ignition)."},
		},
	}
}

// Configure takes the provider's store.
func (d *userDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, _ *datasource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client); ok {
		d.c = c
	}
}

// Read renders the machine.
func (d *userDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m userDataModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	name := m.Machine.ValueString()
	mach, err := d.c.store.Load(name)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("reading machine %q", name), err.Error()+"; dockbake ls lists the machines of "+d.c.store.Root)
		return
	}
	ud, err := render(mach, m.Format.ValueString(), m.Target.ValueString())
	if err != nil {
		problems(&resp.Diagnostics, fmt.Sprintf("rendering machine %q", name), err, settings.FromMachine(mach))
		return
	}
	m.UserData, m.UserDataBase64 = types.StringValue(ud.plain), types.StringValue(ud.packed)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
