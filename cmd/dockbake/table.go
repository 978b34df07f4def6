package main

import (
	"io"
	"slices"
	"unicode/utf8"
)

// table is a table of text as dockbake prints one: each column but the
// last as wide as its widest cell and three spaces more, the last as it
// is, one line a row; what text/tabwriter writes with a padding of three
// spaces, for rows of the same number of cells. It keeps the cells as they
// are given and writes the table in a few large writes: through fmt and
// tabwriter, the table of `ls` of ten thousand machines cost as much time
// as reading the cache that lists them.
type table struct {
	cols  int
	cells []string // row after row
}

// tableChunk is about how much of a table is written at a time: a table
// of ten thousand rows is not made whole in memory first.
const tableChunk = 64 << 10

// tablePadding is the space after the widest cell of a column.
const tablePadding = 3

const spaces = "                                "

func newTable(header ...string) *table {
	return &table{cols: len(header), cells: append([]string(nil), header...)}
}

// grow makes room for n more rows.
func (t *table) grow(n int) { t.cells = slices.Grow(t.cells, n*t.cols) }

// row adds a row; it has as many cells as the header.
func (t *table) row(cells ...string) {
	if len(cells) != t.cols {
		panic("table: a row of another number of cells than the header")
	}
	t.cells = append(t.cells, cells...)
}

// writeTo writes the table to w.
func (t *table) writeTo(w io.Writer) error {
	if t.cols == 0 {
		return nil
	}
	widths := make([]int, t.cols-1)
	size := 0
	for i, c := range t.cells {
		size += len(c)
		if col := i % t.cols; col < len(widths) {
			widths[col] = max(widths[col], utf8.RuneCountInString(c))
		}
	}
	for _, width := range widths {
		size += (width + tablePadding) * len(t.cells) / t.cols
	}
	b := make([]byte, 0, min(size+len(t.cells)/t.cols, tableChunk+tableChunk/4))
	for i, c := range t.cells {
		if len(b) >= tableChunk {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
		b = append(b, c...)
		if col := i % t.cols; col < len(widths) {
			for n := widths[col] + tablePadding - utf8.RuneCountInString(c); n > 0; n -= len(spaces) {
				b = append(b, spaces[:min(n, len(spaces))]...)
			}
		} else {
			b = append(b, '\n')
		}
	}
	_, err := w.Write(b)
	return err
}
