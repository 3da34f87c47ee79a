package verify

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
)

// Memory is the resident memory of this process, in bytes, as Linux
// reports it in /proc/self/status.
type Memory struct {
	// RSS is the resident set size now (VmRSS).
	RSS int64
	// Peak is the highest RSS so far (VmHWM, the high water mark).
	Peak int64
}

// ErrNoMemoryStats is returned by ReadMemory where /proc/self/status
// does not exist: on operating systems other than Linux.
var ErrNoMemoryStats = errors.New("verify: resident memory is read from /proc/self/status, which only Linux has")

// ReadMemory returns the resident memory of this process. Long runs
// report it to show that streaming verification keeps memory flat.
func ReadMemory() (Memory, error) {
	if runtime.GOOS != "linux" {
		return Memory{}, ErrNoMemoryStats
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return Memory{}, fmt.Errorf("verify: %w", err)
	}
	return parseStatusMemory(b)
}

// parseStatusMemory reads VmRSS and VmHWM, in kB, from the text of
// /proc/<pid>/status.
func parseStatusMemory(b []byte) (Memory, error) {
	var m Memory
	found := 0
	for line := range bytes.Lines(b) {
		var dst *int64
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			dst = &m.RSS
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			dst = &m.Peak
		default:
			continue
		}
		f := bytes.Fields(line[6:])
		if len(f) != 2 || string(f[1]) != "kB" {
			return Memory{}, fmt.Errorf("verify: /proc/self/status: malformed line %q", bytes.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("verify: /proc/self/status: %q: %w", bytes.TrimSpace(line), err)
		}
		*dst = kb << 10
		found++
	}
	if found != 2 {
		return Memory{}, errors.New("verify: /proc/self/status: no VmRSS and VmHWM lines")
	}
	return m, nil
}
