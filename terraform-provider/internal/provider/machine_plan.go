package provider

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/settings"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

// ValidateConfig reports every problem of the configuration's known
// values at once, each on its attribute path.
func (r *machineResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var cfg machineModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if !resp.Diagnostics.HasError() {
		validate(ctx, &cfg, &resp.Diagnostics)
	}
}

// validate checks the model's known settings and output with the core's
// rules; a value not known yet is checked at plan or apply time.
func validate(ctx context.Context, m *machineModel, diags *diag.Diagnostics) {
	s, _, d := m.settings(ctx)
	diags.Append(d...)
	unknown := m.unknownAttrs()
	_, err := s.Request("")
	if o, ok := generator.LookupOS(s.Spec().OS); ok && !unknown["format"] && !unknown["target"] && !unknown["os"] {
		err = joinFieldErrors(err, output(m.Format.ValueString(), m.Target.ValueString()).Check(o))
	}
	var known generator.Errors
	if ps, ok := settings.Problems(err, s); ok {
		for _, p := range ps {
			if !unknown[p.Attr] {
				known = append(known, p.Err)
			}
		}
		err = nil
		if len(known) > 0 {
			err = known
		}
	}
	problems(diags, "invalid machine", err, s)
}

// unknownAttrs are the attributes whose value is not known yet.
func (m *machineModel) unknownAttrs() map[string]bool {
	u := map[string]bool{}
	for name, unknown := range map[string]bool{
		"name": m.Name.IsUnknown(), "ip_addresses": partly(m.IPAddresses), "dns_names": partly(m.DNSNames),
		"port": m.Port.IsUnknown(), "os": m.OS.IsUnknown(), "install": m.Install.IsUnknown(),
		"engine_opts": partly(m.EngineOpts), "engine_labels": partly(m.EngineLabels),
		"engine_env": partly(m.EngineEnv), "engine_registry_mirrors": partly(m.EngineRegistryMirrors),
		"engine_insecure_registries": partly(m.EngineInsecureRegistries),
		"engine_storage_driver":      m.EngineStorageDriver.IsUnknown(), "docker_user": m.DockerUser.IsUnknown(),
		"key_type": m.KeyType.IsUnknown(), "cert_validity": m.CertValidity.IsUnknown(), "ca_validity": m.CAValidity.IsUnknown(),
		"ca": m.CA.IsUnknown(), "format": m.Format.IsUnknown(), "target": m.Target.IsUnknown(),
	} {
		if unknown {
			u[name] = true
		}
	}
	return u
}

// joinFieldErrors is the field errors of a and b as one generator.Errors.
func joinFieldErrors(a, b error) error {
	var es generator.Errors
	for _, err := range []error{a, b} {
		if ps, ok := settings.Problems(err, settings.Settings{}); ok {
			for _, p := range ps {
				es = append(es, p.Err)
			}
		} else if err != nil {
			return err
		}
	}
	if len(es) == 0 {
		return nil
	}
	return es
}

// fillDefaults gives the settings left out their defaults, as `dockbake
// create` does, so that the plan shows them.
func (m *machineModel) fillDefaults() {
	var s settings.Settings
	if !m.OS.IsNull() && !m.OS.IsUnknown() {
		s.OS = m.OS.ValueString()
	}
	spec := s.Spec()
	if m.Port.IsNull() || m.Port.IsUnknown() {
		m.Port = types.Int64Value(int64(spec.Port))
	}
	if m.OS.IsNull() || m.OS.IsUnknown() {
		m.OS = types.StringValue(spec.OS)
	}
	if m.Install.IsNull() || m.Install.IsUnknown() {
		m.Install = types.StringValue(string(spec.Install))
	}
	def := map[*types.String]string{
		&m.KeyType: string(pki.DefaultKeyType), &m.CertValidity: pki.FormatValidity(pki.DefaultCertValidity),
		&m.CAValidity: pki.FormatValidity(pki.DefaultCAValidity),
	}
	for v, d := range def {
		if v.IsNull() || v.IsUnknown() {
			*v = types.StringValue(d)
		}
	}
}

// ModifyPlan fills in the defaults, reports the problems of values that
// became known, and says what the apply changes: a new server
// certificate for a new spec or a renewal due (early_renewal_days), new
// user-data for a new format or target, nothing else.
func (r *machineResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan machineModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var cfg machineModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	keepConfigured(&plan, &cfg)
	plan.fillDefaults()
	validate(ctx, &plan, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || req.State.Raw.IsNull() {
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	var st machineModel
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	planChanges(ctx, &plan, &st, time.Now())
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// keepConfigured leaves an optional and computed value that the
// configuration leaves out to fillDefaults, rather than the framework's
// unknown.
func keepConfigured(plan, cfg *machineModel) {
	for _, p := range []struct{ plan, cfg *types.String }{
		{&plan.OS, &cfg.OS}, {&plan.Install, &cfg.Install}, {&plan.KeyType, &cfg.KeyType},
		{&plan.CertValidity, &cfg.CertValidity}, {&plan.CAValidity, &cfg.CAValidity},
	} {
		if p.cfg.IsNull() {
			*p.plan = types.StringNull()
		}
	}
	if cfg.Port.IsNull() {
		plan.Port = types.Int64Null()
	}
}

// planChanges sets the computed values of a plan over state st: kept
// where the apply does not change them, unknown where it does.
func planChanges(ctx context.Context, plan, st *machineModel, now time.Time) {
	replace := false
	for _, p := range [][2]types.String{{plan.Name, st.Name}, {plan.KeyType, st.KeyType}, {plan.CA, st.CA}, {plan.CAValidity, st.CAValidity}} {
		replace = replace || !p[0].Equal(p[1])
	}
	ps, known, _ := plan.settings(ctx)
	ss, _, _ := st.settings(ctx)
	rotate := replace || !known || !sameSpec(ps.Spec(), ss.Spec()) || !plan.CertValidity.Equal(st.CertValidity) ||
		renewalDue(plan.EarlyRenewalDays, st.ServerCertExpires, now)
	rerender := rotate || !plan.Format.Equal(st.Format) || !plan.Target.Equal(st.Target)
	plan.ID = st.ID
	plan.CAPEM, plan.ClientCertPEM, plan.ClientKeyPEM = st.CAPEM, st.ClientCertPEM, st.ClientKeyPEM
	plan.UserData, plan.UserDataBase64 = st.UserData, st.UserDataBase64
	plan.DockerHost, plan.ServerCertExpires, plan.Attached = st.DockerHost, st.ServerCertExpires, st.Attached
	if replace {
		plan.ID, plan.CAPEM, plan.ClientCertPEM, plan.ClientKeyPEM = types.StringUnknown(), types.StringUnknown(), types.StringUnknown(), types.StringUnknown()
	}
	if rotate {
		plan.DockerHost, plan.ServerCertExpires, plan.Attached = types.StringUnknown(), types.StringUnknown(), types.BoolUnknown()
	}
	if rerender {
		plan.UserData, plan.UserDataBase64 = types.StringUnknown(), types.StringUnknown()
	}
}

// renewalDue says whether the server certificate expiring at expires
// is within days of its end at now.
func renewalDue(days types.Int64, expires types.String, now time.Time) bool {
	if days.IsNull() || days.IsUnknown() || days.ValueInt64() <= 0 {
		return false
	}
	end, err := time.Parse(time.RFC3339, expires.ValueString())
	if err != nil {
		return false
	}
	return !now.Add(time.Duration(days.ValueInt64()) * 24 * time.Hour).Before(end)
}

// sameSpec says whether two specs describe the same host.
func sameSpec(a, b generator.Spec) bool {
	ja, erra := json.Marshal(a)
	jb, errb := json.Marshal(b)
	return erra == nil && errb == nil && string(ja) == string(jb)
}

// finish puts machine m, rendered, into the model and the state, and its
// material into the private state.
func (r *machineResource) finish(ctx context.Context, mo *machineModel, m *store.Machine, diags *diag.Diagnostics, private privateState, state *tfsdk.State) {
	mat, err := materialOf(r.c.store, m)
	if err != nil {
		diags.AddError(fmt.Sprintf("reading machine %q from the dockbake store", m.Name), err.Error())
		return
	}
	diags.Append(saveMaterial(ctx, private, mat)...)
	ud, err := render(m, mo.Format.ValueString(), mo.Target.ValueString())
	if err != nil {
		s, _, _ := mo.settings(ctx)
		problems(diags, fmt.Sprintf("rendering the user-data of machine %q", m.Name), err, s)
		return
	}
	srv, err := m.ServerCert()
	if err != nil {
		diags.AddError(fmt.Sprintf("reading machine %q's server certificate", m.Name), err.Error())
		return
	}
	fillComputed(mo, m, mat, ud, srv)
	diags.Append(state.Set(ctx, mo)...)
}

func fillComputed(mo *machineModel, m *store.Machine, mat *material, ud rendered, srv *x509.Certificate) {
	mo.ID = types.StringValue(m.Name)
	if mo.IPAddresses.IsUnknown() {
		mo.IPAddresses = listOf(mo.IPAddresses, m.Spec.IPs)
	}
	if mo.DNSNames.IsUnknown() {
		mo.DNSNames = listOf(mo.DNSNames, m.Spec.DNSNames)
	}
	mo.UserData, mo.UserDataBase64 = types.StringValue(ud.plain), types.StringValue(ud.packed)
	mo.DockerHost = types.StringValue("")
	if m.Spec.Attached() {
		mo.DockerHost = types.StringValue(m.Spec.URL())
	}
	mo.Attached = types.BoolValue(m.Spec.Attached())
	mo.CAPEM = types.StringValue(mat.CACert)
	mo.ClientCertPEM, mo.ClientKeyPEM = types.StringValue(mat.ClientCert), types.StringValue(mat.ClientKey)
	mo.ServerCertExpires = types.StringValue(srv.NotAfter.UTC().Format(time.RFC3339))
}

// partly says whether a list or one of its elements is not known yet.
func partly(l types.List) bool {
	if l.IsUnknown() {
		return true
	}
	for _, e := range l.Elements() {
		if e.IsUnknown() {
			return true
		}
	}
	return false
}
