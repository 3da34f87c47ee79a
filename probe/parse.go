package probe

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/eventbus/eventbus/affinity"
)

// parseCPUListFile parses the content of a kernel file holding one cpu
// list. Its errors wrap ErrMalformed and affinity.ErrBadCPUList.
func parseCPUListFile(file string, data []byte) (affinity.CPUSet, error) {
	s, err := affinity.ParseCPUList(string(data))
	if err != nil {
		return affinity.CPUSet{}, fmt.Errorf("%w: %s: %w", ErrMalformed, file, err)
	}
	return s, nil
}

// parseIntFile parses a kernel file holding one decimal integer.
func parseIntFile(file string, data []byte) (int, error) {
	s := string(bytes.TrimSpace(data))
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %s is not an integer", ErrMalformed, file, quote(s))
	}
	return n, nil
}

// parseSize parses a sysfs cache size such as "32K", "1024K", "32M" or a
// plain byte count, and returns bytes.
func parseSize(file string, data []byte) (int, error) {
	s := strings.TrimSpace(string(data))
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 1<<40/mult {
		return 0, fmt.Errorf("%w: %s: %s is not a size", ErrMalformed, file, quote(strings.TrimSpace(string(data))))
	}
	return n * mult, nil
}

// formatSize prints a byte count the way sysfs and people do: 48K, 2M.
func formatSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "M"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "K"
	}
	return strconv.Itoa(n)
}

// checkText checks that s, the value of what in file, is at most limit
// bytes of printable UTF-8: the names the probe prints (a processor's
// model, a governor) are short, and a report should not print a hostile
// one. Its error wraps ErrMalformed.
func checkText(file, what, s string, limit int) error {
	if len(s) > limit {
		return fmt.Errorf("%w: %s: %s of %d bytes, longer than the %d a kernel or processor gives", ErrMalformed, file, what, len(s), limit)
	}
	if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return fmt.Errorf("%w: %s: %s %s is not printable", ErrMalformed, file, what, quote(s))
	}
	return nil
}

// quote quotes s for a message, cut after 40 bytes, so that a huge or
// hostile file does not make a huge note.
func quote(s string) string {
	const limit = 40
	if len(s) <= limit {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:limit], len(s))
}
