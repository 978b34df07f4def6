package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/store"
)

func contextCommand(p *proc) *cli.Command {
	nameFlag := &cli.StringFlag{Name: "name", Usage: "docker context `NAME` (default: the machine's name)"}
	return &cli.Command{
		Name:      "context",
		Usage:     "create or update a docker context for a machine, so that docker --context NAME works",
		ArgsUsage: "NAME",
		Description: `Runs docker context create (or update) when the docker CLI is installed, and
writes the docker CLI's context store ($DOCKER_CONFIG or ~/.docker) directly when
it is not. The context holds copies of the client certificate: run this again
after regenerate-certs --client or --ca.`,
		Flags: []cli.Flag{nameFlag,
			&cli.BoolFlag{Name: "force", Usage: "replace a context of that name that dockbake did not make"}},
		Action: func(c *cli.Context) error { return contextCreate(c, p) },
		Subcommands: []*cli.Command{{
			Name:      "rm",
			Usage:     "remove a machine's docker context",
			ArgsUsage: "NAME",
			Flags: []cli.Flag{nameFlag,
				&cli.BoolFlag{Name: "force", Usage: "remove it even if it is the current context or dockbake did not make it"}},
			Action: func(c *cli.Context) error { return contextRemove(c, p) },
		}},
	}
}

// dockerContext is a docker CLI context for a machine.
type dockerContext struct {
	Name, Description, Host string
	store.ClientFiles       // the paths of the files the context copies
}

// The docker CLI's rule for context names (cli/context/store).
var contextNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$`) })

func contextName(c *cli.Context, machine string) (string, error) {
	name := c.String("name")
	if name == "" {
		name = machine
	}
	if !contextNameRE().MatchString(name) || name == "default" {
		return "", withHint(fmt.Errorf("%q is not a docker context name: use 2 or more letters, digits, '_', '.', '+' or '-', and not \"default\"", name),
			"choose one with --name, e.g. --name %s-docker", machine)
	}
	return name, nil
}

func description(machine string) string { return "dockbake machine " + machine }

func contextCreate(c *cli.Context, p *proc) error {
	machine, err := machineNameArg(c)
	if err != nil {
		return err
	}
	m, err := loadAttached(c, p, machine)
	if err != nil {
		return err
	}
	name, err := contextName(c, machine)
	if err != nil {
		return err
	}
	dc := dockerContext{Name: name, Description: description(machine), Host: m.Spec.URL(), ClientFiles: m.ClientFiles()}
	cfgDir, err := dockerConfigDir(p)
	if err != nil {
		return err
	}
	var old *contextMeta
	docker, haveCLI := findDocker(p)
	if haveCLI {
		old, err = inspectWithCLI(c.Context, p, docker, cfgDir, name)
	} else {
		old, err = readContextMeta(cfgDir, name)
	}
	if err != nil {
		return err
	}
	if old != nil && old.Metadata.Description != dc.Description && !c.Bool("force") {
		return withHint(fmt.Errorf("docker context %q exists and was not made by dockbake for %s (its description: %q)", name, machine, old.Metadata.Description),
			"choose another --name, or add --force to replace it")
	}
	if haveCLI {
		err = writeWithCLI(c.Context, p, docker, cfgDir, dc, old != nil)
	} else {
		err = writeContextStore(cfgDir, dc)
	}
	if err != nil {
		return err
	}
	verb, how := "Created", "with the docker CLI"
	if old != nil {
		verb = "Updated"
	}
	if !haveCLI {
		how = "in " + filepath.Join(cfgDir, "contexts") + " (the docker CLI is not installed here)"
	}
	fmt.Fprintf(p.stderr, "%s docker context %s for %s (%s) %s\n", verb, name, machine, dc.Host, how)
	fmt.Fprintf(p.stderr, "Use it with: docker --context %s ps, or make it the default with: docker context use %s\n", name, name)
	return nil
}

func contextRemove(c *cli.Context, p *proc) error {
	machine, err := machineNameArg(c)
	if err != nil {
		return err
	}
	name, err := contextName(c, machine)
	if err != nil {
		return err
	}
	cfgDir, err := dockerConfigDir(p)
	if err != nil {
		return err
	}
	docker, haveCLI := findDocker(p)
	var old *contextMeta
	if haveCLI {
		old, err = inspectWithCLI(c.Context, p, docker, cfgDir, name)
	} else {
		old, err = readContextMeta(cfgDir, name)
	}
	switch {
	case err != nil:
		return err
	case old == nil:
		return withHint(fmt.Errorf("docker context %q: %w", name, store.ErrNotFound), "docker context ls lists the contexts")
	case old.Metadata.Description != description(machine) && !c.Bool("force"):
		return withHint(fmt.Errorf("docker context %q was not made by dockbake for %s (its description: %q)", name, machine, old.Metadata.Description),
			"add --force to remove it anyway")
	}
	if haveCLI {
		args := []string{"context", "rm", name}
		if c.Bool("force") {
			args = append(args, "--force")
		}
		if _, err := runDocker(c.Context, p, docker, cfgDir, args...); err != nil {
			return withHint(err, "if it is the current context, run docker context use default first, or add --force")
		}
	} else if err := removeContextStore(cfgDir, name, c.Bool("force")); err != nil {
		return err
	}
	fmt.Fprintf(p.stderr, "Removed docker context %s\n", name)
	return nil
}

// dockerConfigDir is where the docker CLI keeps its configuration:
// $DOCKER_CONFIG, else ~/.docker.
func dockerConfigDir(p *proc) (string, error) {
	return store.DockerPath(p.getenv, "DOCKER_CONFIG", "")
}

// findDocker looks for the docker CLI in the PATH of the environment given.
func findDocker(p *proc) (string, bool) {
	for _, dir := range filepath.SplitList(p.getenv("PATH")) {
		if dir == "" {
			continue
		}
		path := filepath.Join(dir, "docker")
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return path, true
		}
	}
	return "", false
}

// runDocker runs the docker CLI on the context store in cfgDir. Variables
// that would point it at some host are left out: they do not matter for
// managing contexts, and DOCKER_CONTEXT could name one that is gone.
func runDocker(ctx context.Context, p *proc, docker, cfgDir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, docker, args...)
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH", "PATH", "HOME":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "DOCKER_CONFIG="+cfgDir)
	for _, k := range []string{"PATH", "HOME"} {
		if v := p.getenv(k); v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// inspectWithCLI returns the context's metadata, or nil if there is none.
func inspectWithCLI(ctx context.Context, p *proc, docker, cfgDir, name string) (*contextMeta, error) {
	out, err := runDocker(ctx, p, docker, cfgDir, "context", "ls", "--format", "{{.Name}}")
	if err != nil {
		return nil, err
	}
	found := false
	for _, line := range strings.Split(string(out), "\n") {
		found = found || strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), "*")) == name
	}
	if !found {
		return nil, nil
	}
	out, err = runDocker(ctx, p, docker, cfgDir, "context", "inspect", name)
	if err != nil {
		return nil, err
	}
	var metas []contextMeta
	if err := json.Unmarshal(out, &metas); err != nil || len(metas) != 1 {
		return nil, fmt.Errorf("docker context inspect %s: unexpected output", name)
	}
	return &metas[0], nil
}

func writeWithCLI(ctx context.Context, p *proc, docker, cfgDir string, dc dockerContext, update bool) error {
	// The docker CLI reads --docker as one CSV record, so quote it as one:
	// a path may contain a comma or a quote.
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"host=" + dc.Host, "ca=" + dc.CA, "cert=" + dc.Cert, "key=" + dc.Key})
	w.Flush()
	verb := "create"
	if update {
		verb = "update"
	}
	_, err := runDocker(ctx, p, docker, cfgDir, "context", verb, dc.Name, "--description", dc.Description, "--docker", strings.TrimSuffix(b.String(), "\n"))
	return err
}
