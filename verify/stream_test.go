package verify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anishathalye/porcupine"
)

// claimOp is a successful Next(hi-lo+1) that returned lo..hi.
func claimOp(client uint16, call int64, lo, hi int64) cop {
	return cop{call: call, ret: call + 1, client: client, kind: Claim, n: uint16(hi - lo + 1), a: lo, b: hi}
}

// TestStreamViolation feeds three stretches of claims, the third with an
// overlap, and checks what a violation reports: the round, the replay,
// and a visualisation of the failing round with the two before it.
func TestStreamViolation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v.html")
	s := newStream(&History{RingSize: 64}, true, false, false, Options{HTML: path}, "replay: seed 7")
	stretches := [][]cop{
		{claimOp(0, 1, 0, 1), claimOp(1, 3, 2, 3)},
		{claimOp(0, 5, 4, 5)},
		{claimOp(0, 7, 6, 7), claimOp(1, 9, 7, 8)}, // 7 claimed twice
	}
	for _, ops := range stretches {
		if err := s.feed(context.Background(), ops); err != nil {
			t.Fatal(err)
		}
	}
	rs := s.finish(0, nil)
	if len(rs) != 3 || rs[0].Check != "claims" || rs[1].Check != "claims tiling" || rs[2].Check != "recorder" {
		t.Fatalf("results %v, want claims, claims tiling, recorder", rs)
	}
	c := rs[0]
	if c.Verdict != porcupine.Illegal || c.Rounds != 3 || c.Ops != 5 {
		t.Fatalf("claims: %v, want Illegal over 3 rounds of 5 ops", c)
	}
	for _, want := range []string{"round 2 (ops 3..4", "replay: seed 7", "rounds 0..2"} {
		if !strings.Contains(c.Detail, want) {
			t.Errorf("detail %q lacks %q", c.Detail, want)
		}
	}
	if c.HTML != path {
		t.Fatalf("visualisation in %q, want %q", c.HTML, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<html", "round 0", "round 2: not linearizable", "replay: seed 7"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("visualisation lacks %q", want)
		}
	}
	if rs[1].Verdict != porcupine.Illegal || !strings.Contains(rs[1].Detail, "overlap") {
		t.Errorf("tiling: %v, want an overlap", rs[1])
	}
	if rs[2].Verdict != porcupine.Ok || rs[2].Ops != 5 || rs[2].Rounds != 3 {
		t.Errorf("recorder: %v, want Ok with 5 ops in 3 rounds", rs[2])
	}
}

// TestStreamFirstViolation: when several rounds of a check are illegal,
// the earliest is reported, whichever worker finds it first.
func TestStreamFirstViolation(t *testing.T) {
	s := newStream(&History{RingSize: 64}, true, false, false, Options{Workers: 4}, "")
	next := int64(0)
	for i := range 40 {
		ops := []cop{claimOp(0, int64(4*i+1), next, next+1)}
		if i >= 10 {
			ops[0].a++ // a gap from round 10 on
		}
		next = ops[0].b + 1
		if err := s.feed(context.Background(), ops); err != nil {
			t.Fatal(err)
		}
	}
	rs := s.finish(0, nil)
	if rs[0].Verdict != porcupine.Illegal || !strings.HasPrefix(rs[0].Detail, "round 10 ") {
		t.Errorf("claims: %v, want round 10 reported", rs[0])
	}
}

// TestStreamCancel: a feed that cannot queue returns when its context
// ends.
func TestStreamCancel(t *testing.T) {
	s := newStream(&History{RingSize: 64}, true, false, false, Options{Workers: 1, Round: 1}, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ops []cop
	for i := range 100 {
		ops = append(ops, claimOp(0, int64(2*i+1), int64(i), int64(i)))
	}
	if err := s.feed(ctx, ops); err != context.Canceled {
		t.Errorf("feed = %v, want context.Canceled", err)
	}
	s.finish(0, nil)
}

func TestSeqSet(t *testing.T) {
	s := newSeqSet()
	add := func(lo, hi int64, want bool) {
		t.Helper()
		var ok bool
		if s, ok = s.add(lo, hi); ok != want {
			t.Fatalf("add(%d, %d) = %v, want %v (set %v)", lo, hi, ok, want, s)
		}
	}
	add(5, 6, true)
	add(900, 1000, true) // far beyond any 64-slot window
	add(2, 3, true)
	if got := s.String(); got != "..-1 2..3 5..6 900..1000" {
		t.Fatalf("set %s", got)
	}
	add(6, 7, false) // 6 is in
	add(0, 1, true)
	add(4, 4, true)
	if got := s.String(); got != "..6 900..1000" {
		t.Fatalf("set %s, want runs merged into the prefix", got)
	}
	if !s.has(950) || s.has(7) || s.highest(3) != 6 || s.highest(900) != 1000 || s.highest(8) != 7 {
		t.Errorf("has/highest wrong on %s", s)
	}
	// Runs merge in any order, and a set equal to another is ==.
	a, b := newSeqSet(), newSeqSet()
	a, _ = a.add(10, 10)
	a, _ = a.add(12, 12)
	a, _ = a.add(11, 11)
	b, _ = b.add(10, 12)
	if a != b || a.hash() != b.hash() {
		t.Errorf("%v != %v", a, b)
	}
	// More runs than producers is refused.
	c := newSeqSet()
	for i := range int64(maxSpans) {
		c, _ = c.add(10*i+5, 10*i+5)
	}
	if _, ok := c.add(1000, 1000); ok {
		t.Errorf("a run beyond %d accepted", maxSpans)
	}
}

func TestParseStatusMemory(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       Memory
		ok         bool
	}{
		{"linux", "Name:\tverify.test\nVmPeak:\t 1000 kB\nVmHWM:\t   24012 kB\nVmRSS:\t   20000 kB\n", Memory{RSS: 20000 << 10, Peak: 24012 << 10}, true},
		{"missing", "Name:\tx\nVmRSS:\t1 kB\n", Memory{}, false},
		{"units", "VmHWM:\t1 MB\nVmRSS:\t1 kB\n", Memory{}, false},
		{"number", "VmHWM:\tlots kB\nVmRSS:\t1 kB\n", Memory{}, false},
	} {
		got, err := parseStatusMemory([]byte(tc.text))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v, ok %v", tc.name, got, err, tc.want, tc.ok)
		}
	}
}
