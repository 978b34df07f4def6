package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dockbake/dockbake/internal/settings"
	"github.com/dockbake/dockbake/store"
)

// machineResource is dockbake_machine.
type machineResource struct{ c *client }

var (
	_ resource.ResourceWithConfigure        = (*machineResource)(nil)
	_ resource.ResourceWithImportState      = (*machineResource)(nil)
	_ resource.ResourceWithModifyPlan       = (*machineResource)(nil)
	_ resource.ResourceWithValidateConfig   = (*machineResource)(nil)
	_ resource.ResourceWithConfigValidators = (*machineResource)(nil)
)

func newMachineResource() resource.Resource { return &machineResource{} }

// Metadata names the resource.
func (r *machineResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_machine"
}

// Schema is the resource's schema.
func (r *machineResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = machineSchema()
}

// Configure takes the provider's store.
func (r *machineResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client); ok {
		r.c = c
	}
}

// ConfigValidators has none: every rule is the core's, in ValidateConfig.
func (r *machineResource) ConfigValidators(context.Context) []resource.ConfigValidator { return nil }

// Create issues the machine's certificates into the store, marked as
// Terraform's, and keeps them in the state.
func (r *machineResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan machineModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	s, _, diags := plan.settings(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	creq, err := s.Request(r.c.tool)
	if err != nil {
		problems(&resp.Diagnostics, "invalid machine", err, s)
		return
	}
	creq.ManagedBy = managedBy
	m, err := r.c.store.Create(creq)
	if errors.Is(err, store.ErrExists) {
		resp.Diagnostics.AddAttributeError(path.Root("name"), fmt.Sprintf("machine %q is already in the dockbake store %s", s.Name, r.c.store.Root),
			fmt.Sprintf("bring it under Terraform with: terraform import ADDRESS %s; or choose another name", s.Name))
		return
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("creating machine %q", s.Name), err.Error())
		return
	}
	r.finish(ctx, &plan, m, &resp.Diagnostics, resp.Private, &resp.State)
}

// Read refreshes the state from the store's mirror, rebuilding the mirror
// from the state where it is missing or stale. A machine changed in the
// store after Terraform made it comes into the state, so that the plan
// shows the change.
func (r *machineResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var st machineModel
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	mat, diags := loadMaterial(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if mat == nil {
		resp.Diagnostics.AddError(fmt.Sprintf("machine %q: the state holds no certificates", st.Name.ValueString()),
			"import it again: terraform state rm ADDRESS, then terraform import ADDRESS NAME")
		return
	}
	m, changed, err := mirror(r.c.store, mat, r.c.tool, true)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("mirroring machine %q into the dockbake store %s", mat.Spec.Name, r.c.store.Root), err.Error())
		return
	}
	keep := st.UserData
	keep64 := st.UserDataBase64
	if changed {
		st.setSettings(settings.FromMachine(m))
	}
	r.finish(ctx, &st, m, &resp.Diagnostics, resp.Private, &resp.State)
	if changed && !keep.IsNull() {
		// The user-data is what the host booted with; a new server
		// certificate delivered since (an attachment) does not change it,
		// so that an instance given it is not replaced.
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("user_data"), keep)...)
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("user_data_base64"), keep64)...)
	}
}

// Update issues a new server certificate from the same CA when the spec
// changed or the certificate is due for renewal; a new format or target
// renders again.
func (r *machineResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, st machineModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	mat, diags := loadMaterial(ctx, req.Private)
	resp.Diagnostics.Append(diags...)
	s, _, diags := plan.settings(ctx)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() || mat == nil {
		return
	}
	creq, err := s.Request(r.c.tool)
	if err != nil {
		problems(&resp.Diagnostics, "invalid machine", err, s)
		return
	}
	m, _, err := mirror(r.c.store, mat, r.c.tool, false)
	if err == nil && (!sameSpec(creq.Spec, m.Spec) || renewalDue(plan.EarlyRenewalDays, st.ServerCertExpires, time.Now()) || plan.CertValidity != st.CertValidity) {
		var rot *store.Rotation
		rot, err = r.c.store.Rotate(store.RotateRequest{Name: m.Name, Spec: &creq.Spec, CertValidity: creq.CertValidity})
		if err == nil {
			m = rot.Machine
		}
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("updating machine %q", s.Name), err.Error())
		return
	}
	r.finish(ctx, &plan, m, &resp.Diagnostics, resp.Private, &resp.State)
}

// Delete removes the machine from the store; a shared CA stays.
func (r *machineResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var st machineModel
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	name := st.Name.ValueString()
	if resp.Diagnostics.HasError() || !r.c.store.Exists(name) {
		return
	}
	if err := r.c.store.Remove(name); err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("removing machine %q from the dockbake store", name), err.Error())
	}
}

// ImportState brings a machine of the store, made by the CLI, under
// Terraform: it marks it as Terraform's and reads it.
func (r *machineResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	m, err := r.c.store.Load(req.ID)
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("importing machine %q", req.ID), err.Error()+"; dockbake ls lists the machines of "+r.c.store.Root)
		return
	}
	mat, err := materialOf(r.c.store, m)
	if err == nil {
		m, err = restore(r.c.store, mat, m.ToolVersion)
	}
	if err != nil {
		resp.Diagnostics.AddError(fmt.Sprintf("importing machine %q", req.ID), err.Error())
		return
	}
	st := machineModel{
		IPAddresses: types.ListNull(types.StringType), DNSNames: types.ListNull(types.StringType),
		EngineOpts: types.ListNull(types.StringType), EngineLabels: types.ListNull(types.StringType),
		EngineEnv: types.ListNull(types.StringType), EngineRegistryMirrors: types.ListNull(types.StringType),
		EngineInsecureRegistries: types.ListNull(types.StringType),
	}
	st.setSettings(settings.FromMachine(m))
	st.fillDefaults()
	r.finish(ctx, &st, m, &resp.Diagnostics, resp.Private, &resp.State)
}
