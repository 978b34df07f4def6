package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func urlCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "url",
		Usage:     "print a machine's DOCKER_HOST URL",
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
			_, err = fmt.Fprintln(p.stdout, m.Spec.URL())
			return err
		},
	}
}
