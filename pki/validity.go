package pki

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ParseValidity reads a certificate lifetime written as days ("825d") or as
// a Go duration ("48h"). Lifetimes under an hour are refused: they would
// expire before a host finishes booting.
func ParseValidity(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < time.Hour {
		return 0, errors.New("not a lifetime of at least an hour: write days as 825d or a duration as 48h")
	}
	return d, nil
}
