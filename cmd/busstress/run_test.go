package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestRunShortDuration(t *testing.T) {
	var out, errb bytes.Buffer
	start := time.Now()
	if err := run([]string{"-duration", "1s", "-base", "1", "-v"}, &out, &errb); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("a 1s run took %v", el)
	}
	s := out.String()
	for _, want := range []string{"ok   seed=1 ", "busstress: ", " scenarios, ", " events moved (", "0 violations", "; seeds 1 to "} {
		if !strings.Contains(s, want) {
			t.Errorf("stdout lacks %q:\n%s", want, s)
		}
	}
	if !strings.Contains(errb.String(), "%") {
		t.Errorf("no progress bar on stderr: %q", errb.String())
	}
}

func TestRunReplaysASeed(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run([]string{"-seed", "42", "-repeat", "3", "-v", "-progress=false"}, &out, &errb); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	s := out.String()
	if n := strings.Count(s, "ok   seed=42 pool[pool*4 > handlers*1] producers=2(multi)"); n != 3 {
		t.Errorf("seed 42 ran %d times, want 3:\n%s", n, s)
	}
	if !strings.Contains(s, "busstress: 3 scenarios") || !strings.HasSuffix(s, "; seed 42\n") {
		t.Errorf("summary:\n%s", s)
	}
	if errb.Len() != 0 {
		t.Errorf("stderr with -progress=false: %q", errb.String())
	}
}

// TestRunFailsOnViolation: a stall time far below what a busy-spin
// scenario on one CPU needs (its spinners hand over in 10ms preemption
// slices) must fail the run with a progress violation, its seed and a
// non-nil error.
func TestRunFailsOnViolation(t *testing.T) {
	var out, errb bytes.Buffer
	err := run([]string{"-seed", "39", "-stall", "1ms", "-progress=false"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "1 of 1 scenarios broke an invariant") {
		t.Fatalf("run = %v, want a failure\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{"FAIL seed=39 ", `invariant "progress" violated`, "goroutine ", "replay: go run ./cmd/busstress -seed 39", "1 violations"} {
		if !strings.Contains(s, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-duration", "0s"}, "-duration 0s: must be positive"},
		{[]string{"-repeat", "0", "-seed", "1"}, "-repeat 0: must be at least 1"},
		{[]string{"-stall", "-1s"}, "-stall -1s: must be positive"},
		{[]string{"-duration", "soon"}, `invalid value "soon"`},
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
	} {
		var out, errb bytes.Buffer
		err := run(tc.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error()+errb.String(), tc.want) {
			t.Errorf("run(%q) = %v (stderr %q), want an error naming %q", tc.args, err, errb.String(), tc.want)
		}
	}
	var out, errb bytes.Buffer
	if err := run([]string{"-h"}, &out, &errb); err != flag.ErrHelp || !strings.Contains(errb.String(), "-duration") {
		t.Errorf("-h: %v, usage %q", err, errb.String())
	}
}
