package affinity

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/eventbus/eventbus/bus"
	"github.com/klauspost/cpuid/v2"
)

// Machine describes the machine a layout profile is checked against.
// ThisMachine describes the running one; tests build one by hand. A zero
// field means "unknown" and is not checked, so the zero Machine accepts
// every valid profile.
type Machine struct {
	// Hostname is the host's name.
	Hostname string
	// CPUModel is the processor's brand string.
	CPUModel string
	// GOARCH is the architecture the program was built for.
	GOARCH string
	// Online is the set of online CPUs.
	Online CPUSet
	// Allowed is the set of CPUs this process may run on.
	Allowed CPUSet
}

// ThisMachine describes the running machine and process: os.Hostname, the
// CPU's brand string (from CPUID, as klauspost/cpuid reads it), GOARCH,
// Online and Allowed. Empty fields are unknown: CPUModel where CPUID has no
// brand string (arm64 Linux), Online when /sys is not mounted, and Online
// and Allowed on operating systems other than Linux.
func ThisMachine() (Machine, error) {
	host, err := os.Hostname()
	if err != nil {
		return Machine{}, fmt.Errorf("affinity: %w", err)
	}
	m := Machine{Hostname: host, CPUModel: strings.TrimSpace(cpuid.CPU.BrandName), GOARCH: runtime.GOARCH}
	if on, err := online(); err == nil {
		m.Online = on
	}
	m.Allowed, err = allowed()
	if errors.Is(err, ErrUnsupported) {
		err = nil
	}
	if err != nil {
		return Machine{}, err
	}
	return m, nil
}

// LoadProfile reads the layout profile at path, as `busprobe -o` writes it,
// and checks that it fits this machine and process, so that a profile
// either applies whole or not at all. It is bus.ReadProfile followed by
// CheckProfile(p, ThisMachine()); an error names path and what was wrong:
// a missing or malformed file or an unknown schema wraps bus.ErrBadProfile,
// a profile for another machine wraps ErrOtherMachine, and a plan CPU this
// process cannot use wraps ErrOffline or ErrNotAllowed.
//
// On an operating system other than Linux the CPUs of the plan are not
// checked (PinPlan and PinProducer return ErrUnsupported there).
func LoadProfile(path string) (*bus.Profile, error) {
	p, err := bus.ReadProfile(path)
	if err != nil {
		return nil, err
	}
	m, err := ThisMachine()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := CheckProfile(p, m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// CheckProfile reports the first way p does not fit machine m, or nil.
//
// It first validates p (bus.Profile.Validate: schema version, layout,
// plan), then compares p.Machine with m. Each comparison is made only when
// both sides are known (non-empty):
//
//   - Hostname differs: an error. The profile was measured elsewhere.
//   - CPUModel differs (compared with runs of spaces folded): an error. Pad
//     size and wait strategy were measured on another processor.
//   - GOARCH differs: an error. The pad was chosen for another build.
//   - OnlineCPUs differs from m.Online as a set ("0,1" equals "0-1"): an
//     error. CPUs were taken offline or added since the profile was made,
//     so the CPU numbers of the plan may not mean what they meant.
//   - AllowedCPUs differs from m.Allowed: not an error. The same machine
//     may start a program under another taskset or cgroup; what matters is
//     that every CPU the plan uses is allowed now, which is checked next.
//
// Every CPU of p.Affinity other than -1 must then be in p.Machine.OnlineCPUs
// (when given; otherwise the profile is inconsistent), in m.Online and in
// m.Allowed. Errors wrap bus.ErrBadProfile, ErrBadCPUList, ErrOtherMachine,
// ErrOffline or ErrNotAllowed and name the field and the values.
func CheckProfile(p *bus.Profile, m Machine) error {
	if p == nil {
		return fmt.Errorf("%w: nil profile", bus.ErrBadProfile)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	pm := p.Machine
	profOnline, err := ParseCPUList(pm.OnlineCPUs)
	if err != nil {
		return fmt.Errorf("%w: machine.online_cpus: %w", bus.ErrBadProfile, err)
	}
	if _, err := ParseCPUList(pm.AllowedCPUs); err != nil {
		return fmt.Errorf("%w: machine.allowed_cpus: %w", bus.ErrBadProfile, err)
	}
	if pm.Hostname != "" && m.Hostname != "" && pm.Hostname != m.Hostname {
		return fmt.Errorf("%w: hostname %q, this machine is %q", ErrOtherMachine, pm.Hostname, m.Hostname)
	}
	if a, b := foldSpaces(pm.CPUModel), foldSpaces(m.CPUModel); a != "" && b != "" && a != b {
		return fmt.Errorf("%w: cpu model %q, this machine has %q", ErrOtherMachine, a, b)
	}
	if pm.GOARCH != "" && m.GOARCH != "" && pm.GOARCH != m.GOARCH {
		return fmt.Errorf("%w: goarch %q, this program is %q", ErrOtherMachine, pm.GOARCH, m.GOARCH)
	}
	if !profOnline.IsEmpty() && !m.Online.IsEmpty() && !profOnline.Equal(m.Online) {
		return fmt.Errorf("%w: online cpus %q, this machine has %q", ErrOtherMachine, profOnline, m.Online)
	}
	check := func(field string, cpu int) error {
		if cpu == -1 {
			return nil
		}
		if !profOnline.IsEmpty() && !profOnline.Contains(cpu) {
			return fmt.Errorf("%w: %s: cpu %d is not in the profile's online cpus %q", bus.ErrBadProfile, field, cpu, profOnline)
		}
		if !m.Online.IsEmpty() && !m.Online.Contains(cpu) {
			return fmt.Errorf("%w: %s: cpu %d (online %q)", ErrOffline, field, cpu, m.Online)
		}
		if !m.Allowed.IsEmpty() && !m.Allowed.Contains(cpu) {
			return fmt.Errorf("%w: %s: cpu %d (allowed %q)", ErrNotAllowed, field, cpu, m.Allowed)
		}
		return nil
	}
	for i, cpu := range p.Affinity.Producers {
		if err := check(fmt.Sprintf("affinity.producers[%d]", i), cpu); err != nil {
			return err
		}
	}
	for i, c := range p.Affinity.Consumers {
		field := fmt.Sprintf("affinity.consumers[%d]", i)
		if c.Name != "" {
			field += fmt.Sprintf(" (%q)", c.Name)
		}
		if err := check(field, c.CPU); err != nil {
			return err
		}
	}
	return nil
}

func foldSpaces(s string) string { return strings.Join(strings.Fields(s), " ") }
