package main

import (
	"encoding/json"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
)

// inspection is what `dockbake inspect` prints.
type inspection struct {
	Name          string         `json:"name"`
	URL           string         `json:"url"`
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

func inspectCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "print a machine's record as JSON",
		ArgsUsage: "NAME",
		Action: func(c *cli.Context) error {
			name, err := machineArg(c)
			if err != nil {
				return err
			}
			l, err := loadMachine(c, e, name)
			if err != nil {
				return err
			}
			exp, err := serverExpiry(l)
			if err != nil {
				return err
			}
			m := l.machine
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(inspection{
				Name: m.Name, URL: l.spec.URL(), CreatedAt: m.CreatedAt, ToolVersion: m.ToolVersion,
				CA: caLabel(m.CA), CAFingerprint: m.CAFingerprint, KeyType: string(m.KeyType),
				ServerExpires: exp, ClientDir: m.ClientDir, HostDir: l.store.HostDir(name), Spec: l.spec,
			})
		},
	}
}
