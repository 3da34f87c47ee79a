package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// monitor samples the resident memory every second and shows the run's
// progress on stderr: a bar redrawn four times a second on a terminal, or
// else (a log file, a CI job) a line every config.every.
type monitor struct {
	bar    *progressbar.ProgressBar // nil unless a bar is shown
	replay bool                     // the bar counts runs of one seed, not seconds
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
	last   func() // draws the final state of the progress
}

func startMonitor(c config, tot *totals, start time.Time, stderr io.Writer) *monitor {
	m := &monitor{replay: c.replay, done: make(chan struct{}), last: func() {}}
	tot.sampleRSS()
	tick := time.Second
	var show func(el time.Duration)
	switch {
	case !c.progress:
		show = func(time.Duration) {}
	case isTerminal(stderr):
		max := int64(c.duration / time.Second)
		if c.replay {
			max = int64(c.repeat)
		}
		m.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetWidth(20),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetDescription("busstress"),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionShowDescriptionAtLineEnd())
		tick = 250 * time.Millisecond
		show = func(el time.Duration) {
			m.bar.Describe(tot.line(el))
			if !c.replay {
				m.bar.Set64(min(int64(el/time.Second), max))
			}
		}
		m.last = func() {
			m.bar.Describe(tot.line(time.Since(start)))
			m.bar.Finish()
			fmt.Fprintln(stderr)
		}
	default:
		tick = min(tick, c.every)
		next := c.every
		show = func(el time.Duration) {
			if el < next {
				return
			}
			next += c.every
			fmt.Fprintf(stderr, "busstress: %v: %s\n", el.Round(time.Second), tot.line(el))
		}
	}
	m.wg.Go(func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		sampled := start
		for {
			select {
			case <-m.done:
				return
			case now := <-t.C:
				if now.Sub(sampled) >= time.Second {
					tot.sampleRSS()
					sampled = now
				}
				show(now.Sub(start))
			}
		}
	})
	return m
}

// ran tells the monitor that n scenarios ran: the bar of a replay counts
// them.
func (m *monitor) ran(n int) {
	if m.bar != nil && m.replay {
		m.bar.Set(n)
	}
}

// clear makes room on a terminal for a line written to stdout.
func (m *monitor) clear() {
	if m.bar != nil {
		m.bar.Clear()
	}
}

// stop ends the monitor and draws the final state of the bar; it may be
// called more than once.
func (m *monitor) stop() {
	m.once.Do(func() {
		close(m.done)
		m.wg.Wait()
		m.last()
	})
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
