package affinity

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// MaxCPU is the largest CPU number a CPUSet holds. It is well above the
// kernel's largest NR_CPUS (8192) and keeps a hostile cpu list such as
// "0-4294967295" from allocating a huge set.
const MaxCPU = 1<<16 - 1

// CPUSet is an immutable set of CPU numbers. Its zero value is the empty set
// and is ready to use. A CPUSet is a value: copies share storage, but no
// method modifies a set, so sharing is safe between goroutines.
//
// The text form is the kernel's cpu list, as in /proc/self/status
// (Cpus_allowed_list) and /sys/devices/system/cpu/online: ascending
// ranges and single CPUs separated by commas, "0-3,8-11".
type CPUSet struct {
	words []uint64 // bit c%64 of words[c/64] is CPU c; no trailing zero words
}

// NewCPUSet returns the set of the given CPUs. Duplicates are allowed.
// It panics if a CPU is negative or above MaxCPU.
func NewCPUSet(cpus ...int) CPUSet {
	var w []uint64
	for _, c := range cpus {
		if c < 0 || c > MaxCPU {
			panic(fmt.Sprintf("affinity: cpu %d out of range 0-%d", c, MaxCPU))
		}
		w = setBit(w, c)
	}
	return CPUSet{words: trim(w)}
}

func setBit(w []uint64, c int) []uint64 {
	for len(w) <= c/64 {
		w = append(w, 0)
	}
	w[c/64] |= 1 << (c % 64)
	return w
}

func trim(w []uint64) []uint64 {
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
	if cpu < 0 || cpu/64 >= len(s.words) {
		return false
	}
	return s.words[cpu/64]&(1<<(cpu%64)) != 0
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

// CPUs returns the CPUs of s in ascending numeric order. The slice is new
// on each call and belongs to the caller.
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

// SubsetOf reports whether every CPU of s is also in t. The empty set is a
// subset of every set.
func (s CPUSet) SubsetOf(t CPUSet) bool {
	for i, w := range s.words {
		var u uint64
		if i < len(t.words) {
			u = t.words[i]
		}
		if w&^u != 0 {
			return false
		}
	}
	return true
}

// Union returns the CPUs that are in s or t.
func (s CPUSet) Union(t CPUSet) CPUSet {
	a, b := s.words, t.words
	if len(a) < len(b) {
		a, b = b, a
	}
	w := make([]uint64, len(a))
	copy(w, a)
	for i, x := range b {
		w[i] |= x
	}
	return CPUSet{words: trim(w)}
}

// Difference returns the CPUs of s that are not in t.
func (s CPUSet) Difference(t CPUSet) CPUSet {
	w := make([]uint64, len(s.words))
	copy(w, s.words)
	for i := range w {
		if i < len(t.words) {
			w[i] &^= t.words[i]
		}
	}
	return CPUSet{words: trim(w)}
}

// String returns s as a kernel cpu list, "0-3,8-11": ranges of two or more
// consecutive CPUs as "first-last", others alone, ascending. The empty set
// is "".
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

// MarshalText encodes s as its kernel cpu list, so a CPUSet is a JSON string.
func (s CPUSet) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a kernel cpu list into s, as ParseCPUList does.
func (s *CPUSet) UnmarshalText(text []byte) error {
	t, err := ParseCPUList(string(text))
	if err != nil {
		return err
	}
	*s = t
	return nil
}

// ParseCPUList parses a kernel cpu list such as "0-3,8-11" or "5". Spaces
// and a newline around the whole list are ignored, so the content of a
// sysfs file can be passed as it is; an empty list is the empty set, as the
// kernel writes it. Ranges may overlap and come in any order. Errors wrap
// ErrBadCPUList and quote the list and the part that is wrong. The kernel's
// stride form ("0-15:2/4") is not accepted: the kernel never prints it.
func ParseCPUList(list string) (CPUSet, error) {
	text := strings.TrimSpace(list)
	if text == "" {
		return CPUSet{}, nil
	}
	var w []uint64
	for part := range strings.SplitSeq(text, ",") {
		lo, hi, err := parseRange(part)
		if err != nil {
			return CPUSet{}, fmt.Errorf("%w %q: %s", ErrBadCPUList, list, err)
		}
		w = setRange(w, lo, hi)
	}
	return CPUSet{words: trim(w)}, nil
}

func setRange(w []uint64, lo, hi int) []uint64 {
	for len(w) <= hi/64 {
		w = append(w, 0)
	}
	for c := lo; c <= hi; {
		if c%64 == 0 && c+63 <= hi {
			w[c/64] = ^uint64(0)
			c += 64
			continue
		}
		w[c/64] |= 1 << (c % 64)
		c++
	}
	return w
}

func parseRange(part string) (lo, hi int, err error) {
	first, last, isRange := strings.Cut(part, "-")
	lo, err = parseCPU(first)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: %v", part, err)
	}
	if !isRange {
		return lo, lo, nil
	}
	hi, err = parseCPU(last)
	if err != nil {
		return 0, 0, fmt.Errorf("%q: %v", part, err)
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("%q: range ends before it starts", part)
	}
	return lo, hi, nil
}

func parseCPU(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("missing cpu number")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a cpu number", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > MaxCPU {
		return 0, fmt.Errorf("cpu %s is above the limit %d", s, MaxCPU)
	}
	return n, nil
}
