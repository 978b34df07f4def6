package deliver

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dockbake/dockbake/generator"
	"github.com/dockbake/dockbake/internal/engine"
)

// LastStatus reads the outcome of the newest delivery the host at addr
// recorded, through the same kind of unstarted container a delivery
// uses, which it removes (and the image, if it made it). ok is false when
// the host has recorded none. A host without the apply mechanism is
// ErrNoMechanism.
func LastStatus(ctx context.Context, addr string, pin Pin, spoolDir string) (s generator.Status, ok bool, err error) {
	if spoolDir == "" {
		spoolDir = generator.HostSpoolDir
	}
	cli := dial(addr, pin)
	defer cli.Close()
	r := Request{Addr: addr, SpoolDir: spoolDir}
	made, err := ensureImage(ctx, cli)
	if err != nil {
		return s, false, fmt.Errorf("making the image %s: %w", Image, err)
	}
	defer cleanupImage(cli, r, made)
	id, err := createContainer(ctx, cli, spoolDir)
	if err != nil {
		return s, false, err
	}
	defer cleanupContainer(cli, r, id)
	content, err := cli.CopyFromContainer(ctx, id, mountPoint+"/"+generator.SpoolStatus+"/.")
	if engine.IsNotFound(err) {
		return s, false, fmt.Errorf("%w: no %s", ErrNoMechanism, generator.SpoolStatus)
	}
	if err != nil {
		return s, false, err
	}
	defer content.Close()
	return newest(content)
}

// newest is the status with the greatest ID in a tar of status files:
// IDs begin with their UTC time stamp.
func newest(r io.Reader) (generator.Status, bool, error) {
	var best generator.Status
	found := false
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return best, found, nil
		}
		if err != nil {
			return best, found, err
		}
		name := h.Name[strings.LastIndex(h.Name, "/")+1:]
		if h.Typeflag != tar.TypeReg || strings.HasPrefix(name, ".") {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, 1<<20))
		if err != nil {
			return best, found, err
		}
		st, err := generator.ParseStatus(data)
		if err != nil || st.ID != name {
			continue // a status being written, or not one of ours
		}
		if !found || st.ID > best.ID {
			best, found = st, true
		}
	}
}
