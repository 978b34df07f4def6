package main

import "github.com/urfave/cli/v2"

func renderCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "render",
		Usage:     "print a machine's user-data again, in any format, from the store, without new certificates",
		ArgsUsage: "NAME",
		Flags:     append(outputFlags(), &cli.BoolFlag{Name: "force", Usage: "replace an existing --output file"}),
		Action: func(c *cli.Context) error {
			name, err := machineNameArg(c)
			if err != nil {
				return err
			}
			if err := checkOutput(c); err != nil {
				return err
			}
			_, m, err := loadMachine(c, p, name)
			if err != nil {
				return err
			}
			ud, err := userData(c, p, m)
			if err != nil {
				return err
			}
			return writeOutput(c, p, ud)
		},
	}
}
