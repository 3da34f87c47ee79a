package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// tiny is a run small enough for a test: a few thousand events, once.
var tiny = []string{"-events", "3000", "-count", "1", "-probe=false"}

func runArgs(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(append(append([]string{}, tiny...), args...), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestTable(t *testing.T) {
	out, _, err := runArgs(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"busbench: ", "load average", "3000 events per run",
		"unicast 1P→1C", "pipeline 1P→3C", "multicast 1P→3C", "diamond 1P→3C", "sequencer 2P→1C", "sequencer 3P→1C",
		"bus/chan", "batch/chan", "allocs/ev",
		"Bus API against the raw sequencer", "raw Next/Publish", "bus/raw time",
		"p99/raw", "clock only", "raw CAS (core to core)", "raw slot+cursor (2 lines)", "raw marked slots (1 line)", "bus (2 buses, pollers)", "channel (2 unbuffered)", "median/raw",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestJSON(t *testing.T) {
	out, _, err := runArgs(t, "-json", "-scenarios", "unicast,seq3,busraw,pingpong", "-batch", "8")
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	if len(r.Scenarios) != 2 || r.Scenarios[0].Name != "unicast" || r.Scenarios[1].Name != "seq3" {
		t.Fatalf("scenarios %+v, want unicast and seq3", r.Scenarios)
	}
	for _, s := range r.Scenarios {
		for name, impl := range map[string]Impl{"channel": s.Channel, "bus": s.Bus, "bus batch": s.BusBatch} {
			if impl.Events != 3000 || len(impl.Runs) != 1 || impl.EventsPerSec <= 0 {
				t.Errorf("%s %s: %+v, want 3000 events in 1 run", s.Name, name, impl)
			}
		}
		if s.BusBatch.Batch != 8 || s.BusRatio.Median <= 0 || s.BatchRatio.Median <= 0 {
			t.Errorf("%s: batch %d, ratios %v %v", s.Name, s.BusBatch.Batch, s.BusRatio, s.BatchRatio)
		}
	}
	if r.Scenarios[1].Producers != 3 || r.Scenarios[1].Consumers != 1 {
		t.Errorf("seq3 has %d producers and %d consumers", r.Scenarios[1].Producers, r.Scenarios[1].Consumers)
	}
	if b := r.BusRaw; b == nil {
		t.Error("no busraw result")
	} else {
		for name, impl := range map[string]Impl{"raw": b.Raw, "bus": b.Bus, "raw batch": b.RawBatch, "bus batch": b.BusBatch} {
			if impl.Events != 3000 || len(impl.Runs) != 1 || impl.EventsPerSec <= 0 {
				t.Errorf("busraw %s: %+v, want 3000 events in 1 run", name, impl)
			}
		}
		if b.BusBatch.Batch != 8 || b.BusToRaw.Median <= 0 || b.BatchToRaw.Median <= 0 || b.SlicesToRaw.Median <= 0 {
			t.Errorf("busraw: batch %d, ratios %v %v %v", b.BusBatch.Batch, b.BusToRaw, b.BatchToRaw, b.SlicesToRaw)
		}
	}
	p := r.PingPong
	if p == nil {
		t.Fatal("no pingpong result")
	}
	if p.BusToRaw.Median <= 0 || p.BusToRawP99.Median <= 0 || p.MarkedToRaw.Median <= 0 || p.MarkedToRawP99.Median <= 0 || p.OneLineToRaw.Median <= 0 || p.TwoLinesToRaw.Median <= 0 {
		t.Errorf("pingpong ratios: median %v, p99 %v; marked median %v, p99 %v", p.BusToRaw, p.BusToRawP99, p.MarkedToRaw, p.MarkedToRawP99)
	}
	for name, l := range map[string]Latency{"raw": p.Raw, "two lines": p.TwoLines, "one line": p.OneLine, "bus": p.Bus, "marked": p.Marked, "channel": p.Channel} {
		if l.Count != 3000 || l.Median <= 0 || l.Median > l.P99 || l.P99 > l.Max {
			t.Errorf("%s latency %+v, want 3000 ordered figures", name, l)
		}
	}
	if r.Config.Events != 3000 || r.Config.RingSize != 1024 || r.Config.Wait != "phased-backoff" || r.LoadStart == "" {
		t.Errorf("config %+v, load %q", r.Config, r.LoadStart)
	}
}

func TestDuration(t *testing.T) {
	out, _, err := run2(t, "-duration", "20ms", "-count", "1", "-probe=false", "-scenarios", "unicast,seq2", "-json")
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Scenarios {
		if s.Channel.Events == 0 || s.Bus.Events == 0 || s.BusBatch.Events == 0 {
			t.Errorf("%s: no events in 20ms: %+v", s.Name, s)
		}
	}
}

func run2(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestPlot(t *testing.T) {
	for _, ext := range []string{".svg", ".png"} {
		file := filepath.Join(t.TempDir(), "latency"+ext)
		out, _, err := runArgs(t, "-scenarios", "pingpong", "-plot", file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "plot written to "+file) {
			t.Errorf("output does not name the plot:\n%s", out)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		magic := map[string]string{".svg": "<svg", ".png": "\x89PNG"}[ext]
		if !bytes.Contains(b[:min(len(b), 512)], []byte(magic)) {
			t.Errorf("%s does not start like a %s file", file, ext)
		}
	}
}

func TestProfile(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "layout.json")
	os.WriteFile(prof, []byte(`{"schema":1,"layout":{"pad_bytes":64,"ring_size":256,"wait_strategy":"yielding"}}`), 0o644)
	out, _, err := runArgs(t, "-profile", prof, "-size", "512", "-scenarios", "unicast", "-json")
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	// -size given explicitly overrides the profile; pad and wait come from it.
	if c := r.Config; c.RingSize != 512 || c.PadBytes != 64 || c.Wait != "yielding" || c.Profile != prof {
		t.Errorf("config %+v, want ring 512, pad 64, yielding from %s", c, prof)
	}
}

// TestProfileTuned: a tuned profile's phased-backoff parameters reach the
// bus unless a flag overrides them, and its plan pins the scenario's
// consumer (here to no CPU, so the run works on any machine).
func TestProfileTuned(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "tuned.json")
	os.WriteFile(prof, []byte(`{"schema":1,"layout":{"pad_bytes":128,"ring_size":1024,"wait_strategy":"phased-backoff","poll_ns":4000,"spin_for_ns":3000},
		"affinity":{"producers":[-1],"consumers":[{"cpu":-1}]}}`), 0o644)
	out, _, err := runArgs(t, "-profile", prof, "-scenarios", "unicast", "-json")
	if err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if c := r.Config; c.PollNS != 4000 || c.SpinNS != 3000 || c.YieldNS != 0 {
		t.Errorf("config %+v, want poll 4µs and spin 3µs from the profile", c)
	}
	c, err := parseFlags([]string{"-profile", prof, "-poll", "2us"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.poll != 2*time.Microsecond || c.spin != 0 {
		t.Errorf("-poll 2us with the profile: poll %v, spin %v; want the flag's 2µs and the default spin", c.poll, c.spin)
	}
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-size", "1000"}, "-size 1000: the ring size must be a power of two"},
		{[]string{"-size", "0"}, "power of two"},
		{[]string{"-wait", "spinny"}, `-wait "spinny": unknown wait strategy; use one of busy-spin,`},
		{[]string{"-profile", "/nonexistent/layout.json"}, "-profile: affinity: reading profile: open /nonexistent/layout.json"},
		{[]string{"-pad", "32"}, "-pad 32: not one of"},
		{[]string{"-batch", "0"}, "-batch 0: must be between 1 and the ring size 1024"},
		{[]string{"-batch", "2048"}, "-batch 2048"},
		{[]string{"-count", "0"}, "-count 0"},
		{[]string{"-events", "-5"}, "-events -5"},
		{[]string{"-events", "0", "-duration", "0s"}, "-duration 0s: must be positive"},
		{[]string{"-scenarios", "unicast,broadcast"}, `unknown scenario "broadcast"`},
		{[]string{"-scenarios", ","}, "no scenario to run"},
		{[]string{"-plot", "x.gif"}, "-plot x.gif: the file name must end in one of"},
		{[]string{"-plot", "x.svg", "-scenarios", "unicast"}, "add pingpong to -scenarios"},
		{[]string{"-cpus", "1,1"}, "the two CPUs must differ"},
		{[]string{"-cpus", "0"}, "want two CPU numbers"},
		{[]string{"-cpus", "0,x"}, `"x" is not a CPU number`},
		{[]string{"-wait", "blocking", "-spin", "1us"}, "-spin, -yield and -poll tune phased-backoff, not blocking"},
		{[]string{"-wait", "yielding", "-poll", "1us"}, "-spin, -yield and -poll tune phased-backoff, not yielding"},
		{[]string{"-yield", "-1us"}, "must not be negative"},
		{[]string{"-poll", "-1us"}, "must not be negative"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-nosuchflag"}, "flag provided but not defined"},
	} {
		var out, errOut bytes.Buffer
		err := run(tc.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("run(%q) printed to stdout: %s", tc.args, out.String())
		}
	}
}

func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"-h"}, &out, &errOut); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run(-h) = %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(errOut.String(), "-duration") {
		t.Errorf("usage lacks the flags:\n%s", errOut.String())
	}
}

func TestCPUProfile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cpu.prof")
	if _, _, err := runArgs(t, "-scenarios", "unicast", "-cpuprofile", file); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Size() == 0 {
		t.Errorf("no CPU profile written: %v", err)
	}
}

func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	quick := &progress{w: &buf, start: time.Now(), total: 3}
	quick.step("unicast channel")
	quick.finish()
	if buf.Len() != 0 {
		t.Errorf("a run shorter than a second showed progress: %q", buf.String())
	}
	slow := &progress{w: &buf, start: time.Now().Add(-2 * time.Second), total: 3}
	slow.step("unicast channel")
	if !strings.Contains(buf.String(), "unicast channel") || !strings.Contains(buf.String(), "33%") {
		t.Errorf("a run longer than a second shows no progress: %q", buf.String())
	}
	slow.finish()
}
