package generator

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
)

// Most of a cloud-config is the text of its files (scripts, units, PEM
// blocks), and yaml.v3 analysing each of them byte by byte was a fifth of
// a fleet apply's time. Text of plain lines goes into a literal block as
// it is, an indentation before each line, so RenderCloudConfig has
// yaml.v3 write the document around a short placeholder for each such
// file and then splices the block in. The output is byte for byte what
// yaml.v3 writes for the whole document (TestSplicedCloudConfig,
// FuzzSplicedContent): a file's content is the last key of its entry, at
// the same column in every entry, and the block's indentation is read
// from yaml.v3 itself (blockIndent).

// spliceToken opens every placeholder: random per process, so that no
// value of a document holds it but by design, and splice checks that.
var spliceToken = sync.OnceValue(func() string { return fmt.Sprintf("dockbake-splice-%016x-", rand.Uint64()) })

// placeholder is the i-th placeholder of a document.
func placeholder(i int) text { return text(spliceToken() + strconv.Itoa(i)) }

// blockIndent is the indentation yaml.v3 gives the lines of a
// write_files entry's content, read from what it writes for one line of
// text; "" (splice nothing) if that is not a literal block.
var blockIndent = sync.OnceValue(func() string {
	probe := cloudConfig{WriteFiles: []writeFile{{Path: "p", Owner: "o", Permissions: "0644", Content: "x\n"}}, Packages: []string{"p"}}
	var b bytes.Buffer
	if encodeYAMLTo(&b, probe) != nil {
		return ""
	}
	const key, next = "\n    content: |\n", "x\npackages:\n"
	_, rest, ok := strings.Cut(b.String(), key)
	indent, _, found := strings.Cut(rest, next)
	if !ok || !found || indent == "" || strings.Trim(indent, " ") != "" {
		return ""
	}
	return indent
})

// literalBlock is what yaml.v3 writes after "content:" for t when t is
// plain lines (plainLines): " |", a line break, then each line of t with
// the block's indentation before it, but for empty lines. For other text
// it is nil.
func literalBlock(t []byte) []byte {
	indent := blockIndent()
	if indent == "" || !plainLines(t) {
		return nil
	}
	b := make([]byte, 0, len(" |\n")+len(t)+bytes.Count(t, []byte("\n"))*len(indent))
	b = append(b, " |\n"...)
	for len(t) > 0 {
		i := bytes.IndexByte(t, '\n')
		if i > 0 {
			b = append(append(b, indent...), t[:i]...)
		}
		b = append(b, '\n')
		t = t[i+1:]
	}
	return b
}

// splice replaces the placeholders of out, in order, each written as a
// plain scalar after "content:", by the blocks they stand for. It
// reports false, and out is to be written again without placeholders,
// unless each is where it should be and nothing else in out holds the
// placeholders' token.
func splice(out []byte, blocks [][]byte) ([]byte, bool) {
	if bytes.Count(out, []byte(spliceToken())) != len(blocks) {
		return nil, false
	}
	n := len(out)
	for _, w := range blocks {
		n += len(w)
	}
	b := make([]byte, 0, n)
	rest := out
	for i, w := range blocks {
		ph := []byte("content: " + string(placeholder(i)) + "\n")
		at := bytes.Index(rest, ph)
		if at < 0 {
			return nil, false
		}
		b = append(append(b, rest[:at+len("content:")]...), w...)
		rest = rest[at+len(ph):]
	}
	return append(b, rest...), true
}
