package bus_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/eventbus/eventbus/bus"
)

func TestNewRingRejectsBadSizes(t *testing.T) {
	type badSize struct {
		size, pad int
		want      string
	}
	cases := []badSize{
		{0, 64, "ring size 0 must be positive"},
		{-8, 64, "ring size -8 must be positive"},
		{3, 64, "ring size 3 is not a power of two"},
		{1000, 64, "ring size 1000 is not a power of two"},
		{8, 48, "pad size 48 bytes is not one of"},
	}
	if strconv.IntSize == 64 {
		shift := 31 // a variable, so the test still compiles where int is 32 bits
		cases = append(cases, badSize{1 << shift, 64, "exceeds the limit"})
	}
	for _, tc := range cases {
		_, err := bus.NewRing[int64](tc.size, tc.pad)
		if err == nil || !errors.Is(err, bus.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewRing(%d, %d) = %v, want an ErrInvalid naming %q", tc.size, tc.pad, err, tc.want)
		}
	}
}

func TestRingSlotsWrap(t *testing.T) {
	r, err := bus.NewRing[int64](4, 64)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != 4 {
		t.Fatalf("Size() = %d, want 4", r.Size())
	}
	for seq := int64(0); seq < 4; seq++ {
		*r.Get(seq) = seq
	}
	for seq := int64(4); seq < 12; seq++ {
		if r.Get(seq) != r.Get(seq-4) {
			t.Fatalf("Get(%d) and Get(%d) are different slots in a ring of 4", seq, seq-4)
		}
		if got := *r.Get(seq); got != seq%4 {
			t.Fatalf("Get(%d) holds %d, want %d", seq, got, seq%4)
		}
	}
	n := 0
	r.Fill(func(v *int64) { *v = 7; n++ })
	if n != 4 || *r.Get(2) != 7 {
		t.Fatalf("Fill visited %d slots, slot 2 = %d", n, *r.Get(2))
	}
}

func TestRingGetDoesNotAllocate(t *testing.T) {
	r, _ := bus.NewRing[[4]int64](1024, 128)
	if a := testing.AllocsPerRun(100, func() {
		for s := int64(0); s < 2048; s++ {
			r.Get(s)[0] = s
		}
	}); a != 0 {
		t.Fatalf("Get allocated %v times per run", a)
	}
}
