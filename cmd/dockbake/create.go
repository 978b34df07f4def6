package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/pki"
	"github.com/dockbake/dockbake/store"
)

func createCommand(p *proc) *cli.Command {
	flags := append(specFlags(), append(outputFlags(),
		&cli.StringFlag{Name: "key-type", Value: string(pki.DefaultKeyType), Usage: "key algorithm: " + keyTypeNames()},
		&cli.StringFlag{Name: "cert-validity", Value: pki.FormatValidity(pki.DefaultCertValidity), Usage: "server and client certificate lifetime (`DAYS`d or a Go duration)"},
		&cli.StringFlag{Name: "ca-validity", Value: pki.FormatValidity(pki.DefaultCAValidity), Usage: "lifetime of a new CA"},
		&cli.StringFlag{Name: "ca", Usage: "share the CA `NAME` across machines (created on first use) instead of a CA per machine"},
		&cli.BoolFlag{Name: "force", Usage: "replace an existing machine of the same name (new keys) and an existing --output file"},
		&cli.BoolFlag{Name: "attach-only", Usage: "make the user-data's server key a throwaway: kept nowhere but the user-data, its certificate valid a day, replaced by dockbake attach (no --ip or --dns)"},
	)...)
	return &cli.Command{
		Name:      "create",
		Usage:     "create a machine's certificates and print its cloud-init user-data",
		ArgsUsage: "NAME",
		Flags:     flags,
		Action:    func(c *cli.Context) error { return create(c, p) },
	}
}

// specFlags are the flags that make up a machine spec.
func specFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "ip", Usage: "IP `ADDRESS` of the host (repeatable); the first is DOCKER_HOST's"},
		&cli.StringSliceFlag{Name: "dns", Usage: "DNS `NAME` of the host (repeatable); DOCKER_HOST's if there is no --ip"},
		&cli.GenericFlag{Name: "port", Value: &decimalPort{generator.DefaultPort}, Usage: "TLS port of dockerd"},
		&cli.StringFlag{Name: "os", Value: generator.DefaultOS, Usage: "host OS: " + strings.Join(generator.OSNames(), ", ")},
		&cli.StringFlag{Name: "install", DefaultText: "the OS's own: distro where it has a Docker package, else docker-ce; none on Flatcar and Fedora CoreOS",
			Usage: "how Docker gets there: distro (docker.io, moby-engine, docker), docker-ce (Docker's repository) or none (already in the image)"},
		&cli.StringSliceFlag{Name: "engine-opt", KeepSpace: true, Usage: "dockerd `flag=value` (repeatable)"},
		&cli.StringSliceFlag{Name: "engine-label", KeepSpace: true, Usage: "dockerd label `key=value` (repeatable)"},
		&cli.StringSliceFlag{Name: "engine-env", KeepSpace: true, Usage: "dockerd environment `NAME=value` (repeatable)"},
		&cli.StringSliceFlag{Name: "engine-registry-mirror", KeepSpace: true, Usage: "registry mirror `URL` (repeatable)"},
		&cli.StringSliceFlag{Name: "engine-insecure-registry", KeepSpace: true, Usage: "insecure `REGISTRY` (repeatable)"},
		&cli.StringFlag{Name: "engine-storage-driver", Usage: "storage `DRIVER` (default: Docker's choice)"},
		&cli.StringFlag{Name: "docker-user", Usage: "add `USER` to the docker group (created if missing)"},
	}
}

func specFromFlags(c *cli.Context, name string) generator.Spec {
	spec := generator.Spec{
		Name: name, IPs: c.StringSlice("ip"), DNSNames: c.StringSlice("dns"), Port: c.Int("port"),
		OS: c.String("os"), Install: generator.Install(c.String("install")),
		Engine: generator.Engine{
			Opts: c.StringSlice("engine-opt"), Labels: c.StringSlice("engine-label"), Env: c.StringSlice("engine-env"),
			RegistryMirrors: c.StringSlice("engine-registry-mirror"), InsecureRegistries: c.StringSlice("engine-insecure-registry"),
			StorageDriver: c.String("engine-storage-driver"),
		},
		DockerUser: c.String("docker-user"),
	}
	if spec.Install == "" {
		spec.Install = spec.WithDefaults().Install // the OS's own default
	}
	return spec
}

// createRequest checks every input and reports all problems at once.
func createRequest(c *cli.Context) (store.CreateRequest, error) {
	name, err := machineNameArg(c)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	spec := specFromFlags(c, name)
	if err := spec.Validate(); err != nil {
		errs = append(errs, err)
	}
	kt, err := pki.ParseKeyType(c.String("key-type"))
	if err != nil {
		errs = append(errs, generator.FieldOf(generator.FieldKeyType, err))
	}
	certValidity, err := parseValidity(generator.FieldCertValidity, c.String("cert-validity"))
	errs = appendErr(errs, err)
	caValidity, err := parseValidity(generator.FieldCAValidity, c.String("ca-validity"))
	errs = appendErr(errs, err)
	if ca := c.String("ca"); ca != "" {
		errs = appendErr(errs, store.ValidateName("CA", ca))
	}
	if c.Bool("attach-only") && spec.Attached() {
		errs = append(errs, &generator.FieldError{Field: generator.FieldIP, Value: spec.Address(),
			Msg: "an --attach-only machine gets its address at attach", Hint: "drop --ip and --dns, and run dockbake attach once the host is up"})
	}
	if len(errs) > 0 {
		return store.CreateRequest{}, withHint(errors.Join(errs...), "dockbake create --help lists the flags")
	}
	return store.CreateRequest{
		Spec: spec, CA: c.String("ca"), KeyType: kt,
		CertValidity: certValidity, CAValidity: caValidity,
		ToolVersion: toolVersion(), Force: c.Bool("force"), AttachOnly: c.Bool("attach-only"),
	}, nil
}

func appendErr(errs []error, err error) []error {
	if err != nil {
		return append(errs, err)
	}
	return errs
}

// parseValidity reads a lifetime flag, naming its field in the error.
func parseValidity(field, s string) (time.Duration, error) {
	d, err := pki.ParseValidity(s)
	return d, generator.FieldOf(field, err)
}

func keyTypeNames() string {
	var names []string
	for _, k := range pki.KeyTypes() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// create stages the machine, renders and writes its user-data from the
// staged machine, and commits last: a create that fails for its output
// (a format that refuses a --merge part, a size over --target's limit, an
// output that cannot be written) leaves no machine behind.
func create(c *cli.Context, p *proc) error {
	req, err := createRequest(c)
	if err != nil {
		return err
	}
	if err := refuseManaged(c, p, req.Spec.Name, false); err != nil {
		return err
	}
	if err := checkOutput(c); err != nil {
		return err
	}
	if err := checkOutputFlags(c, req.Spec); err != nil {
		return withHint(err, "dockbake create --help lists the output flags")
	}
	s, err := openStore(c, p)
	if err != nil {
		return err
	}
	ch, err := s.StageCreate(req)
	if errors.Is(err, store.ErrExists) {
		return withHint(err, "dockbake render %s prints its user-data again; --force replaces it with new keys", req.Spec.Name)
	}
	if errors.Is(err, pki.ErrOutlivesCA) {
		return withHint(err, "give a shorter --cert-validity (or a longer --ca-validity for a new CA)")
	}
	if err != nil {
		return storeError(s, req.Spec.Name, err)
	}
	defer ch.Discard()
	out, err := renderStaged(c, p, ch.Machine)
	if err != nil {
		return err
	}
	defer out.discard()
	m, err := ch.Commit()
	if err != nil {
		return storeError(s, req.Spec.Name, err)
	}
	return reportCreated(c, p, m, out)
}

// reportCreated says what create made, puts --output in place and says
// what to do next.
func reportCreated(c *cli.Context, p *proc, m *store.Machine, out *stagedOutput) error {
	ca := "its own CA"
	if m.CA != "" {
		ca = fmt.Sprintf("the shared CA %q", m.CA)
	}
	url := machineURL(m)
	if url == "" {
		url = "not attached: its certificate names only localhost and 127.0.0.1"
	}
	fmt.Fprintf(p.stderr, "Created machine %s (%s) with %s\n", m.Name, url, ca)
	fmt.Fprintf(p.stderr, "Client certificates: %s\n", m.ClientDir)
	if srv, err := m.ServerCert(); err == nil && m.ThrowawayServerKey {
		fmt.Fprintf(p.stderr, "Its server key is a throwaway: only this user-data holds it (the store keeps none), its certificate is valid until %s UTC, and dockbake attach replaces both.\n", srv.NotAfter.UTC().Format("2006-01-02 15:04"))
	}
	if err := out.finish(p); err != nil {
		return withHint(err, "the machine is created: dockbake render %s -o FILE writes its user-data again", m.Name)
	}
	if generator.Format(c.String("format")) == generator.FormatScript {
		fmt.Fprintf(p.stderr, "Run the script as root on the host (ssh HOST sudo sh -s < FILE), then run: %s\n", nextStep(m))
	} else {
		fmt.Fprintf(p.stderr, "Give the user-data to the new instance, then run: %s\n", nextStep(m))
	}
	return nil
}

// renderStaged renders the user-data of a staged machine and writes it all
// but the last step, before the change that makes the machine commits.
func renderStaged(c *cli.Context, p *proc, m *store.Machine) (*stagedOutput, error) {
	for _, w := range m.Warnings {
		warnf(p.stderr, "%s", w)
	}
	ud, err := userData(c, p, m)
	if err != nil {
		return nil, err
	}
	return stageOutput(c, p, ud)
}
