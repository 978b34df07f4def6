package main

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// attachProgress shows fleet attach's hosts as they go: on a terminal a
// bar and a line per host in flight (mpb), otherwise one plain line per
// host when it starts and when it ends.
type attachProgress interface {
	// start shows a host in flight; the returned function shows its end.
	start(name, addr string) func(error)
	// wait ends the display.
	wait()
}

// newAttachProgress picks the display for stderr.
func newAttachProgress(p *proc, total int) attachProgress {
	if f, ok := p.stderr.(*os.File); ok && isTerminal(f) {
		bars := mpb.New(mpb.WithOutput(f), mpb.WithRefreshRate(150*time.Millisecond))
		total := bars.AddBar(int64(total),
			mpb.PrependDecorators(decor.Name("attached "), decor.CountersNoUnit("%d/%d")),
			mpb.AppendDecorators(decor.Percentage()))
		return &barProgress{p: bars, total: total}
	}
	return &lineProgress{p: p}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// lineProgress prints plain lines, one at a time.
type lineProgress struct {
	p  *proc
	mu sync.Mutex
}

func (l *lineProgress) start(name, addr string) func(error) {
	l.say("attaching %s at %s", name, addr)
	began := time.Now()
	return func(err error) {
		if err != nil {
			l.say("%s: failed after %.1f s", name, time.Since(began).Seconds())
			return
		}
		l.say("%s: attached at %s (%.1f s)", name, addr, time.Since(began).Seconds())
	}
}

func (l *lineProgress) say(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.p.stderr, format+"\n", args...)
}

func (l *lineProgress) wait() {}

// barProgress is mpb's bar for the whole fleet and a spinner line per host
// in flight, removed when the host is done.
type barProgress struct {
	p     *mpb.Progress
	total *mpb.Bar
}

func (b *barProgress) start(name, addr string) func(error) {
	line := b.p.New(0, mpb.SpinnerStyle(), mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(name+" "+addr+" ")), mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)))
	return func(err error) {
		line.Abort(true)
		b.total.Increment()
	}
}

func (b *barProgress) wait() {
	b.total.Abort(false)
	b.p.Wait()
}
