//go:build unix

package main

import (
	"bytes"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer that the monitor may write while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunInterrupted sends SIGINT to the test process during an hour-long
// run: run must end within seconds, print the report of what ran, and
// return nil, since nothing failed.
func TestRunInterrupted(t *testing.T) {
	var out bytes.Buffer
	var errb lockedBuffer
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- run([]string{"-duration", "1h", "-base", "1", "-every", "100ms"}, &out, &errb) }()
	// The first progress line comes after the signal handler is in place.
	for !strings.Contains(errb.String(), "scenarios") {
		select {
		case err := <-done:
			t.Fatalf("run ended before the signal: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v after an interrupt with no violation", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("run did not end within a minute of SIGINT")
	}
	t.Logf("interrupted after %v", time.Since(start))
	s := out.String()
	for _, want := range []string{"busstress: ", " scenarios, ", "0 violations", "; seeds 1 to ", "busstress: interrupted\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("stdout lacks %q:\n%s", want, s)
		}
	}
}
