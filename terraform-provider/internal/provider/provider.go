// Package provider is dockbake's Terraform provider: the dockbake_machine
// and dockbake_attachment resources and the dockbake_user_data data
// source. It translates Terraform's attributes to the core's settings
// (internal/settings) and the core's field errors back to attribute paths;
// every rule lives in the core.
package provider

import (
	"context"
	"os"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dockbake/dockbake/store"
)

// Address is the provider's source address in the public registry.
const Address = "registry.terraform.io/dockbake/dockbake"

// managedBy is how a machine of a Terraform state is marked in the store.
const managedBy = "terraform"

// dockbake is the provider.
type dockbake struct {
	version string
	// spoolDir is passed to the resources' client; tests set it.
	spoolDir string
	// getenv reads the environment for the default storage path.
	getenv func(string) string
}

// New returns a factory of the provider at version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &dockbake{version: version, getenv: os.Getenv} }
}

type providerModel struct {
	StoragePath types.String `tfsdk:"storage_path"`
}

// client is what the resources and data sources get from the provider.
type client struct {
	store *store.Store
	tool  string
	// spoolDir is the spool's path on hosts without the apply mechanism
	// (attach.Request.SpoolDir), for tests only.
	spoolDir string
}

// Metadata names the provider.
func (p *dockbake) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "dockbake"
	resp.Version = p.version
}

// Schema is the provider block.
func (p *dockbake) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "dockbake machines: a Docker host's TLS certificates, its user-data, and the local store that `dockbake env` reads.",
		Attributes: map[string]schema.Attribute{
			"storage_path": schema.StringAttribute{
				Optional: true,
				Description: "The local dockbake store the provider mirrors each machine into, so that `dockbake env`, `verify` and `context` work on it. " +
					"Default: the CLI's, $DOCKBAKE_STORAGE_PATH or ~/.docker/dockbake.",
			},
		},
	}
}

// Configure opens the store.
func (p *dockbake) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if cfg.StoragePath.IsUnknown() {
		resp.Diagnostics.AddAttributeError(path.Root("storage_path"), "storage_path is not known yet",
			"give the provider a storage_path known before apply, such as a literal path or a variable")
		return
	}
	root := cfg.StoragePath.ValueString()
	if root == "" {
		var err error
		if root, err = store.DefaultRoot(p.getenv); err != nil {
			resp.Diagnostics.AddError("no dockbake store", err.Error())
			return
		}
	}
	s, err := store.Open(root)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("storage_path"), "cannot open the dockbake store", err.Error())
		return
	}
	c := &client{store: s, tool: "terraform-provider-dockbake " + p.version, spoolDir: p.spoolDir}
	resp.ResourceData = c
	resp.DataSourceData = c
}

// Resources lists the resources.
func (p *dockbake) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{newMachineResource, newAttachmentResource}
}

// DataSources lists the data sources.
func (p *dockbake) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{newUserDataSource}
}
