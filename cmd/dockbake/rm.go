package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/store"
)

func rmCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "rm",
		Usage:     "remove a machine's certificates and record from the store (a shared CA stays)",
		ArgsUsage: "NAME",
		Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask"}},
		Action: func(c *cli.Context) error {
			name, err := machineNameArg(c)
			if err != nil {
				return err
			}
			if err := refuseManaged(c, p, name, c.Bool("force")); err != nil {
				return err
			}
			s, err := openStore(c, p)
			if err != nil {
				return err
			}
			if !s.Exists(name) {
				return withHint(fmt.Errorf("machine %q: %w", name, store.ErrNotFound), "dockbake ls lists the machines")
			}
			if !c.Bool("force") && !confirm(p, fmt.Sprintf("Remove machine %s and its keys? Clients lose access to the host. (y/N) ", name)) {
				return withHint(errors.New("not removed"), "answer y, or add --force")
			}
			if err := s.Remove(name); err != nil {
				return storeError(s, name, err)
			}
			fmt.Fprintf(p.stderr, "Removed machine %s\n", name)
			return nil
		},
	}
}

// confirm asks on stderr and reads one line from stdin; no answer is no.
func confirm(p *proc, question string) bool {
	fmt.Fprint(p.stderr, question)
	line, _ := bufio.NewReader(p.stdin).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}
