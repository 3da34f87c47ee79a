package bus

import (
	"errors"
	"runtime"
)

// maxPad is the largest pad size a bus accepts, in bytes. Struct fields that
// must be padded at compile time use it so that any runtime pad choice is
// covered.
const maxPad = 256

// DefaultPad returns the pad size, in bytes, that suits the GOARCH this
// package was built for: 128 on amd64 and arm64 (64-byte lines, but the
// adjacent-line prefetcher of x86 and the 128-byte lines of Apple and some
// Neoverse parts make neighbouring lines interfere), 128 on ppc64, 256 on
// s390x, and 64 elsewhere.
func DefaultPad() int {
	switch runtime.GOARCH {
	case "amd64", "arm64", "ppc64", "ppc64le":
		return 128
	case "s390x":
		return 256
	default:
		return 64
	}
}

// ValidPads lists the pad sizes a bus accepts. Zero packs sequence counters
// next to each other; it exists to measure false sharing, not to be used.
func ValidPads() []int { return []int{0, 64, 128, 256} }

func checkPad(pad int) error {
	for _, p := range ValidPads() {
		if p == pad {
			return nil
		}
	}
	return errors.New(format("pad size %d bytes is not one of %v", pad, ValidPads()))
}

func checkRingSize(size int) error {
	switch {
	case size <= 0:
		return errors.New(format("ring size %d must be positive", size))
	case size&(size-1) != 0:
		return errors.New(format("ring size %d is not a power of two", size))
	case size > 1<<30:
		return errors.New(format("ring size %d exceeds the limit of %d", size, 1<<30))
	}
	return nil
}
