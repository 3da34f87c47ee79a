package affinity

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	tests := []struct {
		in   string
		cpus []int
		out  string
	}{
		{"", nil, ""},
		{"\n", nil, ""},
		{"0", []int{0}, "0"},
		{"0-3\n", []int{0, 1, 2, 3}, "0-3"},
		{" \t0-3 \n", []int{0, 1, 2, 3}, "0-3"},
		{"0-3,8-11", []int{0, 1, 2, 3, 8, 9, 10, 11}, "0-3,8-11"},
		{"8-11,0-3", []int{0, 1, 2, 3, 8, 9, 10, 11}, "0-3,8-11"},
		{"0,1", []int{0, 1}, "0-1"},
		{"0,2,4,6", []int{0, 2, 4, 6}, "0,2,4,6"},
		{"0-2,1-4", []int{0, 1, 2, 3, 4}, "0-4"},
		{"3-5,4-7", []int{3, 4, 5, 6, 7}, "3-7"},
		{"2,10,11,1", []int{1, 2, 10, 11}, "1-2,10-11"},
		{"5-5", []int{5}, "5"},
		{"007", []int{7}, "7"},
		{"63-65", []int{63, 64, 65}, "63-65"},
		{"64-127", seq(64, 127), "64-127"},
		{"1-190", seq(1, 190), "1-190"},
		{"60-70,0", append([]int{0}, seq(60, 70)...), "0,60-70"},
		{"4096", []int{4096}, "4096"},
		{"65535", []int{65535}, "65535"},
	}
	for _, tc := range tests {
		s, err := ParseCPUList(tc.in)
		if err != nil {
			t.Errorf("ParseCPUList(%q): %v", tc.in, err)
			continue
		}
		if got := s.CPUs(); !slices.Equal(got, tc.cpus) && !(len(got) == 0 && len(tc.cpus) == 0) {
			t.Errorf("ParseCPUList(%q).CPUs() = %v, want %v", tc.in, got, tc.cpus)
		}
		if got := s.String(); got != tc.out {
			t.Errorf("ParseCPUList(%q).String() = %q, want %q", tc.in, got, tc.out)
		}
		if s.Len() != len(tc.cpus) {
			t.Errorf("ParseCPUList(%q).Len() = %d, want %d", tc.in, s.Len(), len(tc.cpus))
		}
	}
}

// seq returns lo, lo+1, ..., hi.
func seq(lo, hi int) []int {
	var out []int
	for c := lo; c <= hi; c++ {
		out = append(out, c)
	}
	return out
}

func TestParseCPUListWide(t *testing.T) {
	s, err := ParseCPUList("0-65535")
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != MaxCPU+1 || s.String() != "0-65535" {
		t.Errorf("0-65535: Len %d, String %q", s.Len(), s)
	}
}

// TestParseCPUListHuge parses lists of a MiB, the size of a hostile sysfs
// file, and checks what they give; BenchmarkParseCPUList times them.
func TestParseCPUListHuge(t *testing.T) {
	for _, tc := range []struct {
		name, list string
		want       CPUSet
	}{
		{"ranges", hugeList("0-65535"), NewCPUSet(seq(0, MaxCPU)...)},
		{"singles", hugeList(singles(0, 999)), NewCPUSet(seq(0, 999)...)},
		{"odd ranges", hugeList("1-62,65-126,129-190"), MustParseCPUList("1-62,65-126,129-190")},
	} {
		s, err := ParseCPUList(tc.list)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !s.Equal(tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, s, tc.want)
		}
		_, err = ParseCPUList(tc.list + ",x")
		if !errors.Is(err, ErrBadCPUList) || len(err.Error()) > 200 {
			t.Errorf("%s with a bad last element: error %.300q (%d bytes)", tc.name, err, len(err.Error()))
		}
	}
}

// hugeList repeats list, comma-separated, to about 1 MiB.
func hugeList(list string) string {
	n := (1<<20)/(len(list)+1) + 1
	return strings.TrimSuffix(strings.Repeat(list+",", n), ",")
}

// singles returns "lo,lo+1,...,hi".
func singles(lo, hi int) string {
	var b strings.Builder
	for c := lo; c <= hi; c++ {
		if c > lo {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(c))
	}
	return b.String()
}

func TestParseCPUListErrors(t *testing.T) {
	for _, in := range []string{
		",", "0,", ",0", "0,,1", "-", "1-", "-1", "3-1", "a", "0-a", "1-2-3",
		"+1", "1 ,2", "1, 2", " 1 , 3 ", "1 2", "0x1", "1.0", "1:2", "65536", "0-65536",
		"0-4294967296", "99999999999999999999", "0-15:2/4", "１",
	} {
		s, err := ParseCPUList(in)
		if !errors.Is(err, ErrBadCPUList) {
			t.Errorf("ParseCPUList(%q) = %v, %v; want an error wrapping ErrBadCPUList", in, s, err)
		}
	}
}

// TestParseCPUListErrorText checks that an error names the element that
// is wrong, by position and text, and quotes no more than a few dozen
// bytes of anything.
func TestParseCPUListErrorText(t *testing.T) {
	zeros := strings.Repeat("0", 100)
	long := zeros + "65536"
	for _, tc := range []struct{ in, want string }{
		{"0-3,", `affinity: bad cpu list "0-3,": element 2 is empty`},
		{"0-3,x", `affinity: bad cpu list "0-3,x": element 2 "x": "x" is not a cpu number`},
		{"1-", `affinity: bad cpu list "1-": element 1 "1-": missing cpu number`},
		{"0,3-1", `affinity: bad cpu list "0,3-1": element 2 "3-1": range ends before it starts`},
		{"0-65536", `affinity: bad cpu list "0-65536": element 1 "0-65536": cpu "65536" is above the limit 65535`},
		{"1," + long, `affinity: bad cpu list "1,` + zeros[:38] + `"... (107 bytes): element 2 "` + zeros[:40] + `"... (105 bytes): cpu "` + zeros[:40] + `"... (105 bytes) is above the limit 65535`},
	} {
		_, err := ParseCPUList(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseCPUList(%q) error\n %v\nwant\n %s", tc.in, err, tc.want)
		}
	}
}

func TestMustParseCPUList(t *testing.T) {
	if got := MustParseCPUList("1-3,70"); !got.Equal(NewCPUSet(1, 2, 3, 70)) {
		t.Errorf("MustParseCPUList(1-3,70) = %v", got)
	}
	defer func() {
		r := recover()
		if err, ok := r.(error); !ok || !errors.Is(err, ErrBadCPUList) {
			t.Errorf("MustParseCPUList(x) panicked with %v, want an error wrapping ErrBadCPUList", r)
		}
	}()
	MustParseCPUList("x")
}

func TestCPUSetOps(t *testing.T) {
	var zero CPUSet
	if !zero.IsEmpty() || zero.Len() != 0 || zero.String() != "" || zero.Contains(0) || len(zero.CPUs()) != 0 {
		t.Errorf("zero CPUSet is not empty: %v", zero)
	}
	a := NewCPUSet(3, 1, 2, 70, 1)
	b := NewCPUSet(2, 3)
	if got := a.String(); got != "1-3,70" {
		t.Errorf("String = %q", got)
	}
	if !a.Contains(70) || a.Contains(69) || a.Contains(-1) || a.Contains(1000) {
		t.Errorf("Contains wrong for %v", a)
	}
	if !b.SubsetOf(a) || a.SubsetOf(b) || !zero.SubsetOf(b) || b.SubsetOf(zero) {
		t.Error("SubsetOf wrong")
	}
	if got := a.Difference(b); !got.Equal(NewCPUSet(1, 70)) {
		t.Errorf("Difference = %v", got)
	}
	if got := a.Difference(NewCPUSet(70)); got.String() != "1-3" || !got.Equal(NewCPUSet(1, 2, 3)) {
		t.Errorf("Difference trims: %v", got)
	}
	if got := b.Union(NewCPUSet(128)); got.String() != "2-3,128" {
		t.Errorf("Union = %v", got)
	}
	if !NewCPUSet().Equal(zero) || NewCPUSet(0).Equal(zero) {
		t.Error("Equal wrong for the empty set")
	}
	if MustParseCPUList("1-3").Equal(MustParseCPUList("1-3,64")) {
		t.Error("sets of different length compare equal")
	}
	for _, bad := range []int{-1, MaxCPU + 1} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("NewCPUSet(%d) did not panic", bad)
				}
			}()
			NewCPUSet(bad)
		}()
	}
}

func TestCPUSetAlgebra(t *testing.T) {
	a := MustParseCPUList("0-7")
	b := MustParseCPUList("4-11,70")
	for _, tc := range []struct {
		name string
		got  CPUSet
		want string
	}{
		{"Union", a.Union(b), "0-11,70"},
		{"Intersect", a.Intersect(b), "4-7"},
		{"Intersect back", b.Intersect(a), "4-7"},
		{"Intersect trims", b.Intersect(MustParseCPUList("8,100")), "8"},
		{"Intersect disjoint", a.Intersect(NewCPUSet(70)), ""},
		{"Intersect empty", a.Intersect(CPUSet{}), ""},
		{"Difference", a.Difference(b), "0-3"},
		{"Difference back", b.Difference(a), "8-11,70"},
		{"Difference all", a.Difference(a), ""},
	} {
		if tc.got.String() != tc.want || !tc.got.Equal(MustParseCPUList(tc.want)) {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
		if tc.want == "" && !tc.got.IsEmpty() {
			t.Errorf("%s is not IsEmpty", tc.name)
		}
	}
}

func TestCPUSetJSON(t *testing.T) {
	in := struct{ S CPUSet }{NewCPUSet(0, 1, 2, 8)}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != `{"S":"0-2,8"}` {
		t.Errorf("Marshal = %s", data)
	}
	var out struct{ S CPUSet }
	if err := json.Unmarshal(data, &out); err != nil || !out.S.Equal(in.S) {
		t.Errorf("Unmarshal = %v, %v", out.S, err)
	}
	if err := json.Unmarshal([]byte(`{"S":"1-"}`), &out); !errors.Is(err, ErrBadCPUList) {
		t.Errorf("Unmarshal of a bad list: %v", err)
	}
}

// FuzzParseCPUList checks that ParseCPUList never panics, that its errors
// wrap ErrBadCPUList and stay short, that whatever parses prints in
// canonical form, ascending, and parses back to the same set, and that on
// short inputs it agrees with naiveParse.
func FuzzParseCPUList(f *testing.F) {
	for _, seed := range []string{
		"", "0", "0-3,8-11", "8-11,0-3", "1,1,1", "0-65535", "63-64", "64-127", "1-190",
		"3-1", "1-", ",", "0-15:2/4", " 0-1\n", "0,2,4,6", "65536", "007", "+1", "1 ,2",
		strings.Repeat("\xe6", 50),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseCPUList(in)
		if len(in) <= naiveMaxLen {
			want, ok := naiveParse(in)
			if ok != (err == nil) {
				t.Fatalf("ParseCPUList(%q) error %v, naive parser ok %v", in, err, ok)
			}
			if ok && !slices.Equal(s.CPUs(), want) {
				t.Fatalf("ParseCPUList(%q) = %q, naive parser %v", in, s, want)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrBadCPUList) {
				t.Fatalf("ParseCPUList(%q): error %v does not wrap ErrBadCPUList", in, err)
			}
			if len(err.Error()) > maxErrLen {
				t.Fatalf("ParseCPUList(%q): error of %d bytes", in, len(err.Error()))
			}
			return
		}
		cpus := s.CPUs()
		if !slices.IsSorted(cpus) || len(slices.Compact(slices.Clone(cpus))) != len(cpus) {
			t.Fatalf("ParseCPUList(%q).CPUs() = %v, not strictly ascending", in, cpus)
		}
		if len(cpus) != s.Len() {
			t.Fatalf("Len %d, CPUs %d", s.Len(), len(cpus))
		}
		text := s.String()
		back, err := ParseCPUList(text)
		if err != nil {
			t.Fatalf("ParseCPUList(%q) printed %q which does not parse: %v", in, text, err)
		}
		if !back.Equal(s) || back.String() != text {
			t.Fatalf("round trip of %q: %q became %q", in, text, back)
		}
		if !NewCPUSet(cpus...).Equal(s) {
			t.Fatalf("NewCPUSet(CPUs()) differs from %q", text)
		}
	})
}

// maxErrLen bounds the text of a ParseCPUList error whatever the input:
// three quotes of at most 40 bytes, each byte escaped to at most four
// characters, and the words around them.
const maxErrLen = 3*(4*40+20) + 100

// naiveMaxLen bounds the inputs FuzzParseCPUList gives naiveParse, which
// may touch MaxCPU entries per element.
const naiveMaxLen = 32

// naiveParse is the reference for ParseCPUList: it splits with the
// standard library, parses numbers with strconv and sets one CPU at a
// time. It returns the CPUs in ascending order and whether list is valid.
func naiveParse(list string) ([]int, bool) {
	list = strings.TrimSpace(list)
	if list == "" {
		return nil, true
	}
	in := make([]bool, MaxCPU+1)
	for _, part := range strings.Split(list, ",") {
		a, b, isRange := strings.Cut(part, "-")
		if !isRange {
			b = a
		}
		lo, err1 := strconv.ParseUint(a, 10, 64)
		hi, err2 := strconv.ParseUint(b, 10, 64)
		if err1 != nil || err2 != nil || lo > MaxCPU || hi > MaxCPU || hi < lo {
			return nil, false
		}
		for c := lo; c <= hi; c++ {
			in[c] = true
		}
	}
	var cpus []int
	for c, ok := range in {
		if ok {
			cpus = append(cpus, c)
		}
	}
	return cpus, true
}
