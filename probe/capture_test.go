package probe

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCaptureRoundTrip captures a testdata tree and checks that the copy
// reads back to the same snapshot.
func TestCaptureRoundTrip(t *testing.T) {
	for _, tree := range []string{"server-2s-smt2", "container-1.5cpu"} {
		src, err := NewFS(filepath.Join("testdata", tree))
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(t.TempDir(), "c")
		files, err := Capture(src, dst)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(files, "sys/devices/system/cpu/online") || !slices.Contains(files, "proc/self/status") {
			t.Errorf("%s: captured %v, missing online or status", tree, files)
		}
		a, _ := src.Read()
		c, err := NewFS(dst)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := c.Read()
		a.Root, b.Root = "", ""
		if ja, jb := mustJSON(t, a), mustJSON(t, b); ja != jb {
			t.Errorf("%s: capture reads back differently:\n%s\n---\n%s", tree, ja, jb)
		}
	}
}

func TestCaptureRefusesNonEmpty(t *testing.T) {
	dst := t.TempDir()
	os.WriteFile(filepath.Join(dst, "x"), nil, 0o644)
	src, _ := NewFS(filepath.Join("testdata", "server-2s-smt2"))
	if _, err := Capture(src, dst); err == nil {
		t.Error("Capture into a non-empty directory succeeded")
	}
}

func TestAllowedLines(t *testing.T) {
	in := "Name:\tbusprobe\nUid:\t0\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\nVmRSS:\t1 kB\n"
	if got := string(allowedLines([]byte(in))); got != "Cpus_allowed:\t3\nCpus_allowed_list:\t0-1\n" {
		t.Errorf("allowedLines = %q", got)
	}
}
