package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func urlCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "url",
		Usage:     "print a machine's DOCKER_HOST URL",
		ArgsUsage: "NAME",
		Action: func(c *cli.Context) error {
			_, m, err := argMachine(c, e)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, m.Spec.URL())
			return err
		},
	}
}
