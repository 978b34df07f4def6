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
			l, err := argMachine(c, e)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(e.stdout, l.Spec.URL())
			return err
		},
	}
}
