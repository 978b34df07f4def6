package pki

import (
	"strconv"
	"strings"
	"time"
)

// maxValidity bounds lifetimes well inside time.Duration's 292 years.
const maxValidity = 100 * 365 * 24 * time.Hour

// ParseValidity reads a certificate lifetime written as days ("825d") or as
// a Go duration ("48h"). Lifetimes under an hour are refused, as they would
// expire before a host finishes booting, and so are those over a century.
func ParseValidity(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		if n > int(maxValidity/(24*time.Hour)) {
			n = -1
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < time.Hour || d > maxValidity {
		return 0, &ValueError{Value: s, Msg: "not a lifetime of at least an hour and at most a hundred years", Hint: "write days as 825d or a duration as 48h"}
	}
	return d, nil
}

// FormatValidity writes a lifetime the way ParseValidity reads it and users
// write it: whole days as "825d", anything else as a Go duration. Help texts
// show the defaults through it, so DefaultCertValidity is written once.
func FormatValidity(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}
