package probe

import "bytes"

const fileHostname = "proc/sys/kernel/hostname"

// maxHostname is the kernel's limit on a host name (__NEW_UTS_LEN).
const maxHostname = 64

// parseHostname parses /proc/sys/kernel/hostname: one name of at most 64
// bytes. A longer one, or one with bytes that are not printable UTF-8,
// wraps ErrMalformed: the kernel cannot hold it, and a report should not
// print it.
func parseHostname(file string, data []byte) (string, error) {
	h := string(bytes.TrimSpace(data))
	if err := checkText(file, "host name", h, maxHostname); err != nil {
		return "", err
	}
	return h, nil
}
