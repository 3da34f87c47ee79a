package bus

import (
	"strconv"
	"strings"
	"sync"
)

// A ring is allocated whole by New, so a ring larger than the memory the
// process may use is a fatal out-of-memory error, not an error New could
// return. New (and Layout.Validate, for a profile that names its event
// size) refuses a ring whose slots would take more than a limit: by
// default half the memory the process may use, which is its cgroup's
// memory.max where one is set, else the machine's total memory, read
// once. WithMaxRingBytes sets another limit for one bus.

var (
	memOnce  sync.Once
	memLimit int64
)

// MaxRingBytes returns the default limit on the bytes of a ring's slots:
// half the memory the process may use (its cgroup's memory.max, else the
// machine's total memory), read once. It returns 0, meaning no limit,
// where neither can be read.
func MaxRingBytes() int64 {
	memOnce.Do(func() { memLimit = processMemory() / 2 })
	return memLimit
}

// WithMaxRingBytes sets the most bytes a Bus's ring of events may take,
// in place of MaxRingBytes(): raise it for a ring meant to take most of
// the machine, lower it to keep a bus small. n must be positive.
func WithMaxRingBytes(n int64) Option {
	var invalid error
	if n <= 0 {
		invalid = errorf("WithMaxRingBytes(%d): the limit must be positive", n)
	}
	return option(optMaxRing, invalid, func(o *options) { o.maxRingBytes = n })
}

// checkRingBytes reports a ring of size slots of eventSize bytes that
// would take more than limit bytes; limit 0 means MaxRingBytes(), and no
// limit if that is unknown.
func checkRingBytes(size int, eventSize, limit int64) error {
	if limit == 0 {
		limit = MaxRingBytes()
	}
	if limit <= 0 || eventSize <= 0 || eventSize <= limit/int64(size) {
		return nil
	}
	return errorf("a ring of %d slots of %d bytes would take %d bytes, over the limit of %d (half the memory the process may use; WithMaxRingBytes sets another)",
		size, eventSize, int64(size)*eventSize, limit)
}

// parseMemoryMax parses a cgroup memory limit file: cgroup v2's
// memory.max ("max" or a number of bytes) or v1's memory.limit_in_bytes
// (a number, near 2^63 when unlimited). It reports false when the file
// sets no limit.
func parseMemoryMax(b []byte) (int64, bool) {
	s := strings.TrimSpace(string(b))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0, false
	}
	return n, true
}

// parseCgroupPath returns the cgroup v2 path of /proc/self/cgroup's
// contents (the line "0::/path"), or "" if there is none.
func parseCgroupPath(b []byte) string {
	for _, line := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(line, "0::"); ok {
			return strings.TrimSpace(p)
		}
	}
	return ""
}
