package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
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
	})
	for _, want := range []string{"ARCH", "amd64", "3/3", "4/4 (12/12 runs)", "skipped: no emulator"} {
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
}
