//go:build !unix

package fleet

import "os"

// writeTemp writes data (a private key is in it: 0600) to path's
// temporary file, unsynced: apply syncs once for all of them.
func writeTemp(path string, data []byte) error {
	tmp := tempOf(path)
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// renameFile moves the file from to to, replacing a file there.
func renameFile(from, to string) error { return os.Rename(from, to) }
