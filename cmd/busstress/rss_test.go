package main

import "testing"

func TestParseStatm(t *testing.T) {
	for _, tc := range []struct {
		in    string
		pages int64
		ok    bool
	}{
		{"2816 1290 905 374 0 388 0\n", 1290, true},
		{"2816 0", 0, true},
		{"2816", 0, false},
		{"", 0, false},
		{"2816 -3 905", 0, false},
		{"2816 lots 905", 0, false},
	} {
		pages, ok := parseStatm([]byte(tc.in))
		if pages != tc.pages || ok != tc.ok {
			t.Errorf("parseStatm(%q) = %d, %v; want %d, %v", tc.in, pages, ok, tc.pages, tc.ok)
		}
	}
	if n := rss(); n <= 0 {
		t.Errorf("rss() = %d", n)
	}
}
