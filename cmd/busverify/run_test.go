package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-arch", "vax"},
		{"-arch", ","},
		{"-runs", "0"},
		{"-nosuchflag"},
		{"stray"},
	} {
		var out, errw bytes.Buffer
		if err := run(args, &out, &errw); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

func TestCountTests(t *testing.T) {
	out := []byte("=== RUN   TestA\n--- PASS: TestA (0.00s)\n--- FAIL: TestB (0.01s)\n    --- FAIL: TestB/sub (0.01s)\n--- SKIP: TestC (0.00s)\nFAIL\n")
	var r row
	countTests(&r, "verify", out, errors.New("exit status 1"))
	if r.passed != 1 || r.total != 2 || len(r.problems) != 1 || !strings.Contains(r.problems[0], "TestB") {
		t.Errorf("got passed %d total %d problems %q, want 1 of 2 with TestB failed", r.passed, r.total, r.problems)
	}
	if len(r.skips) != 1 || r.skips[0] != "verify: TestC skipped" {
		t.Errorf("skips %q, want [TestC skipped]", r.skips)
	}
	// A failed test is reported with what it and its subtests logged,
	// not with what other tests logged.
	out = []byte(`=== RUN   TestA
    a_test.go:5: A's log
--- PASS: TestA (0.00s)
=== RUN   TestLost
=== RUN   TestLost/multi=false
=== RUN   TestLost/multi=true
=== NAME  TestOther
    other_test.go:9: not this
=== NAME  TestLost/multi=true
    notify_internal_test.go:36: event 12 not handled after 5s (last handled 11): a lost wake-up
--- FAIL: TestLost (5.01s)
    --- PASS: TestLost/multi=false (0.10s)
    --- FAIL: TestLost/multi=true (5.00s)
FAIL
`)
	var l row
	countTests(&l, "bus", out, errors.New("exit status 1"))
	want := "bus: TestLost failed: notify_internal_test.go:36: event 12 not handled after 5s (last handled 11): a lost wake-up"
	if len(l.problems) != 1 || l.problems[0] != want {
		t.Errorf("problems %q, want [%q]", l.problems, want)
	}
	// A skipped test is listed with the reason it gave, and is neither
	// passed nor failed.
	out = []byte(`=== RUN   TestLost
    notify_internal_test.go:25: not meaningful here: a litmus saw 446 of 200000
--- SKIP: TestLost (0.18s)
=== RUN   TestA
--- PASS: TestA (0.00s)
PASS
`)
	var s row
	countTests(&s, "bus", out, nil)
	want = "bus: TestLost skipped: notify_internal_test.go:25: not meaningful here: a litmus saw 446 of 200000"
	if s.passed != 1 || s.total != 1 || s.failed() || len(s.skips) != 1 || s.skips[0] != want {
		t.Errorf("got passed %d of %d, failed %v, skips %q; want 1 of 1 and [%q]", s.passed, s.total, s.failed(), s.skips, want)
	}
	// A crash with no FAIL line is one failed check.
	var c row
	countTests(&c, "bus", []byte("panic: boom\n"), errors.New("exit status 2"))
	if c.total != 1 || c.passed != 0 || !c.failed() {
		t.Errorf("crash: got %+v, want one failed check", c)
	}
}

func TestCountDetections(t *testing.T) {
	out := []byte(`    detect_test.go:77: DETECT fault=a procs=1 caught=20 runs=20 took=1s by=x:20
    detect_test.go:77: DETECT fault=a procs=2 caught=19 runs=20 took=1s by=x:19
    detect_test.go:77: DETECT fault=b procs=1 caught=18 runs=20 took=1s by=x:18
    detect_test.go:105: DETECT fault=none procs=1 flagged=0 runs=20
`)
	var r row
	countDetections(&r, out)
	if r.faults != 2 || r.caught != 1 || r.runsCaught != 57 || r.runs != 60 {
		t.Errorf("got %d/%d faults, %d/%d runs; want 1/2 and 57/60", r.caught, r.faults, r.runsCaught, r.runs)
	}
	if !r.failed() || len(r.problems) != 1 || !strings.Contains(r.problems[0], "b caught in 18 of 20") {
		t.Errorf("problems %q, want b's escape reported", r.problems)
	}
}

func TestTable(t *testing.T) {
	var b bytes.Buffer
	writeTable(&b, []*row{
		{arch: "amd64", how: "native", passed: 3, total: 3, caught: 4, faults: 4, runsCaught: 12, runs: 12},
		{arch: "loong64", skipped: "skipped: no emulator (qemu-loongarch64-static)"},
		{arch: "arm64", how: "qemu-user", passed: 5, total: 5, skips: []string{"bus: TestX skipped", "bus: TestY skipped"}},
	})
	for _, want := range []string{"ARCH", "amd64", "3/3", "4/4 (12/12 runs)", "skipped: no emulator", "5/5, 2 skipped"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestHTMLPath(t *testing.T) {
	if got := htmlPath("/tmp/v.html", "amd64 -race"); got != "/tmp/v-amd64race.html" {
		t.Errorf("htmlPath = %q", got)
	}
}

func TestForHost(t *testing.T) {
	arm, _ := lookup("arm64")
	if got := forHost(arm, "amd64"); got.qemu != "qemu-aarch64-static" {
		t.Errorf("arm64 on amd64: emulator %q", got.qemu)
	}
	if got := forHost(arm, "arm64"); got.qemu != "" {
		t.Errorf("arm64 on arm64: emulator %q, want native", got.qemu)
	}
	rv, _ := lookup("riscv64")
	if got := forHost(rv, "riscv64"); got.qemu != "" || got.race == nil || len(got.race.qemuArgs) != 0 {
		t.Errorf("riscv64 on riscv64: %+v, want native with a native race row", got)
	}
	amd, _ := lookup("amd64")
	if got := forHost(amd, "arm64"); got.qemu != "qemu-x86_64-static" || got.race != nil {
		t.Errorf("amd64 on arm64: %+v, want emulated without race", got)
	}
	i386, _ := lookup("386")
	if got := forHost(i386, "amd64"); got.qemu != "" {
		t.Errorf("386 on amd64: emulator %q, want native", got.qemu)
	}
	if got := forHost(i386, "arm64"); got.qemu != "qemu-i386-static" {
		t.Errorf("386 on arm64: emulator %q", got.qemu)
	}
}

// TestNativeRefused checks the test that sends the 386 row to qemu on an
// amd64 kernel without 32-bit support: an ELF file the kernel cannot load
// is refused, and a binary it runs (this test's own) is not.
func TestNativeRefused(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ENOEXEC from an unloadable ELF file is what Linux returns")
	}
	bad := filepath.Join(t.TempDir(), "verify.test")
	// An ELF header for a machine type no kernel loads (0xffff).
	elf := append([]byte("\x7fELF\x01\x01\x01\x00"), make([]byte, 8)...)
	elf = append(elf, 0x02, 0x00, 0xff, 0xff)
	elf = append(elf, make([]byte, 64)...)
	if err := os.WriteFile(bad, elf, 0o755); err != nil {
		t.Fatal(err)
	}
	if !nativeRefused(bad) {
		t.Errorf("an ELF file for machine 0xffff was not refused")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if nativeRefused(self) {
		t.Errorf("this test's own binary was refused")
	}
}

func TestLongFlagErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.json")
	for _, args := range [][]string{
		{"-duration", "-1s"},
		{"-duration", "1s", "-progress", "0s"},
		{"-json"},
		{"-profile", missing, "-duration", "1s"},
		{"-seed", "x", "-duration", "1s"},
	} {
		var out, errw bytes.Buffer
		if err := runContext(t.Context(), args, &out, &errw); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}
}

// longRun runs busverify with args and -json, and decodes its report.
func longRun(t *testing.T, ctx context.Context, args ...string) (longReport, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	err := runContext(ctx, append(args, "-json"), &out, &errw)
	var rep longReport
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("report is not JSON: %v\n%s", jerr, out.String())
	}
	return rep, errw.String(), err
}

// TestLongRun verifies for two seconds: histories run, progress is
// printed, and the JSON report says what ran.
func TestLongRun(t *testing.T) {
	rep, progress, err := longRun(t, t.Context(), "-duration", "2s", "-progress", "500ms", "-seed", "7")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Seed != 7 || rep.Histories < 1 || rep.Operations == 0 || rep.Rounds == 0 || rep.OpsPerSec <= 0 ||
		rep.Violations != 0 || rep.Interrupted || rep.Elapsed < 2*time.Second || !strings.HasPrefix(rep.Profile, "none") {
		t.Errorf("report %+v", rep)
	}
	if runtime.GOOS == "linux" && rep.PeakRSS == 0 {
		t.Error("no peak memory on Linux")
	}
	if n := strings.Count(progress, "ops/s"); n < 2 {
		t.Errorf("%d progress lines in two seconds at 500ms:\n%s", n, progress)
	}
}

// TestLongRunInterrupted: a run of an hour whose context ends (as Ctrl-C
// ends it) stops at once and reports what ran.
func TestLongRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	start := time.Now()
	rep, _, err := longRun(t, ctx, "-duration", "1h", "-seed", "7")
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v after the interrupt", took)
	}
	if !rep.Interrupted || rep.Histories < 1 || rep.Violations != 0 {
		t.Errorf("report %+v, want an interrupted run that passed", rep)
	}
}

// TestLongRunProfile runs with a profile file: every history takes its
// ring size and wait strategy, and the report names the file.
func TestLongRunProfile(t *testing.T) {
	p := affinity.DefaultProfile()
	p.Layout.RingSize, p.Layout.Wait = 256, bus.WaitPhasedBackoff
	b, err := p.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		h := draw(7, i, &p)
		var ring int
		var wait bus.WaitKind
		if h.seq != nil {
			ring, wait = h.seq.RingSize, h.seq.Wait
		} else {
			ring, wait = h.bus.RingSize, h.bus.Wait
		}
		if ring != 256 || wait != bus.WaitPhasedBackoff {
			t.Fatalf("history %d drawn with ring %d and %s wait, want the profile's", i, ring, wait)
		}
	}
	rep, _, err := longRun(t, t.Context(), "-duration", "1s", "-profile", path, "-seed", "7")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Profile != path || rep.Histories < 1 || rep.Violations != 0 {
		t.Errorf("report %+v, want %s named", rep, path)
	}
}

// TestDrawVaries: a seed draws every shape (the bus with and without
// marked events among them) and many layouts.
func TestDrawVaries(t *testing.T) {
	shapes := map[string]bool{}
	rings := map[int]bool{}
	for i := range 200 {
		h := draw(1, i, nil)
		switch {
		case h.bus != nil:
			shapes[map[bool]string{false: "bus", true: "bus-marked"}[h.bus.Marked]] = true
			rings[h.bus.RingSize] = true
		case h.seq.Multi:
			shapes["multi"] = true
			rings[h.seq.RingSize] = true
		default:
			shapes["single"] = true
		}
		if again := draw(1, i, nil); fmt.Sprint(again.seq, again.bus) != fmt.Sprint(h.seq, h.bus) {
			t.Fatalf("history %d drawn differently from the same seed", i)
		}
	}
	if len(shapes) != 4 || len(rings) < 4 {
		t.Errorf("shapes %v, rings %v", shapes, rings)
	}
}
