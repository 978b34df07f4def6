package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
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
			s, listed, err := listMachines(c, p)
			if err != nil {
				return err
			}
			if format == "table" {
				return printTable(p, s, listed)
			}
			rows := make([]listing, len(listed))
			for i, l := range listed {
				rows[i] = listRow(s, l)
			}
			warnDamaged(p, rows)
			enc := json.NewEncoder(p.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rows)
		},
	}
}

// listMachines is the store and its machines, those of the fleet that
// --fleet names if it does.
func listMachines(c *cli.Context, p *proc) (*store.Store, []store.Listed, error) {
	s, err := openStore(c, p)
	if err != nil {
		return nil, nil, err
	}
	listed, err := s.List(c.Bool("no-cache"))
	if err != nil {
		return nil, nil, err
	}
	if fleet := c.String("fleet"); fleet != "" {
		listed = slices.DeleteFunc(listed, func(l store.Listed) bool { return l.Fleet != fleet })
	}
	return s, listed, nil
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

// printTable prints the machines as a table, then warns of those that
// expire soon or are damaged. A row is made of each machine in turn, and
// only those to warn of are kept.
func printTable(p *proc, s *store.Store, listed []store.Listed) error {
	tb := newTable("NAME", "URL", "CA", "EXPIRES", "DAYS")
	tb.grow(len(listed))
	var soon, damaged []listing
	for _, l := range listed {
		r := listRow(s, l)
		if r.Status == statusDamaged || r.Status == statusOtherVersion {
			tb.row(r.Name, dash(r.URL), dash(r.CA), r.Status, "-")
			damaged = append(damaged, r)
			continue
		}
		days := strconv.Itoa(*r.DaysLeft)
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
		tb.row(r.Name, url, r.CA, r.Expires.Format(time.DateOnly), days)
	}
	if err := tb.writeTo(p.stdout); err != nil {
		return err
	}
	for _, r := range soon {
		warnf(p.stderr, "%s: its %s certificate expires on %s: run %s", r.Name, r.Expiring, r.Expires.Format(time.DateOnly), fixExpiry(r.Name, r.Expiring))
	}
	warnDamaged(p, damaged)
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
