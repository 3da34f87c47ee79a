package main

import (
	"bytes"
	"os"
	"runtime/metrics"
	"strconv"
)

// rss returns the resident memory of this process in bytes: the second
// field of /proc/self/statm, in pages. Where that file cannot be read (on
// systems other than Linux), it returns the memory the Go runtime has
// mapped from the operating system, which bounds the resident memory of a
// program such as this one from above.
func rss() int64 {
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if n, ok := parseStatm(b); ok {
			return n * int64(os.Getpagesize())
		}
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// parseStatm returns the resident pages in the contents of
// /proc/[pid]/statm: "size resident shared text lib data dt", in pages.
func parseStatm(b []byte) (pages int64, ok bool) {
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
