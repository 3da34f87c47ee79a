package affinity

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// MaxCPU is the largest CPU number a CPUSet holds. It is eight times the
// kernel's largest NR_CPUS (8192, as x86-64 with MAXSMP builds it), so it
// covers every machine Linux runs on, and it bounds a set at 8 KiB, so a
// hostile cpu list such as "0-4294967295" cannot allocate a huge one.
const MaxCPU = 1<<16 - 1

// CPUSet is an immutable set of CPU numbers. Its zero value is the empty set
// and is ready to use. A CPUSet is a value: copies share storage, but no
// method modifies a set, so sharing is safe between goroutines.
//
// The text form is the kernel's cpu list, as in /proc/self/status
// (Cpus_allowed_list) and /sys/devices/system/cpu/online: ascending
// ranges and single CPUs separated by commas, "0-3,8-11". CPUs always come
// out in numeric order.
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
		w = setRange(w, c, c)
	}
	return CPUSet{words: trim(w)}
}

// setRange adds CPUs lo to hi (0 <= lo <= hi) to w, growing it as needed:
// a mask for the first and last word of the range, whole words between.
func setRange(w []uint64, lo, hi int) []uint64 {
	if n := hi/64 + 1; n > len(w) {
		w = append(w, make([]uint64, n-len(w))...)
	}
	first := ^uint64(0) << (lo % 64)   // bits lo%64 to 63
	last := ^uint64(0) >> (63 - hi%64) // bits 0 to hi%64
	if lo/64 == hi/64 {
		w[lo/64] |= first & last
		return w
	}
	w[lo/64] |= first
	copy(w[lo/64+1:hi/64], allOnes[:])
	w[hi/64] |= last
	return w
}

// allOnes is every word of the widest set, 0-MaxCPU. setRange fills the
// middle of a range by copying from it: one memmove, not a store per word.
var allOnes = func() (a [(MaxCPU + 1) / 64]uint64) {
	for i := range a {
		a[i] = ^uint64(0)
	}
	return a
}()

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

// Intersect returns the CPUs that are in both s and t.
func (s CPUSet) Intersect(t CPUSet) CPUSet {
	w := make([]uint64, min(len(s.words), len(t.words)))
	for i := range w {
		w[i] = s.words[i] & t.words[i]
	}
	return CPUSet{words: trim(w)}
}

// Difference returns the CPUs of s that are not in t.
func (s CPUSet) Difference(t CPUSet) CPUSet {
	w := make([]uint64, len(s.words))
	copy(w, s.words)
	for i := range min(len(w), len(t.words)) {
		w[i] &^= t.words[i]
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
// kernel writes it. Ranges may overlap and come in any order. CPU numbers
// are decimal and at most MaxCPU.
//
// The list is untrusted input: parsing takes time linear in its length (a
// range sets whole 64-bit words, not one CPU at a time) and memory bounded
// by MaxCPU. Errors wrap ErrBadCPUList and name the list, the element by
// its position and what is wrong with it, quoting at most a few dozen bytes
// of each. The kernel's stride form ("0-15:2/4") is not accepted: the
// kernel never prints it.
func ParseCPUList(list string) (CPUSet, error) {
	text := strings.TrimSpace(list)
	if text == "" {
		return CPUSet{}, nil
	}
	var w []uint64
	n := 0
	for part := range strings.SplitSeq(text, ",") {
		n++
		lo, hi, err := parseRange(part)
		if err != nil {
			return CPUSet{}, fmt.Errorf("%w %s: element %d %s", ErrBadCPUList, quote(list), n, err)
		}
		w = setRange(w, lo, hi)
	}
	return CPUSet{words: trim(w)}, nil
}

// MustParseCPUList is ParseCPUList for lists known to be good, as in tests
// and examples: it panics if list does not parse.
func MustParseCPUList(list string) CPUSet {
	s, err := ParseCPUList(list)
	if err != nil {
		panic(err)
	}
	return s
}

// parseRange parses one element of a cpu list, "N" or "N-M". Its error
// describes the element for ParseCPUList's message.
func parseRange(part string) (lo, hi int, err error) {
	if part == "" {
		return 0, 0, fmt.Errorf("is empty")
	}
	first, last, isRange := strings.Cut(part, "-")
	lo, err = parseCPU(first)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v", quote(part), err)
	}
	if !isRange {
		return lo, lo, nil
	}
	hi, err = parseCPU(last)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %v", quote(part), err)
	}
	if hi < lo {
		return 0, 0, fmt.Errorf("%s: range ends before it starts", quote(part))
	}
	return lo, hi, nil
}

// parseCPU parses a decimal CPU number of at most MaxCPU. Leading zeros are
// allowed; signs, spaces and other bases are not.
func parseCPU(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("missing cpu number")
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%s is not a cpu number", quote(s))
		}
		if n = n*10 + int(s[i]-'0'); n > MaxCPU {
			return 0, fmt.Errorf("cpu %s is above the limit %d", quote(s), MaxCPU)
		}
	}
	return n, nil
}

// quote quotes s for an error message, cutting it after 40 bytes so that a
// huge list does not make a huge message.
func quote(s string) string {
	const limit = 40
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:limit], len(s))
}
