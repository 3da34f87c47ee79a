package probe

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// MaxCPU is the largest CPU number a CPUSet holds. It is far above the
// kernel's largest NR_CPUS (8192) and stops a hostile list such as
// "0-4294967295" from allocating a huge set.
const MaxCPU = 1<<16 - 1

// CPUSet is an immutable set of CPU numbers. Its zero value is the empty set
// and is ready to use. No method modifies a set, so sets may be shared
// between goroutines.
//
// Its text form is the kernel's cpu list, as in
// /sys/devices/system/cpu/online and Cpus_allowed_list: ascending single
// CPUs and ranges separated by commas, "0-3,8-11". CPUs always come out in
// numeric order.
type CPUSet struct {
	words []uint64 // bit c%64 of words[c/64] is CPU c; no trailing zero words
}

// NewCPUSet returns the set of the given CPUs; duplicates are allowed. It
// panics if a CPU is negative or above MaxCPU.
func NewCPUSet(cpus ...int) CPUSet {
	var w []uint64
	for _, c := range cpus {
		if c < 0 || c > MaxCPU {
			panic(fmt.Sprintf("probe: cpu %d out of range 0-%d", c, MaxCPU))
		}
		w = setBits(w, c, c)
	}
	return CPUSet{words: trimWords(w)}
}

// ParseCPUSet parses a kernel cpu list such as "0-3,8-11" or "0,2,4". Spaces
// and a trailing newline are ignored and an empty list is the empty set.
// Ranges may overlap and come in any order. Errors wrap ErrMalformed and
// quote the offending part.
func ParseCPUSet(list string) (CPUSet, error) {
	list = strings.TrimSpace(list)
	if list == "" {
		return CPUSet{}, nil
	}
	var w []uint64
	for _, part := range strings.Split(list, ",") {
		part = strings.TrimSpace(part)
		lo, hi, err := parseCPURange(part)
		if err != nil {
			return CPUSet{}, fmt.Errorf("%w: cpu list %q: %v", ErrMalformed, list, err)
		}
		w = setBits(w, lo, hi)
	}
	return CPUSet{words: trimWords(w)}, nil
}

// MustParseCPUSet is like ParseCPUSet but panics on error. It is for
// constants in tests and examples.
func MustParseCPUSet(list string) CPUSet {
	s, err := ParseCPUSet(list)
	if err != nil {
		panic(err)
	}
	return s
}

func parseCPURange(part string) (lo, hi int, err error) {
	if part == "" {
		return 0, 0, fmt.Errorf("empty element")
	}
	a, b, isRange := strings.Cut(part, "-")
	if lo, err = parseCPUNumber(a); err != nil {
		return 0, 0, err
	}
	if !isRange {
		return lo, lo, nil
	}
	if hi, err = parseCPUNumber(b); err != nil {
		return 0, 0, err
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("range %q runs backwards", part)
	}
	return lo, hi, nil
}

func parseCPUNumber(s string) (int, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a cpu number", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > MaxCPU {
		return 0, fmt.Errorf("cpu %q is above the limit of %d", s, MaxCPU)
	}
	return n, nil
}

func setBits(w []uint64, lo, hi int) []uint64 {
	for len(w) <= hi/64 {
		w = append(w, 0)
	}
	for c := lo; c <= hi; c++ {
		w[c/64] |= 1 << (c % 64)
	}
	return w
}

func trimWords(w []uint64) []uint64 {
	for len(w) > 0 && w[len(w)-1] == 0 {
		w = w[:len(w)-1]
	}
	if len(w) == 0 {
		return nil
	}
	return w
}

// Contains reports whether cpu is in s. A negative cpu is never in s.
func (s CPUSet) Contains(cpu int) bool {
	return cpu >= 0 && cpu/64 < len(s.words) && s.words[cpu/64]&(1<<(cpu%64)) != 0
}

// Len returns the number of CPUs in s.
func (s CPUSet) Len() int {
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return n
}

// IsEmpty reports whether s has no CPUs.
func (s CPUSet) IsEmpty() bool { return len(s.words) == 0 }

// CPUs returns the CPUs of s in ascending order.
func (s CPUSet) CPUs() []int {
	out := make([]int, 0, s.Len())
	for i, w := range s.words {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, i*64+b)
			w &^= 1 << b
		}
	}
	return out
}

// First returns the lowest CPU in s, or -1 if s is empty.
func (s CPUSet) First() int {
	for i, w := range s.words {
		if w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// Equal reports whether s and t hold the same CPUs.
func (s CPUSet) Equal(t CPUSet) bool {
	if len(s.words) != len(t.words) {
		return false
	}
	for i := range s.words {
		if s.words[i] != t.words[i] {
			return false
		}
	}
	return true
}

// Union returns the CPUs in s or t.
func (s CPUSet) Union(t CPUSet) CPUSet {
	a, b := s.words, t.words
	if len(a) < len(b) {
		a, b = b, a
	}
	w := append([]uint64(nil), a...)
	for i := range b {
		w[i] |= b[i]
	}
	return CPUSet{words: trimWords(w)}
}

// Intersect returns the CPUs in both s and t.
func (s CPUSet) Intersect(t CPUSet) CPUSet {
	n := min(len(s.words), len(t.words))
	w := make([]uint64, n)
	for i := range n {
		w[i] = s.words[i] & t.words[i]
	}
	return CPUSet{words: trimWords(w)}
}

// Difference returns the CPUs in s that are not in t.
func (s CPUSet) Difference(t CPUSet) CPUSet {
	w := append([]uint64(nil), s.words...)
	for i := range w {
		if i < len(t.words) {
			w[i] &^= t.words[i]
		}
	}
	return CPUSet{words: trimWords(w)}
}

// String returns s as a kernel cpu list, "0-3,8-11", or "" when s is empty.
func (s CPUSet) String() string {
	var b strings.Builder
	cpus := s.CPUs()
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(cpus[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(cpus[j]))
		}
		i = j + 1
	}
	return b.String()
}

// MarshalText encodes s as a kernel cpu list, so that JSON shows "0-3".
func (s CPUSet) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a kernel cpu list into s.
func (s *CPUSet) UnmarshalText(text []byte) error {
	t, err := ParseCPUSet(string(text))
	if err != nil {
		return err
	}
	*s = t
	return nil
}
