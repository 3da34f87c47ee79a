package probe

import (
	"fmt"
	"strings"

	"github.com/eventbus/eventbus/affinity"
)

const fileStatus = "proc/self/status"

// parseStatusAllowed returns the Cpus_allowed_list of a /proc/PID/status
// file.
func parseStatusAllowed(file string, data []byte) (affinity.CPUSet, error) {
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && k == "Cpus_allowed_list" {
			return parseCPUListFile(file+" Cpus_allowed_list", []byte(v))
		}
	}
	return affinity.CPUSet{}, fmt.Errorf("%w: %s: no Cpus_allowed_list line", ErrMalformed, file)
}

// readStatusAllowed reads Cpus_allowed_list from /proc/self/status.
func (fsys FS) readStatusAllowed() (Fact[affinity.CPUSet], error) {
	b, err := fsys.readFile(fileStatus)
	if err != nil {
		return Fact[affinity.CPUSet]{}, err
	}
	s, err := parseStatusAllowed(name(fileStatus), b)
	if err != nil {
		return Fact[affinity.CPUSet]{}, err
	}
	return known(s, name(fileStatus)+" Cpus_allowed_list"), nil
}
