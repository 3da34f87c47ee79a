package affinity

import (
	"bytes"
	"fmt"
	"strconv"
)

// parseStatCPU returns field 39 ("processor", the CPU the task last ran
// on) of a /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat file. The comm
// field (2) may hold spaces and parentheses, so fields are counted from the
// last ')'.
func parseStatCPU(data []byte) (int, error) {
	r := bytes.LastIndexByte(data, ')')
	if r < 0 {
		return 0, fmt.Errorf("stat: no ')' closing the command name")
	}
	fields := bytes.Fields(data[r+1:])
	const index = 39 - 3 // fields[0] is field 3, the state
	if len(fields) <= index {
		return 0, fmt.Errorf("stat: %d fields after the command name, want at least %d", len(fields), index+1)
	}
	c, err := strconv.Atoi(string(fields[index]))
	if err != nil || c < 0 {
		return 0, fmt.Errorf("stat: processor field %q is not a cpu number", fields[index])
	}
	return c, nil
}
