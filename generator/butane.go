package generator

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// butaneConfig is the subset of a Butane config dockbake writes. Structs,
// not maps, keep the key order stable.
type butaneConfig struct {
	Variant string        `yaml:"variant"`
	Version string        `yaml:"version"`
	Storage butaneStorage `yaml:"storage"`
	Systemd butaneSystemd `yaml:"systemd,omitempty"`
}

type butaneStorage struct {
	Files []butaneFile `yaml:"files"`
}

type butaneFile struct {
	Path     string         `yaml:"path"`
	Mode     octalMode      `yaml:"mode"`
	User     *butaneName    `yaml:"user,omitempty"`
	Group    *butaneName    `yaml:"group,omitempty"`
	Contents butaneContents `yaml:"contents"`
}

type butaneName struct {
	Name string `yaml:"name"`
}

type butaneContents struct {
	Inline text `yaml:"inline"`
}

type butaneSystemd struct {
	Units []butaneUnit `yaml:"units,omitempty"`
}

type butaneUnit struct {
	Name    string `yaml:"name"`
	Enabled bool   `yaml:"enabled"`
}

// octalMode is a file mode written as a YAML octal integer, 0644. Butane
// rejects a quoted "0644" and warns about a decimal 644 (ErrDecimalMode).
type octalMode uint32

// MarshalYAML implements yaml.Marshaler.
func (m octalMode) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprintf("0%03o", uint32(m))}, nil
}

// RenderButane writes the plan as a Butane config for its OS's variant.
// Ignition writes the files in the initramfs, before systemd starts, and
// enables the units through presets.
func RenderButane(p *Plan) ([]byte, error) {
	if err := checkIgnitionPlan(p); err != nil {
		return nil, err
	}
	bc := butaneConfig{Variant: p.OS.Butane.Variant, Version: p.OS.Butane.Version}
	for _, f := range p.Files {
		bf := butaneFile{Path: f.Path, Mode: octalMode(f.Mode.Perm()), Contents: butaneContents{Inline: text(f.Content)}}
		if user, group, ok := fileOwner(f); ok {
			bf.User, bf.Group = &butaneName{user}, &butaneName{group}
		}
		bc.Storage.Files = append(bc.Storage.Files, bf)
	}
	for _, u := range p.EnableUnits {
		bc.Systemd.Units = append(bc.Systemd.Units, butaneUnit{Name: u, Enabled: true})
	}
	out, err := encodeYAML(p, "", "config", bc)
	if err != nil {
		return nil, fmt.Errorf("encoding Butane config: %w", err)
	}
	return out, nil
}

// checkIgnitionPlan refuses a plan that Ignition cannot carry out.
func checkIgnitionPlan(p *Plan) error {
	if p.OS.Butane.Variant == "" {
		return fmt.Errorf("machine %q: %s boots with cloud-init, not Ignition", p.Machine, p.OS.ID)
	}
	// Ignition runs no commands and installs no packages: a plan that
	// needs either cannot be said here.
	if len(p.Steps) > 0 || len(p.Repos) > 0 {
		return fmt.Errorf("machine %q: the plan for %s needs commands or packages, which Ignition cannot run", p.Machine, p.OS.ID)
	}
	return nil
}

// fileOwner is f's owner as Butane and Ignition name it: none for root's
// files, which is what Ignition gives a file by default.
func fileOwner(f File) (user, group string, ok bool) {
	if f.Owner == "root:root" {
		return "", "", false
	}
	user, group, _ = strings.Cut(f.Owner, ":")
	return user, group, true
}
