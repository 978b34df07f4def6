package generator

import (
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/butane/config/common"
	fcos1_6 "github.com/coreos/butane/config/fcos/v1_6"
	flatcar1_1 "github.com/coreos/butane/config/flatcar/v1_1"
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
	if p.OS.Butane.Variant == "" {
		return nil, fmt.Errorf("machine %q: %s boots with cloud-init, not Ignition", p.Machine, p.OS.ID)
	}
	// Ignition runs no commands and installs no packages: a plan that
	// needs either cannot be said here.
	if len(p.Steps) > 0 || len(p.Repos) > 0 {
		return nil, fmt.Errorf("machine %q: the plan for %s needs commands or packages, which Ignition cannot run", p.Machine, p.OS.ID)
	}
	bc := butaneConfig{Variant: p.OS.Butane.Variant, Version: p.OS.Butane.Version}
	for _, f := range p.Files {
		bf := butaneFile{Path: f.Path, Mode: octalMode(f.Mode.Perm()), Contents: butaneContents{Inline: text(f.Content)}}
		if user, group, _ := strings.Cut(f.Owner, ":"); f.Owner != "root:root" {
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

// RenderIgnition writes the plan as an Ignition config, translated from
// RenderButane's output by Butane itself. Every entry of Butane's report
// is an error here, warnings included, as `butane --strict` does: a
// warning means Butane understood something other than what was meant.
func RenderIgnition(p *Plan) ([]byte, error) {
	bu, err := RenderButane(p)
	if err != nil {
		return nil, err
	}
	return TranslateButane(bu)
}

// butaneTranslators are Butane's translators of the variants and versions
// the OS table writes (OS.Butane), made strict. Butane's own dispatcher,
// config.TranslateBytes, links every variant and version it knows, and
// their package initialisation costs every dockbake command, env and ls
// included, milliseconds at start-up: dockbake links only these.
// TestButaneTranslators holds the table to the OS table.
var butaneTranslators = map[ButaneVersion]func([]byte) ([]byte, error){
	{Variant: "fcos", Version: "1.6.0"}:    strictly(fcos1_6.ToIgn3_5Bytes),
	{Variant: "flatcar", Version: "1.1.0"}: strictly(flatcar1_1.ToIgn3_4Bytes),
}

// strictly makes a Butane translator strict: every entry of its report is
// an error, warnings included, as `butane --strict` does: a warning means
// Butane understood something other than what was meant. A report prints
// one line for each entry, so one that prints nothing has none.
func strictly[R fmt.Stringer](translate func([]byte, common.TranslateBytesOptions) ([]byte, R, error)) func([]byte) ([]byte, error) {
	return func(bu []byte) ([]byte, error) {
		ign, rep, err := translate(bu, common.TranslateBytesOptions{})
		if err != nil {
			return nil, fmt.Errorf("translating Butane config: %w", err)
		}
		if entries := rep.String(); entries != "" {
			return nil, fmt.Errorf("translating Butane config (strict):\n%s", strings.TrimSpace(entries))
		}
		return append(ign, '\n'), nil
	}
}

// TranslateButane translates a Butane config of a variant and version that
// dockbake writes to compact Ignition JSON, strictly. Inline contents are
// compressed where that makes them smaller.
func TranslateButane(bu []byte) ([]byte, error) {
	var head ButaneVersion
	if err := yaml.Unmarshal(bu, &head); err != nil {
		return nil, fmt.Errorf("translating Butane config: %w", err)
	}
	translate, ok := butaneTranslators[head]
	if !ok {
		return nil, fmt.Errorf("translating Butane config: variant %q version %q: dockbake translates only what it writes: %s",
			head.Variant, head.Version, butaneVersionNames())
	}
	return translate(bu)
}

// butaneVersionNames lists the translators' variants and versions, sorted.
func butaneVersionNames() string {
	var names []string
	for v := range butaneTranslators {
		names = append(names, v.Variant+" "+v.Version)
	}
	slices.Sort(names)
	return joinNames(names)
}
