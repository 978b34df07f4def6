package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/dockbake/dockbake/internal/settings"
)

// machineModel is a dockbake_machine's attributes.
type machineModel struct {
	ID                       types.String `tfsdk:"id"`
	Name                     types.String `tfsdk:"name"`
	IPAddresses              types.List   `tfsdk:"ip_addresses"`
	DNSNames                 types.List   `tfsdk:"dns_names"`
	Port                     types.Int64  `tfsdk:"port"`
	OS                       types.String `tfsdk:"os"`
	Install                  types.String `tfsdk:"install"`
	EngineOpts               types.List   `tfsdk:"engine_opts"`
	EngineLabels             types.List   `tfsdk:"engine_labels"`
	EngineEnv                types.List   `tfsdk:"engine_env"`
	EngineRegistryMirrors    types.List   `tfsdk:"engine_registry_mirrors"`
	EngineInsecureRegistries types.List   `tfsdk:"engine_insecure_registries"`
	EngineStorageDriver      types.String `tfsdk:"engine_storage_driver"`
	DockerUser               types.String `tfsdk:"docker_user"`
	KeyType                  types.String `tfsdk:"key_type"`
	CertValidity             types.String `tfsdk:"cert_validity"`
	CAValidity               types.String `tfsdk:"ca_validity"`
	CA                       types.String `tfsdk:"ca"`
	Format                   types.String `tfsdk:"format"`
	Target                   types.String `tfsdk:"target"`
	EarlyRenewalDays         types.Int64  `tfsdk:"early_renewal_days"`

	UserData          types.String `tfsdk:"user_data"`
	UserDataBase64    types.String `tfsdk:"user_data_base64"`
	DockerHost        types.String `tfsdk:"docker_host"`
	CAPEM             types.String `tfsdk:"ca_pem"`
	ClientCertPEM     types.String `tfsdk:"client_cert_pem"`
	ClientKeyPEM      types.String `tfsdk:"client_key_pem"`
	ServerCertExpires types.String `tfsdk:"server_cert_expires"`
	Attached          types.Bool   `tfsdk:"attached"`
}

// The attributes whose change needs a new CA, and so a new machine.
var replacedBy = []string{"name", "key_type", "ca", "ca_validity"}

func machineSchema() schema.Schema {
	attrs := map[string]schema.Attribute{
		"id": schema.StringAttribute{Computed: true, Description: "The machine's name.",
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"name": schema.StringAttribute{Required: true, Description: "The machine's name in the store and in its certificates' common names."},
		"ip_addresses": addresses("IP addresses of the host, in its server certificate; the first is DOCKER_HOST's. " +
			"Leave out for a host attached later by dockbake_attachment, which records the addresses here. " +
			"A change issues a new server certificate in place."),
		"dns_names":                  addresses("DNS names of the host, in its server certificate; DOCKER_HOST's when there is no IP address."),
		"port":                       schema.Int64Attribute{Optional: true, Computed: true, Description: "dockerd's TLS port. Default 2376."},
		"os":                         optionalComputed("The host's OS, e.g. ubuntu-24.04, debian-12, flatcar. Default ubuntu-24.04."),
		"install":                    optionalComputed("How Docker is installed: distro, docker-ce or none. Default: the OS's own."),
		"engine_opts":                list("dockerd options, flag=value."),
		"engine_labels":              list("dockerd labels, key=value."),
		"engine_env":                 list("dockerd environment, NAME=value."),
		"engine_registry_mirrors":    list("Registry mirrors, URLs."),
		"engine_insecure_registries": list("Insecure registries, host:port."),
		"engine_storage_driver":      schema.StringAttribute{Optional: true, Description: "dockerd's storage driver."},
		"docker_user":                schema.StringAttribute{Optional: true, Description: "A user added to the docker group."},
		"key_type":                   optionalComputed("Key algorithm of the CA and certificates: ecdsa-p256, rsa-2048, ... A change replaces the machine."),
		"cert_validity":              optionalComputed("Lifetime of the server and client certificates, DAYSd or a Go duration. Default 825d."),
		"ca_validity":                optionalComputed("Lifetime of a new CA. A change replaces the machine."),
		"ca":                         schema.StringAttribute{Optional: true, Description: "A shared CA's name (created on first use); none: a CA of the machine's own. A change replaces the machine."},
		"format":                     schema.StringAttribute{Optional: true, Description: "Format of user_data: cloud-config, mime, script, butane, ignition. Default: the OS's."},
		"target":                     schema.StringAttribute{Optional: true, Description: "The cloud whose user-data slot user_data must fit: aws, gcp, azure, ..."},
		"early_renewal_days": schema.Int64Attribute{Optional: true, Description: "Within this many days of the server certificate's expiry, " +
			"the plan shows its renewal (in place, same CA), as tls_locally_signed_cert does with early_renewal_hours."},

		"user_data": computed("The host's user-data (or script) in format, for target. It holds the host's private TLS key.", true),
		"user_data_base64": computed("user_data gzip-compressed and base64-encoded, for user_data_base64 slots "+
			"(base64 alone for Ignition, which reads its config uncompressed).", true),
		"docker_host":         computed("DOCKER_HOST, tcp://ADDRESS:PORT; empty while the machine has no address.", false),
		"ca_pem":              keep(computed("The CA certificate clients trust (PEM).", false)),
		"client_cert_pem":     keep(computed("The machine's client certificate (PEM).", false)),
		"client_key_pem":      keep(computed("The client certificate's private key (PEM).", true)),
		"server_cert_expires": computed("When the server certificate expires, RFC 3339.", false),
		"attached":            schema.BoolAttribute{Computed: true, Description: "Whether the machine has an address."},
	}
	for _, name := range replacedBy {
		a := attrs[name].(schema.StringAttribute)
		a.PlanModifiers = append(a.PlanModifiers, stringplanmodifier.RequiresReplace())
		attrs[name] = a
	}
	return schema.Schema{
		Description: "A dockbake machine: a CA, the host's server certificate and a client certificate, and the user-data " +
			"that sets the host up. The state holds its keys (sensitive); the local store holds a mirror for the dockbake CLI.",
		Attributes: attrs,
	}
}

func list(desc string) schema.ListAttribute {
	return schema.ListAttribute{Optional: true, ElementType: types.StringType, Description: desc}
}

// addresses is an address list: left out, it keeps what an attachment
// recorded.
func addresses(desc string) schema.ListAttribute {
	a := list(desc)
	a.Computed = true
	a.PlanModifiers = []planmodifier.List{listplanmodifier.UseStateForUnknown()}
	return a
}

func optionalComputed(desc string) schema.StringAttribute {
	return schema.StringAttribute{Optional: true, Computed: true, Description: desc}
}

func computed(desc string, sensitive bool) schema.StringAttribute {
	return schema.StringAttribute{Computed: true, Sensitive: sensitive, Description: desc}
}

// keep marks a value that only a new machine changes.
func keep(a schema.StringAttribute) schema.StringAttribute {
	a.PlanModifiers = append(a.PlanModifiers, stringplanmodifier.UseStateForUnknown())
	return a
}

// settings is the model's settings; known is false when a value is not
// known yet (an address of an instance still to be made). Unknown values
// are left empty.
func (m *machineModel) settings(ctx context.Context) (s settings.Settings, known bool, diags diag.Diagnostics) {
	known = true
	str := func(v types.String) string {
		known = known && !v.IsUnknown()
		return v.ValueString()
	}
	lst := func(v types.List) []string {
		if v.IsUnknown() {
			known = false
			return nil
		}
		var out []types.String
		diags.Append(v.ElementsAs(ctx, &out, false)...)
		var vals []string
		for _, e := range out {
			known = known && !e.IsUnknown()
			vals = append(vals, e.ValueString())
		}
		return vals
	}
	known = known && !m.Port.IsUnknown()
	s = settings.Settings{
		Name: str(m.Name), IPAddresses: lst(m.IPAddresses), DNSNames: lst(m.DNSNames), Port: int(m.Port.ValueInt64()),
		OS: str(m.OS), Install: str(m.Install),
		EngineOpts: lst(m.EngineOpts), EngineLabels: lst(m.EngineLabels), EngineEnv: lst(m.EngineEnv),
		EngineRegistryMirrors: lst(m.EngineRegistryMirrors), EngineInsecureRegistries: lst(m.EngineInsecureRegistries),
		EngineStorageDriver: str(m.EngineStorageDriver), DockerUser: str(m.DockerUser),
		CA: str(m.CA), KeyType: str(m.KeyType), CertValidity: str(m.CertValidity), CAValidity: str(m.CAValidity),
	}
	return s, known, diags
}

// setSettings puts s into the model's arguments. A list that is empty
// keeps the form it has (null or []), so that a read is no change.
func (m *machineModel) setSettings(s settings.Settings) {
	m.Name = types.StringValue(s.Name)
	m.IPAddresses = listOf(m.IPAddresses, s.IPAddresses)
	m.DNSNames = listOf(m.DNSNames, s.DNSNames)
	m.Port = types.Int64Value(int64(s.Port))
	m.OS = types.StringValue(s.OS)
	m.Install = types.StringValue(s.Install)
	m.EngineOpts = listOf(m.EngineOpts, s.EngineOpts)
	m.EngineLabels = listOf(m.EngineLabels, s.EngineLabels)
	m.EngineEnv = listOf(m.EngineEnv, s.EngineEnv)
	m.EngineRegistryMirrors = listOf(m.EngineRegistryMirrors, s.EngineRegistryMirrors)
	m.EngineInsecureRegistries = listOf(m.EngineInsecureRegistries, s.EngineInsecureRegistries)
	m.EngineStorageDriver = optString(m.EngineStorageDriver, s.EngineStorageDriver)
	m.DockerUser = optString(m.DockerUser, s.DockerUser)
	m.CA = optString(m.CA, s.CA)
	if s.KeyType != "" {
		m.KeyType = types.StringValue(s.KeyType)
	}
}

func listOf(was types.List, vals []string) types.List {
	if len(vals) == 0 && (was.IsNull() || was.IsUnknown()) {
		return types.ListNull(types.StringType)
	}
	elems := make([]attr.Value, len(vals))
	for i, v := range vals {
		elems[i] = types.StringValue(v)
	}
	return types.ListValueMust(types.StringType, elems)
}

func optString(was types.String, v string) types.String {
	if v == "" && (was.IsNull() || was.IsUnknown()) {
		return types.StringNull()
	}
	return types.StringValue(v)
}
