package generator

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// cloudConfig is the subset of cloud-init's schema dockbake writes. Structs,
// not maps, keep the key order stable.
type cloudConfig struct {
	WriteFiles    []writeFile        `yaml:"write_files"`
	YumRepos      map[string]yumRepo `yaml:"yum_repos,omitempty"`
	PackageUpdate bool               `yaml:"package_update,omitempty"`
	Packages      []string           `yaml:"packages,omitempty"`
	RunCmd        []flowList         `yaml:"runcmd,omitempty"`
}

// flowList is an argv written on one line, [systemctl, daemon-reload]:
// a list item is exec'd without a shell, so nothing in it needs shell quoting.
type flowList []string

// MarshalYAML implements yaml.Marshaler.
func (l flowList) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range l {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s})
	}
	return n, nil
}

// writeFile is one write_files entry. Files are written in cloud-init's init
// stage, before packages: the drop-in and certificates are on disk when the
// package's postinst first starts dockerd, so TLS works on the first start.
// Nothing is deferred, so drop-in and certificates never arrive apart.
type writeFile struct {
	Path        string `yaml:"path"`
	Owner       string `yaml:"owner"`
	Permissions string `yaml:"permissions"`
	Content     string `yaml:"content"`
}

// yumRepo is one yum_repos entry. cloud-init's yum_add_repo writes it to
// /etc/yum.repos.d/<id>.repo in its config stage, after write_files and
// before packages.
type yumRepo struct {
	Name     string `yaml:"name"`
	BaseURL  string `yaml:"baseurl"`
	Enabled  bool   `yaml:"enabled"`
	GPGCheck bool   `yaml:"gpgcheck"`
	GPGKey   string `yaml:"gpgkey"`
}

// RenderCloudConfig writes the plan as #cloud-config user-data.
func RenderCloudConfig(p *Plan) ([]byte, error) {
	if p.OS.Boot == BootIgnition || len(p.EnableUnits) > 0 {
		return nil, fmt.Errorf("machine %q: %s boots with Ignition, not cloud-init", p.Machine, p.OS.ID)
	}
	cc := cloudConfig{PackageUpdate: p.PackageUpdate, Packages: p.Packages}
	for _, r := range p.Repos {
		if cc.YumRepos == nil {
			cc.YumRepos = map[string]yumRepo{}
		}
		cc.YumRepos[r.ID] = yumRepo{Name: r.Name, BaseURL: r.BaseURL, Enabled: true, GPGCheck: true, GPGKey: r.GPGKey}
	}
	for _, c := range p.Commands {
		cc.RunCmd = append(cc.RunCmd, flowList(c))
	}
	for _, f := range p.Files {
		cc.WriteFiles = append(cc.WriteFiles, writeFile{
			Path: f.Path, Owner: f.Owner,
			// A quoted octal string: a YAML integer 600 would mean mode 01130.
			Permissions: fmt.Sprintf("%04o", f.Mode.Perm()),
			Content:     string(f.Content),
		})
	}
	out, err := encodeYAML(p, "#cloud-config\n", "user-data", cc)
	if err != nil {
		return nil, fmt.Errorf("encoding cloud-config: %w", err)
	}
	return out, nil
}
