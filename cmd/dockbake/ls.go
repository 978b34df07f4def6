package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/pki"
)

// listing is one row of `dockbake ls`.
type listing struct {
	Name      string    `json:"name"`
	URL       string    `json:"url,omitempty"`
	CA        string    `json:"ca"`
	Expires   time.Time `json:"expires,omitempty"`
	ClientDir string    `json:"client_dir,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func lsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list the machines in the store",
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"}},
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if format != "table" && format != "json" {
				return withHint(fmt.Errorf("--format %q: use table or json", format), "dockbake ls --format json")
			}
			rows, err := listMachines(c, e)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			return printTable(e, rows)
		},
	}
}

func listMachines(c *cli.Context, e *env) ([]listing, error) {
	s, err := openStore(c, e)
	if err != nil {
		return nil, err
	}
	names, err := s.Names()
	if err != nil {
		return nil, err
	}
	rows := []listing{}
	for _, name := range names {
		row := listing{Name: name}
		l, err := loadMachine(c, &env{stdout: e.stdout, stderr: nopWriter{}, getenv: e.getenv}, name)
		if err == nil {
			row.URL, row.CA, row.ClientDir = l.spec.URL(), caLabel(l.machine.CA), l.machine.ClientDir
			row.Expires, err = serverExpiry(l)
		}
		if err != nil {
			row.Error = err.Error()
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// serverExpiry is when the machine's server certificate expires.
func serverExpiry(l *loaded) (time.Time, error) {
	data, err := l.store.ServerCert(l.machine)
	if err != nil {
		return time.Time{}, err
	}
	cert, err := pki.ParseCertificate(data)
	if err != nil {
		return time.Time{}, err
	}
	return cert.NotAfter.UTC(), nil
}

func caLabel(ca string) string {
	if ca == "" {
		return "(own)"
	}
	return ca
}

func printTable(e *env, rows []listing) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURL\tCA\tEXPIRES")
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\tdamaged: %s\n", r.Name, r.Error)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.URL, r.CA, r.Expires.Format(time.DateOnly))
	}
	return tw.Flush()
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
