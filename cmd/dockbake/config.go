package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"
)

func configCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "config",
		Usage:     "print the docker CLI's TLS flags for a machine, for docker $(dockbake config NAME) ps",
		ArgsUsage: "NAME",
		Action: func(c *cli.Context) error {
			l, err := argMachine(c, e)
			if err != nil {
				return err
			}
			dir := l.Record.ClientDir
			// $(...) splits on white space and expands globs, and no quoting
			// survives it: say so rather than print flags that break.
			if strings.ContainsAny(dir, " \t\n*?[") {
				fmt.Fprintf(e.stderr, "dockbake: warning: the path %q does not survive $(...); use eval \"$(dockbake env %s)\" instead\n", dir, l.Record.Name)
			}
			_, err = fmt.Fprintf(e.stdout, "--tlsverify\n--tlscacert=%s\n--tlscert=%s\n--tlskey=%s\n-H=%s\n",
				filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), l.Spec.URL())
			return err
		},
	}
}
