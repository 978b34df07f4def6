package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"text/tabwriter"
)

// tabwriterTable is what text/tabwriter writes of the same rows, as
// dockbake wrote its tables before.
func tabwriterTable(rows [][]string) string {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 3, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	return b.String()
}

// TestTableIsTabwriter: a table writes what text/tabwriter writes of the
// same rows, byte for byte, for cells empty, wide, of several bytes a
// character, and of several columns.
func TestTableIsTabwriter(t *testing.T) {
	runes := []rune("aZ09-_.:/()[]! éß日本🙂")
	rng := rand.New(rand.NewPCG(1, 2))
	cell := func() string {
		var b strings.Builder
		for range rng.IntN(3) * rng.IntN(20) {
			b.WriteRune(runes[rng.IntN(len(runes))])
		}
		return b.String()
	}
	for i := range 2000 {
		cols := 1 + rng.IntN(7)
		rows := make([][]string, 1+rng.IntN(12))
		for r := range rows {
			for range cols {
				rows[r] = append(rows[r], cell())
			}
		}
		tb := newTable(rows[0]...)
		for _, r := range rows[1:] {
			tb.row(r...)
		}
		var got bytes.Buffer
		if err := tb.writeTo(&got); err != nil {
			t.Fatal(err)
		}
		if want := tabwriterTable(rows); got.String() != want {
			t.Fatalf("case %d: the table writes\n%q\ntabwriter\n%q", i, got.String(), want)
		}
	}
}

// countingWriter counts the writes made to it.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(b)
}

// TestLargeTable: a table of many rows is written in pieces, and the
// pieces are what text/tabwriter writes of it.
func TestLargeTable(t *testing.T) {
	rows := [][]string{{"NAME", "URL", "DAYS"}}
	for i := range 10000 {
		rows = append(rows, []string{fmt.Sprintf("m%05d", i), strings.Repeat("u", i%40), fmt.Sprint(i)})
	}
	tb := newTable(rows[0]...)
	tb.grow(len(rows) - 1)
	for _, r := range rows[1:] {
		tb.row(r...)
	}
	var w countingWriter
	if err := tb.writeTo(&w); err != nil {
		t.Fatal(err)
	}
	if want := tabwriterTable(rows); w.String() != want {
		t.Fatalf("the table of %d rows differs from tabwriter's (%d bytes, want %d)", len(rows), w.Len(), len(want))
	}
	if most := w.Len()/tableChunk + 1; w.writes < 2 || w.writes > most {
		t.Errorf("%d bytes written in %d writes, want 2 to %d", w.Len(), w.writes, most)
	}
}
