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
	Content     text   `yaml:"content"`
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
func RenderCloudConfig(p *Plan) ([]byte, error) { return renderCloudConfig(p, true) }

// renderCloudConfig is RenderCloudConfig, with the content of each file
// that a literal block carries as it is spliced in when spliced is set
// (splice.go), or all of it written by yaml.v3.
func renderCloudConfig(p *Plan, spliced bool) ([]byte, error) {
	if p.OS.Boot == BootIgnition || len(p.EnableUnits) > 0 {
		return nil, fmt.Errorf("machine %q: %s boots with Ignition, not cloud-init", p.Machine, p.OS.ID)
	}
	var cc cloudConfig
	for _, r := range p.Repos {
		if cc.YumRepos == nil {
			cc.YumRepos = map[string]yumRepo{}
		}
		cc.YumRepos[r.ID] = yumRepo{Name: r.Name, BaseURL: r.BaseURL, Enabled: true, GPGCheck: true, GPGKey: r.GPGKey}
	}
	if err := cc.addSteps(p.Steps); err != nil {
		return nil, fmt.Errorf("machine %q: %w", p.Machine, err)
	}
	var blocks [][]byte
	for _, f := range p.Files {
		content := text(f.Content)
		var block []byte
		if spliced {
			block = literalBlock(f.Content)
		}
		if block != nil {
			content = placeholder(len(blocks))
			blocks = append(blocks, block)
		}
		cc.WriteFiles = append(cc.WriteFiles, writeFile{
			Path: f.Path, Owner: f.Owner,
			// A quoted octal string: a YAML integer 600 would mean mode 01130.
			Permissions: fmt.Sprintf("%04o", f.Mode.Perm()),
			Content:     content,
		})
	}
	out, err := encodeYAML(p, "#cloud-config\n", "user-data", cc)
	if err == nil && len(blocks) > 0 {
		if whole, ok := splice(out, blocks); ok {
			return whole, nil
		}
		for i, f := range p.Files {
			cc.WriteFiles[i].Content = text(f.Content)
		}
		out, err = encodeYAML(p, "#cloud-config\n", "user-data", cc)
	}
	if err != nil {
		return nil, fmt.Errorf("encoding cloud-config: %w", err)
	}
	return out, nil
}

// addSteps says the steps in cloud-init's modules: the package steps as
// package_update and packages, commands as runcmd, and no waits, since
// cloud-init is what they wait for (see Step). cloud-init installs
// packages before it runs runcmd's commands: a package step after a
// command cannot be said.
func (cc *cloudConfig) addSteps(steps []Step) error {
	for _, s := range steps {
		switch s.Kind {
		case StepWait:
			continue
		case StepRefresh:
			cc.PackageUpdate = true
		case StepInstall:
			cc.Packages = append(cc.Packages, s.Packages...)
		case StepCommand:
			argv := s.Argv
			if len(s.Env) > 0 {
				// An exec'd argv has no shell to set variables in.
				argv = append(append(Command{"env"}, s.Env...), argv...)
			}
			cc.RunCmd = append(cc.RunCmd, flowList(argv))
			continue
		default:
			return fmt.Errorf("the %s step %q has no cloud-config form", s.Kind, s.Shell())
		}
		if len(cc.RunCmd) > 0 {
			return fmt.Errorf("the %s step %q comes after a command: cloud-init installs packages before it runs runcmd", s.Kind, s.Shell())
		}
	}
	return nil
}
