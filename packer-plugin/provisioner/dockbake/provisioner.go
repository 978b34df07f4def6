// Package dockbake is the dockbake provisioner: it bakes one machine of the
// local dockbake store into an image. It uploads the same files the
// cloud-config renderer writes (the host's CA certificate, server key pair
// and the docker.service drop-in), installs Docker and enables it, so that
// every instance of the image starts dockerd with mutual TLS on boot.
package dockbake

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2/hcldec"
	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
	"github.com/hashicorp/packer-plugin-sdk/template/config"
	"github.com/hashicorp/packer-plugin-sdk/template/interpolate"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/packer-plugin/machine"
	"github.com/dockbake/dockbake/packer-plugin/version"
)

// executeData is what execute_command may refer to.
type executeData struct {
	Path string
	Sudo bool
}

// Provisioner is the dockbake provisioner.
type Provisioner struct {
	config Config
	// getenv reads the environment of the machine running Packer; nil
	// means os.Getenv. Tests inject their own.
	getenv func(string) string
}

// ConfigSpec returns the HCL2 spec of the provisioner's block.
func (p *Provisioner) ConfigSpec() hcldec.ObjectSpec { return p.config.FlatMapstructure().HCL2Spec() }

// Prepare decodes the configuration, fills in defaults and reports every
// problem at once, each naming its attribute. It has no side effects: the
// store is not touched until Provision.
func (p *Provisioner) Prepare(raws ...any) error {
	err := config.Decode(&p.config, &config.DecodeOpts{
		PluginType:         "dockbake",
		Interpolate:        true,
		InterpolateContext: &p.config.ctx,
		InterpolateFilter:  &interpolate.RenderFilter{Exclude: []string{"execute_command"}},
	}, raws...)
	if err != nil {
		return err
	}
	getenv := p.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	// An unset os is detected from the build VM in Provision.
	errs := p.config.Config.Prepare(getenv, "")
	if p.config.ExecuteCommand == "" {
		p.config.ExecuteCommand = DefaultExecuteCommand
	}
	if _, err := p.renderExecute("/tmp/dockbake.check/x.sh"); err != nil {
		errs = append(errs, &machine.AttrError{Attr: "execute_command", Value: p.config.ExecuteCommand, Msg: err.Error()})
	}
	if len(errs) > 0 {
		return &packersdk.MultiError{Errors: errs}
	}
	return nil
}

// renderExecute renders execute_command for the script at path.
func (p *Provisioner) renderExecute(path string) (string, error) {
	ctx := p.config.ctx
	ctx.Data = &executeData{Path: path, Sudo: !p.config.PreventSudo}
	return interpolate.Render(p.config.ExecuteCommand, &ctx)
}

// Provision creates or reuses the machine in the local store, then puts the
// machine's Plan onto the build VM: files staged in a private directory and
// installed as root, Docker's packages, and docker.service enabled (and,
// where systemd runs, restarted and checked). The staging directory is
// removed whatever happens.
func (p *Provisioner) Provision(ctx context.Context, ui packersdk.Ui, comm packersdk.Communicator, _ map[string]any) error {
	r := &remote{ctx: ctx, ui: ui, comm: comm, execute: p.renderExecute}
	osID := p.config.OS
	if osID == "" {
		ui.Say("Detecting the build VM's OS from /etc/os-release")
		var err error
		if osID, err = r.detectOS(); err != nil {
			return err
		}
		ui.Sayf("The build VM runs %s", osID)
	}
	m, created, err := p.config.Ensure(p.config.Spec(osID), version.Tool())
	if err != nil {
		return err
	}
	verb := "Reusing"
	if created {
		verb = "Created"
	}
	ca := "its own CA"
	if m.CA != "" {
		ca = fmt.Sprintf("the shared CA %q", m.CA)
	}
	ui.Sayf("%s machine %s (%s, %s) in store %s", verb, m.Spec.Name, m.Spec.URL(), ca, m.StoreDir)
	plan, err := m.Plan()
	if err != nil {
		return err
	}
	if err := r.apply(plan, m.Spec.Port); err != nil {
		return err
	}
	ui.Sayf("Docker host %s is baked: DOCKER_HOST=%s; on this machine run: eval \"$(dockbake env %s)\"", m.Spec.Name, m.Spec.URL(), m.Spec.Name)
	return nil
}

// apply stages, installs and enables plan on the build VM, and removes the
// staging directory afterwards, also after a failure.
func (r *remote) apply(plan *generator.Plan, port int) (err error) {
	live, err := r.systemdRunning()
	if err != nil {
		return err
	}
	staging, err := r.mkStaging()
	if err != nil {
		return err
	}
	defer func() {
		r.ui.Say("Removing the staging directory " + staging)
		if cerr := r.removeStaging(staging); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	staged := stage(hostFiles(plan), staging)
	todo := steps(plan, staged, live, port)
	r.ui.Sayf("Uploading %d files to %s (private keys with mode 0600)", len(staged), staging)
	for _, f := range staged {
		if err := r.upload(f.Staged, f.Content, f.Mode.Perm()); err != nil {
			return fmt.Errorf("uploading %s: %w", f.Path, err)
		}
	}
	for i, s := range todo {
		r.ui.Say(s.title)
		if err := r.runScript(staging, i, s); err != nil {
			return err
		}
	}
	if !live {
		r.ui.Say("systemd is not running on the build VM: docker.service is enabled and starts with TLS on the image's first boot")
	}
	return nil
}
