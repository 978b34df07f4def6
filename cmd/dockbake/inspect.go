package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
)

// inspection is what `dockbake inspect` prints.
type inspection struct {
	Name          string         `json:"name"`
	URL           string         `json:"url"`
	Attached      bool           `json:"attached"`
	CreatedAt     time.Time      `json:"created_at"`
	ToolVersion   string         `json:"tool_version"`
	CA            string         `json:"ca"`
	CAFingerprint string         `json:"ca_fingerprint"`
	KeyType       string         `json:"key_type"`
	ServerExpires time.Time      `json:"server_cert_expires"`
	ClientDir     string         `json:"client_dir"`
	HostDir       string         `json:"host_dir"`
	Spec          generator.Spec `json:"spec"`
}

func inspectCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "print a machine's record as JSON",
		ArgsUsage: "NAME",
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Aliases: []string{"f"},
			Usage: "print with a Go `TEMPLATE` instead of JSON, e.g. '{{.URL}}' or '{{json .Spec.IPs}}'"}},
		Action: func(c *cli.Context) error {
			_, m, err := loadMachineArg(c, p)
			if err != nil {
				return err
			}
			srv, err := m.ServerCert()
			if err != nil {
				return err
			}
			in := inspection{
				Name: m.Name, URL: machineURL(m), Attached: m.Spec.Attached(), CreatedAt: m.CreatedAt, ToolVersion: m.ToolVersion,
				CA: caLabel(m.CA), CAFingerprint: m.CAFingerprint, KeyType: string(m.KeyType),
				ServerExpires: srv.NotAfter.UTC(), ClientDir: m.ClientDir, HostDir: m.HostDir, Spec: m.Spec,
			}
			if f := c.String("format"); f != "" {
				return printTemplate(p, f, in)
			}
			enc := json.NewEncoder(p.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(in)
		},
	}
}

// printTemplate prints data through a Go template, as docker inspect
// --format does, with a json function and a final newline.
func printTemplate(p *proc, format string, data any) error {
	t, err := template.New("format").Option("missingkey=error").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
	}).Parse(format)
	if err != nil {
		return withHint(fmt.Errorf("--format %q: %w", format, err), "write a Go template, e.g. --format '{{.URL}}'")
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return withHint(fmt.Errorf("--format %q: %w", format, err), "the fields are those of the JSON output, by their Go names: .Name .URL .CA .ServerExpires .ClientDir .Spec.IPs ...")
	}
	_, err = fmt.Fprintln(p.stdout, b.String())
	return err
}
