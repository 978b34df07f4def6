//go:build !unix

package store

import "errors"

// statSupported: List checks every machine each time here.
const statSupported = false

func stateTree(root, rel string, depth int) ([]dirState, error) {
	return nil, errors.ErrUnsupported
}

func mapFile(path string) ([]byte, error) { return nil, errors.ErrUnsupported }

type tops struct{}

func openTops(root string) *tops { return &tops{} }

func (t *tops) close() {}

func (t *tops) look(rel, name []byte) (fileState, bool) { return fileState{}, false }

func (t *tops) states() (topStates, bool) { return topStates{}, false }
