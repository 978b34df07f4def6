package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockbake/dockbake/store"
)

// listing is one row of `dockbake ls`. Expires and DaysLeft are those of
// the certificate that expires first, which Expiring names (server, client
// or CA): the machine stops working then. A damaged machine has no expiry
// but its Problems, each naming a file of the store.
type listing struct {
	Name string `json:"name"`
	// Status is ok, expires soon, expired, damaged or other version.
	Status    string     `json:"status"`
	URL       string     `json:"url,omitempty"`
	Attached  bool       `json:"attached"`
	CA        string     `json:"ca,omitempty"`
	Fleet     string     `json:"fleet,omitempty"`
	Expires   *time.Time `json:"expires,omitempty"`
	Expiring  string     `json:"expiring,omitempty"`
	DaysLeft  *int       `json:"days_left,omitempty"`
	ClientDir string     `json:"client_dir,omitempty"`
	Problems  []string   `json:"problems,omitempty"`
	// writtenBy is the dockbake that wrote a record this one cannot read
	// (statusOtherVersion).
	writtenBy string
}

// The statuses of a machine in `dockbake ls`.
const (
	statusOK      = "ok"
	statusSoon    = "expires soon"
	statusExpired = "expired"
	statusDamaged = "damaged"
	// statusOtherVersion: the record has a field or a version this
	// dockbake does not know, and another version of dockbake wrote it.
	statusOtherVersion = "other version"
)

func lsCommand(p *proc) *cli.Command {
	return &cli.Command{
		Name:  "ls",
		Usage: "list the machines in the store",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Value: "table", Usage: "table or json"},
			&cli.StringFlag{Name: "fleet", Usage: "only the machines of fleet `NAME` (dockbake fleet apply)"},
			&cli.BoolFlag{Name: "no-cache", Usage: "read and verify every machine in full, even one unchanged since the last ls"},
		},
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
				warnDamaged(p, rows)
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
	listed, err := s.List(c.Bool("no-cache"))
	if err != nil {
		return nil, err
	}
	rows := make([]listing, 0, len(listed))
	fleet := c.String("fleet")
	for _, l := range listed {
		if fleet != "" && l.Fleet != fleet {
			continue
		}
		rows = append(rows, listRow(s, l))
	}
	return rows, nil
}

// listRow is the row of a machine as the store's listing found it.
func listRow(s *store.Store, l store.Listed) listing {
	row := listing{Name: l.Name, Status: statusDamaged, URL: l.URL, Attached: l.Attached, Fleet: l.Fleet}
	if l.ClientDir != "" { // the record read back
		row.CA, row.ClientDir = caLabel(l.CA), l.ClientDir
	}
	if len(l.Problems) == 0 {
		expires, what := firstExpiry(l)
		days := daysLeft(expires, s.Now())
		row.Expires, row.Expiring, row.DaysLeft = &expires, what, &days
		row.Status = expiryStatus(expires, s.Now())
	}
	for _, p := range l.Problems {
		row.Problems = append(row.Problems, p.Error())
		if v, ok := writtenByAnother(p); ok {
			row.Status, row.writtenBy = statusOtherVersion, v
		}
	}
	return row
}

// expiryStatus is the status of a whole machine whose first certificate
// expires at t.
func expiryStatus(t, now time.Time) string {
	switch {
	case now.After(t):
		return statusExpired
	case t.Sub(now) < renewSoon:
		return statusSoon
	}
	return statusOK
}

// firstExpiry is when the first of the machine's server, client and CA
// certificates expires: the machine stops working then.
func firstExpiry(l store.Listed) (time.Time, string) {
	first, what := time.Time{}, ""
	for _, c := range []struct {
		what string
		at   time.Time
	}{{"server", l.ServerExpires}, {"client", l.ClientExpires}, {"CA", l.CAExpires}} {
		if what == "" || c.at.Before(first) {
			first, what = c.at, c.what
		}
	}
	return first, what
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
	// One write for the table, not one for each of its cells.
	out := bufio.NewWriter(p.stdout)
	tw := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURL\tCA\tEXPIRES\tDAYS")
	var soon []listing
	for _, r := range rows {
		if r.Status == statusDamaged || r.Status == statusOtherVersion {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t-\n", r.Name, dash(r.URL), dash(r.CA), r.Status)
			continue
		}
		days := fmt.Sprint(*r.DaysLeft)
		switch r.Status {
		case statusExpired:
			days, soon = "expired!", append(soon, r)
		case statusSoon:
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
	if err := out.Flush(); err != nil {
		return err
	}
	for _, r := range soon {
		warnf(p.stderr, "%s: its %s certificate expires on %s: run %s", r.Name, r.Expiring, r.Expires.Format(time.DateOnly), fixExpiry(r.Name, r.Expiring))
	}
	warnDamaged(p, rows)
	return nil
}

// warnDamaged names every problem of every damaged machine, and the fix.
func warnDamaged(p *proc, rows []listing) {
	for _, r := range rows {
		for _, problem := range r.Problems {
			if r.writtenBy != "" {
				warnf(p.stderr, "%s: %s", r.Name, problem)
			} else {
				warnf(p.stderr, "%s is damaged: %s", r.Name, problem)
			}
		}
		switch {
		case r.writtenBy != "":
			notef(p.stderr, "dockbake %s wrote %s: use that version, or a newer one, for it (this is %s)", r.writtenBy, r.Name, toolVersion())
		case len(r.Problems) > 0:
			notef(p.stderr, "restore the store from a backup, or run dockbake rm --force %s and create it again", r.Name)
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
