// Package dockbake is the dockbake data source: it creates or loads a
// machine in the local dockbake store and exposes its cloud-init
// user-data, so a cloud builder can hand it to the instance it boots.
package dockbake

import (
	"os"

	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/packer-plugin-sdk/hcl2helper"
	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"
	"github.com/hashicorp/packer-plugin-sdk/template/config"
	"github.com/zclconf/go-cty/cty"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/packer-plugin/version"
)

// Datasource is the dockbake data source.
type Datasource struct {
	config Config
	// getenv reads the environment of the machine running Packer; nil
	// means os.Getenv. Tests inject their own.
	getenv func(string) string
}

// ConfigSpec returns the HCL2 spec of the data source's block.
func (d *Datasource) ConfigSpec() hcldec.ObjectSpec { return d.config.FlatMapstructure().HCL2Spec() }

// OutputSpec returns the HCL2 spec of the data source's outputs.
func (d *Datasource) OutputSpec() hcldec.ObjectSpec {
	return (&DatasourceOutput{}).FlatMapstructure().HCL2Spec()
}

// Configure decodes the configuration, fills in defaults and reports every
// problem at once, each naming its attribute.
func (d *Datasource) Configure(raws ...any) error {
	if err := config.Decode(&d.config, &config.DecodeOpts{PluginType: "dockbake"}, raws...); err != nil {
		return err
	}
	getenv := d.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if errs := d.config.Prepare(getenv, generator.DefaultOS); len(errs) > 0 {
		return &packersdk.MultiError{Errors: errs}
	}
	return nil
}

// Execute creates or reuses the machine, exactly as `dockbake create` does,
// and renders its user-data as `dockbake render` does.
func (d *Datasource) Execute() (cty.Value, error) {
	null := cty.NullVal(cty.EmptyObject)
	m, _, err := d.config.Ensure(d.config.Spec(d.config.OS), version.Tool())
	if err != nil {
		return null, err
	}
	plan, err := m.Plan()
	if err != nil {
		return null, err
	}
	ud, err := generator.Render(plan, generator.Output{})
	if err != nil {
		return null, err
	}
	// Ignition reads its config uncompressed: base64 alone there.
	packed, err := generator.Encode(ud, generator.Encoding{Gzip: plan.OS.Boot != generator.BootIgnition, Base64: true})
	if err != nil {
		return null, err
	}
	out := DatasourceOutput{UserData: string(ud), UserDataBase64: string(packed), DockerHost: m.Spec.URL(), CertPath: m.ClientDir}
	return hcl2helper.HCL2ValueFromConfig(out, d.OutputSpec()), nil
}
