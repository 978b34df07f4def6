package main

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/store"
)

// listing is one row of `dockbake ls`. Expires and DaysLeft are those of
// the certificate that expires first, which Expiring names (server, client
// or CA): the machine stops working then.
type listing struct {
	Name      string    `json:"name"`
	URL       string    `json:"url,omitempty"`
	Attached  bool      `json:"attached"`
	CA        string    `json:"ca"`
	Expires   time.Time `json:"expires,omitempty"`
	Expiring  string    `json:"expiring,omitempty"`
	DaysLeft  int       `json:"days_left"`
	ClientDir string    `json:"client_dir,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func lsCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list the machines in the store",
		Flags: []cli.Flag{&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"}},
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if format != "table" && format != "json" {
				return withHint(fmt.Errorf("--format %q: use table or json", format), "dockbake ls --format json")
			}
			rows, err := listMachines(c, p)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(p.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			return printTable(p, rows)
		},
	}
}

func listMachines(c *cli.Context, p *proc) ([]listing, error) {
	s, err := openStore(c, p)
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
		_, m, err := loadMachine(c, &proc{stdout: p.stdout, stderr: nopWriter{}, getenv: p.getenv}, name)
		if err == nil {
			row.URL, row.Attached, row.CA, row.ClientDir = machineURL(m), m.Spec.Attached(), caLabel(m.CA), m.ClientDir
			row.Expires, row.Expiring, err = firstExpiry(m)
			row.DaysLeft = daysLeft(row.Expires, s.Now())
		}
		if err != nil {
			row.Error = err.Error()
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// firstExpiry is when the first of the machine's server, client and CA
// certificates expires: the machine stops working then.
func firstExpiry(m *store.Machine) (time.Time, string, error) {
	first, what := time.Time{}, ""
	for _, c := range []struct {
		what string
		read func() (*x509.Certificate, error)
	}{{"server", m.ServerCert}, {"client", m.ClientCert}, {"CA", m.CACert}} {
		cert, err := c.read()
		if err != nil {
			return time.Time{}, "", err
		}
		if what == "" || cert.NotAfter.Before(first) {
			first, what = cert.NotAfter.UTC(), c.what
		}
	}
	return first, what, nil
}

// fixExpiry is the command that renews a machine's certificate of kind what.
func fixExpiry(name, what string) string {
	switch what {
	case "client":
		return "dockbake regenerate-certs " + name + " --client"
	case "CA":
		return "dockbake regenerate-certs " + name + " --ca"
	}
	return "dockbake regenerate-certs " + name
}

func caLabel(ca string) string {
	if ca == "" {
		return "(own)"
	}
	return ca
}

func printTable(p *proc, rows []listing) error {
	tw := tabwriter.NewWriter(p.stdout, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURL\tCA\tEXPIRES\tDAYS")
	var soon []listing
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\t-\t-\tdamaged: %s\n", r.Name, r.Error)
			continue
		}
		days := fmt.Sprint(r.DaysLeft)
		switch {
		case r.DaysLeft < 0:
			days, soon = "expired!", append(soon, r)
		case time.Duration(r.DaysLeft)*24*time.Hour < renewSoon:
			days, soon = days+" renew!", append(soon, r)
		}
		url := r.URL
		if !r.Attached {
			url = notAttached
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, url, r.CA, r.Expires.Format(time.DateOnly), days)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range soon {
		warnf(p.stderr, "%s: its %s certificate expires on %s: run %s", r.Name, r.Expiring, r.Expires.Format(time.DateOnly), fixExpiry(r.Name, r.Expiring))
	}
	return nil
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
