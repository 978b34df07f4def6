//go:build !linux

package store

import (
	"errors"
	"os"
)

// Exchange is not offered here: the caller renames twice.
func (osDisk) Exchange(a, b string) error {
	return &os.LinkError{Op: "exchange", Old: a, New: b, Err: errors.ErrUnsupported}
}
