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
			_, m, err := loadMachineArg(c, p)
			if err != nil {
				return err
			}
			if err := requireAttached(m); err != nil {
				return err
			}
			_, err = fmt.Fprintln(p.stdout, m.Spec.URL())
			return err
		},
	}
}
