//go:build !linux

package store

import "os"

// rename moves from to to, replacing a file there.
func rename(from, to string) error { return os.Rename(from, to) }
