package bus

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

type pair struct {
	P int32
	N int64
}

type label string

func (n label) String() string { return "label:" + string(n) }

// TestFormatMatchesFmt checks format against fmt.Sprintf for the verbs and
// argument types the package's messages and panic reports use.
func TestFormatMatchesFmt(t *testing.T) {
	x := 7
	for _, tc := range []struct {
		f    string
		args []any
	}{
		{"Publish(%d, %d): sequence %d is already published", []any{int64(3), int64(-1), 5}},
		{"pad size %d bytes is not one of %v", []any{96, ValidPads()}},
		{"wait strategy %q is not one of %v", []any{WaitKind("snooze"), WaitKinds()}},
		{"%s(nil)", []any{"WithPin"}},
		{"%s: %v", []any{"WithSize", errors.New("ring size 3 is not a power of two")}},
		{"panic: %v", []any{pair{P: 1, N: -2}}},
		{"panic: %v", []any{[]pair{{1, 2}, {3, 4}}}},
		{"panic: %v", []any{label("x")}},
		{"panic: %v", []any{3.5}},
		{"panic: %v", []any{true}},
		{"panic: %v", []any{nil}},
		{"panic: %v", []any{&x}},
		{"panic: %v", []any{uint8(200)}},
		{"100%% of %d", []any{4}},
		{"%q", []any{"a\"b\n"}},
	} {
		want := fmt.Sprintf(tc.f, tc.args...)
		if got := format(tc.f, tc.args...); got != want {
			t.Errorf("format(%q, %v) = %q, fmt says %q", tc.f, tc.args, got, want)
		}
	}
	if got := format("%d and %d", 1); !strings.Contains(got, "MISSING") {
		t.Errorf("a missing argument gives %q", got)
	}
}

func TestErrorfWrapsErrInvalid(t *testing.T) {
	err := errorf("claim of %d slots", 0)
	if !errors.Is(err, ErrInvalid) || err.Error() != "bus: invalid argument: claim of 0 slots" {
		t.Fatalf("errorf = %v", err)
	}
	inner := errorf("wait_strategy %q", WaitKind("x"))
	_, err = New[int](WithLayout(Layout{PadBytes: 64, RingSize: 8, Wait: "x"}))
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), inner.Error()[len("bus: invalid argument: "):]) {
		t.Fatalf("WithLayout error = %v", err)
	}
}

func TestStackIsThisGoroutines(t *testing.T) {
	s := string(stack())
	if !strings.HasPrefix(s, "goroutine ") || !strings.Contains(s, "TestStackIsThisGoroutines") {
		t.Fatalf("stack() = %.200s", s)
	}
}
