package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
)

func envCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:      "env",
		Usage:     "print the shell code that points the docker CLI at a machine",
		ArgsUsage: "NAME",
		Description: `Use it as: eval "$(dockbake env NAME)"
The values are quoted for the shell, so a storage path with spaces or quotes survives.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "shell", Usage: "syntax for `SHELL`: bash, zsh, sh, fish, powershell, cmd, tcsh or emacs (default: from $SHELL)"},
			&cli.BoolFlag{Name: "unset", Aliases: []string{"u"}, Usage: "print the code that unsets the variables instead"},
			&cli.BoolFlag{Name: "no-proxy", Usage: "add the host to NO_PROXY (once), or remove it with --unset"},
		},
		Action: func(c *cli.Context) error { return printEnv(c, p) },
	}
}

func printEnv(c *cli.Context, p *proc) error {
	sh, err := pickShell(c, p)
	if err != nil {
		return err
	}
	req := generator.EnvRequest{Shell: sh, Unset: c.Bool("unset"), NoProxy: c.Bool("no-proxy"), Command: hintCommand(p),
		Fallback: plainCommand(c), FallbackNote: "with the storage path in DOCKBAKE_STORAGE_PATH"}
	if !req.Unset || req.NoProxy || c.NArg() > 0 {
		name, err := machineNameArg(c)
		if err != nil {
			return err
		}
		m, err := loadAttached(c, p, name)
		if err != nil {
			return err
		}
		req.Machine, req.URL, req.CertPath, req.ProxyHost = name, m.Spec.URL(), m.ClientDir, m.Spec.Address()
		req.CurrentNoProxy = p.getenv("NO_PROXY")
		if req.CurrentNoProxy == "" {
			req.CurrentNoProxy = p.getenv("no_proxy")
		}
	}
	out, err := generator.RenderEnv(req)
	if err != nil {
		return withHint(err, "use a storage path (--storage-path) without such characters")
	}
	_, err = fmt.Fprint(p.stdout, out)
	return err
}

func pickShell(c *cli.Context, p *proc) (generator.Shell, error) {
	if s := c.String("shell"); s != "" {
		sh, err := generator.ParseShell(s)
		if err != nil {
			return "", withHint(err, "dockbake env --shell bash NAME")
		}
		return sh, nil
	}
	sh, ok := generator.DetectShell(p.getenv("SHELL"))
	if !ok {
		warnf(p.stderr, "could not tell the shell from $SHELL=%q; writing %s syntax (choose with --shell)", p.getenv("SHELL"), sh)
	}
	return sh, nil
}

// hintCommand is the command line the usage hint repeats, as it was typed;
// under `go run` the program is a throwaway build, so it is named plainly.
func hintCommand(p *proc) []string {
	args := append([]string{}, p.args...)
	if len(args) > 0 && strings.Contains(filepath.ToSlash(args[0]), "/go-build") {
		args[0] = "dockbake"
	}
	return args
}

// plainCommand is the hint's command when the typed one cannot be quoted
// for the shell (a storage path with a newline, say): the same env command
// with no global flag, as it runs with DOCKBAKE_STORAGE_PATH set.
func plainCommand(c *cli.Context) []string {
	argv := []string{"dockbake", "env"}
	if c.IsSet("shell") {
		argv = append(argv, "--shell", c.String("shell"))
	}
	for _, f := range []string{"unset", "no-proxy"} {
		if c.Bool(f) {
			argv = append(argv, "--"+f)
		}
	}
	return append(argv, c.Args().Slice()...)
}
