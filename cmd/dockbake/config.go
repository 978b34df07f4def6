package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

func configCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "config",
		Usage:     "print the docker CLI's TLS flags for a machine, for docker $(dockbake config NAME) ps",
		ArgsUsage: "NAME",
		Action: func(c *cli.Context) error {
			name, err := machineNameArg(c)
			if err != nil {
				return err
			}
			m, err := loadAttached(c, p, name)
			if err != nil {
				return err
			}
			dir := m.ClientDir
			// $(...) splits on white space and expands globs, and no quoting
			// survives it: say so rather than print flags that break.
			if strings.ContainsAny(dir, " \t\n*?[") {
				warnf(p.stderr, "the path %q does not survive $(...); use eval \"$(dockbake env %s)\" instead", dir, m.Name)
			}
			cf := m.ClientFiles()
			_, err = fmt.Fprintf(p.stdout, "--tlsverify\n--tlscacert=%s\n--tlscert=%s\n--tlskey=%s\n-H=%s\n", cf.CA, cf.Cert, cf.Key, m.Spec.URL())
			return err
		},
	}
}
