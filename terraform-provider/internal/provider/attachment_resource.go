package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// defaultAttachTimeout bounds an attach that timeouts does not.
const defaultAttachTimeout = 10 * time.Minute

// attachmentResource is dockbake_attachment: `dockbake attach` as a
// resource. It gives a machine's host the certificate for the addresses
// it got, typically an instance's public IP, once its dockerd answers.
type attachmentResource struct{ c *client }

type attachmentModel struct {
	ID          types.String  `tfsdk:"id"`
	Machine     types.String  `tfsdk:"machine"`
	IPAddresses types.List    `tfsdk:"ip_addresses"`
	DNSNames    types.List    `tfsdk:"dns_names"`
	Port        types.Int64   `tfsdk:"port"`
	Force       types.Bool    `tfsdk:"force"`
	DockerHost  types.String  `tfsdk:"docker_host"`
	Timeouts    *timeoutModel `tfsdk:"timeouts"`
}

type timeoutModel struct {
	Create types.String `tfsdk:"create"`
	Update types.String `tfsdk:"update"`
}

func newAttachmentResource() resource.Resource { return &attachmentResource{} }

// Metadata names the resource.
func (r *attachmentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_attachment"
}

// Schema is the resource's schema.
func (r *attachmentResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Attaches a machine to the addresses its host got (`dockbake attach`): a new server certificate for them, " +
			"delivered through the host's dockerd, retried until it answers. An address change attaches again.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, Description: "The machine's name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"machine": schema.StringAttribute{Required: true, Description: "The machine, e.g. dockbake_machine.web.name.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			"ip_addresses": list("The host's IP addresses now, e.g. [aws_instance.web.public_ip]; the first is dialled."),
			"dns_names":    list("The host's DNS names now; dialled when there is no IP address."),
			"port":         schema.Int64Attribute{Optional: true, Description: "The host's TLS port as reached from here. Default: the machine's."},
			"force":        schema.BoolAttribute{Optional: true, Description: "Deliver even where containers restart with dockerd (live-restore off, a swarm node)."},
			"docker_host":  schema.StringAttribute{Computed: true, Description: "DOCKER_HOST of the attached machine."},
		},
		Blocks: map[string]schema.Block{
			"timeouts": schema.SingleNestedBlock{
				Description: "How long to wait for the host's dockerd, as a Go duration. Default 10m.",
				Attributes: map[string]schema.Attribute{
					"create": schema.StringAttribute{Optional: true},
					"update": schema.StringAttribute{Optional: true},
				},
			},
		},
	}
}

// Configure takes the provider's store.
func (r *attachmentResource) Configure(_ context.Context, req resource.ConfigureRequest, _ *resource.ConfigureResponse) {
	if c, ok := req.ProviderData.(*client); ok {
		r.c = c
	}
}

// Create attaches the machine.
func (r *attachmentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan attachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if !resp.Diagnostics.HasError() {
		r.attach(ctx, &plan, "create", &resp.Diagnostics)
	}
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
}

// Update attaches the machine again, to its new addresses.
func (r *attachmentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan attachmentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if !resp.Diagnostics.HasError() {
		r.attach(ctx, &plan, "update", &resp.Diagnostics)
	}
	if !resp.Diagnostics.HasError() {
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	}
}

// Read keeps the attachment; the machine's own resource shows what the
// store holds.
func (r *attachmentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var st attachmentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &st)...)
	if m, err := r.c.store.Load(st.Machine.ValueString()); err == nil && m.Spec.Attached() {
		st.DockerHost = types.StringValue(m.Spec.URL())
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &st)...)
}

// Delete forgets the attachment: the host keeps its certificate.
func (r *attachmentResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}
