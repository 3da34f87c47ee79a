package probe

import (
	"errors"
	"slices"
	"testing"
)

func TestParseCPUSet(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		str  string
	}{
		{"", []int{}, ""},
		{"\n", []int{}, ""},
		{"0", []int{0}, "0"},
		{"0-3\n", []int{0, 1, 2, 3}, "0-3"},
		{"0-3,8-11", []int{0, 1, 2, 3, 8, 9, 10, 11}, "0-3,8-11"},
		{"10,2,1", []int{1, 2, 10}, "1-2,10"},
		{"0,2,4,6", []int{0, 2, 4, 6}, "0,2,4,6"},
		{"3-5,4-7", []int{3, 4, 5, 6, 7}, "3-7"},
		{" 1 , 3 ", []int{1, 3}, "1,3"},
		{"63-65", []int{63, 64, 65}, "63-65"},
		{"65535", []int{65535}, "65535"},
		{"007", []int{7}, "7"},
	}
	for _, tt := range tests {
		s, err := ParseCPUSet(tt.in)
		if err != nil {
			t.Errorf("ParseCPUSet(%q): %v", tt.in, err)
			continue
		}
		if got := s.CPUs(); !slices.Equal(got, tt.want) {
			t.Errorf("ParseCPUSet(%q).CPUs() = %v, want %v", tt.in, got, tt.want)
		}
		if got := s.String(); got != tt.str {
			t.Errorf("ParseCPUSet(%q).String() = %q, want %q", tt.in, got, tt.str)
		}
		if s.Len() != len(tt.want) {
			t.Errorf("ParseCPUSet(%q).Len() = %d, want %d", tt.in, s.Len(), len(tt.want))
		}
	}
}

func TestParseCPUSetErrors(t *testing.T) {
	for _, in := range []string{
		"a", "1-", "-1", "3-1", "1,,2", ",", "1-2-3", "0x3", "65536", "0-4294967296", "1 2", "+1", "1:2",
	} {
		_, err := ParseCPUSet(in)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseCPUSet(%q) error = %v, want ErrMalformed", in, err)
		}
	}
}

func TestCPUSetOps(t *testing.T) {
	a := MustParseCPUSet("0-7")
	b := MustParseCPUSet("4-11,70")
	check := func(name string, got CPUSet, want string) {
		t.Helper()
		if got.String() != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	check("Union", a.Union(b), "0-11,70")
	check("Intersect", a.Intersect(b), "4-7")
	check("Difference", a.Difference(b), "0-3")
	check("Difference back", b.Difference(a), "8-11,70")
	check("Intersect disjoint", a.Intersect(NewCPUSet(70)), "")
	if !a.Intersect(NewCPUSet(70)).IsEmpty() {
		t.Error("disjoint intersection is not empty")
	}
	if !b.Contains(70) || b.Contains(69) || b.Contains(-1) || b.Contains(1000) {
		t.Error("Contains is wrong")
	}
	if b.First() != 4 || (CPUSet{}).First() != -1 {
		t.Errorf("First = %d, %d", b.First(), (CPUSet{}).First())
	}
	if !NewCPUSet(3, 1, 2, 1).Equal(MustParseCPUSet("1-3")) {
		t.Error("NewCPUSet(3,1,2,1) != 1-3")
	}
	if MustParseCPUSet("1-3").Equal(MustParseCPUSet("1-3,64")) {
		t.Error("sets of different length compare equal")
	}
	var u CPUSet
	if err := u.UnmarshalText([]byte("2-4")); err != nil || u.String() != "2-4" {
		t.Errorf("UnmarshalText = %v, %q", err, u)
	}
	if err := u.UnmarshalText([]byte("x")); err == nil {
		t.Error("UnmarshalText(x) succeeded")
	}
}

func FuzzParseCPUSet(f *testing.F) {
	for _, seed := range []string{"", "0", "0-3,8-11", "1,3,5", "0-65535", "65536", "3-1", "1,,2", " 7 ", "0-1\n", "a-b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseCPUSet(in)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseCPUSet(%q) error %v does not wrap ErrMalformed", in, err)
			}
			return
		}
		cpus := s.CPUs()
		if !slices.IsSorted(cpus) {
			t.Fatalf("CPUs() of %q not sorted: %v", in, cpus)
		}
		back, err := ParseCPUSet(s.String())
		if err != nil {
			t.Fatalf("String() of %q = %q does not parse: %v", in, s.String(), err)
		}
		if !back.Equal(s) {
			t.Fatalf("round trip of %q: %q != %q", in, back, s)
		}
		if !NewCPUSet(cpus...).Equal(s) {
			t.Fatalf("NewCPUSet(CPUs()) of %q differs", in)
		}
	})
}
