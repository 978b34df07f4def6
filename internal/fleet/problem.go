package fleet

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with an inventory, placed on its file, line
// and path (`machines[3].ip_addresses[1]`).
type Problem struct {
	File string
	// Line is counted from 1; 0 when the problem has no place in the
	// file (it cannot be read at all).
	Line int
	// Path is where in the inventory, e.g. "machines[3].port"; empty for
	// the file as a whole.
	Path string
	// Msg says what is wrong and the fix.
	Msg string
}

// Error says the problem as FILE:LINE: PATH: MESSAGE.
func (p Problem) Error() string {
	where := p.File
	if p.Line > 0 {
		where = fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	if p.Path == "" {
		return where + ": " + p.Msg
	}
	return where + ": " + p.Path + ": " + p.Msg
}

// Problems is every problem of an inventory, in the order of the file.
type Problems []Problem

// Error says every problem, one per line.
func (ps Problems) Error() string {
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "\n")
}

// problems collects Problems of one file, each once.
type problems struct {
	file string
	list Problems
	seen map[string]bool
}

func (ps *problems) add(line int, path, format string, args ...any) {
	p := Problem{File: ps.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
	if ps.seen == nil {
		ps.seen = map[string]bool{}
	}
	if key := p.Error(); !ps.seen[key] {
		ps.seen[key] = true
		ps.list = append(ps.list, p)
	}
}

// err is the problems sorted by line, or nil.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Line < ps.list[j].Line })
	return ps.list
}
