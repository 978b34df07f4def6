package main

import "github.com/urfave/cli/v2"

func renderCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "render",
		Usage:     "print a machine's user-data again, in any format, from the store, without new certificates",
		ArgsUsage: "NAME",
		Flags:     append(outputFlags, &cli.BoolFlag{Name: "force", Usage: "replace an existing --output file"}),
		Action: func(c *cli.Context) error {
			name, err := machineArg(c)
			if err != nil {
				return err
			}
			if err := checkOutput(c); err != nil {
				return err
			}
			_, m, err := loadMachine(c, e, name)
			if err != nil {
				return err
			}
			ud, err := userData(c, e, m)
			if err != nil {
				return err
			}
			return writeOutput(c, e, ud)
		},
	}
}
