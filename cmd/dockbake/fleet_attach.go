package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

func fleetAttachCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "attach",
		Usage:     "attach every machine of the fleet with an address that is not attached yet",
		ArgsUsage: "FILE",
		Action: func(c *cli.Context) error {
			return errors.New("fleet attach is not available yet")
		},
	}
}
