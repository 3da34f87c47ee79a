package affinity

import (
	"encoding/json"
	"errors"
	"slices"
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
		{"0-3,8-11", []int{0, 1, 2, 3, 8, 9, 10, 11}, "0-3,8-11"},
		{"8-11,0-3", []int{0, 1, 2, 3, 8, 9, 10, 11}, "0-3,8-11"},
		{"0,1", []int{0, 1}, "0-1"},
		{"0-2,1-4", []int{0, 1, 2, 3, 4}, "0-4"},
		{"2,10,11,1", []int{1, 2, 10, 11}, "1-2,10-11"},
		{"5-5", []int{5}, "5"},
		{"007", []int{7}, "7"},
		{"63-65", []int{63, 64, 65}, "63-65"},
		{"4096", []int{4096}, "4096"},
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

func TestParseCPUListWide(t *testing.T) {
	s, err := ParseCPUList("0-65535")
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != MaxCPU+1 || s.String() != "0-65535" {
		t.Errorf("0-65535: Len %d, String %q", s.Len(), s)
	}
}

func TestParseCPUListErrors(t *testing.T) {
	for _, in := range []string{
		",", "0,", ",0", "0,,1", "-", "1-", "-1", "3-1", "a", "0-a", "1-2-3",
		"+1", "1 ,2", "1, 2", "0x1", "1.0", "65536", "0-65536", "99999999999999999999",
		"0-15:2/4", "１",
	} {
		s, err := ParseCPUList(in)
		if !errors.Is(err, ErrBadCPUList) {
			t.Errorf("ParseCPUList(%q) = %v, %v; want an error wrapping ErrBadCPUList", in, s, err)
		}
	}
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

// FuzzParseCPUList checks that whatever parses prints in canonical form,
// ascending, and parses back to the same set.
func FuzzParseCPUList(f *testing.F) {
	for _, seed := range []string{"", "0", "0-3,8-11", "8-11,0-3", "1,1,1", "0-65535", "63-64", "3-1", "1-", ",", "0-15:2/4", " 0-1\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseCPUList(in)
		if err != nil {
			if !errors.Is(err, ErrBadCPUList) {
				t.Fatalf("ParseCPUList(%q): error %v does not wrap ErrBadCPUList", in, err)
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
