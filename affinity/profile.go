package affinity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/eventbus/eventbus/bus"
	"github.com/klauspost/cpuid/v2"
)

// ProfileSchema is the version of the profile format that this package
// reads and writes. A profile with any other schema is rejected.
const ProfileSchema = 1

// MaxProfileBytes is the largest profile file LoadProfile and ReadProfile
// read; a larger one is an error, not a read of unbounded size. Profiles
// that busprobe writes are a few kilobytes.
const MaxProfileBytes = 1 << 20

// Profile is a machine-specific configuration for a bus, as `busprobe -o`
// writes it and LoadProfile reads it: the machine it was made for, the
// bus's layout, where its goroutines should run, and why. The zero value is
// not a valid profile; DefaultProfile returns one that is.
type Profile struct {
	// Schema is the profile format version; it must equal ProfileSchema.
	Schema int `json:"schema"`
	// Machine identifies the machine the profile was made for, so that a
	// loader can refuse a profile carried to another machine.
	Machine Machine `json:"machine"`
	// Layout is the bus's memory layout and wait strategy.
	Layout bus.Layout `json:"layout"`
	// Affinity places the bus's goroutines on CPUs. It may be empty, in
	// which case nothing is pinned.
	Affinity Plan `json:"affinity"`
	// Reasons explains each decision in one line a person can read, keyed
	// by what was decided ("pad", "ring", "wait", "producer", ...).
	Reasons []Reason `json:"reasons,omitempty"`
	// Tuning, when not nil, is the evidence `busprobe -tune` measured for
	// this profile's Layout and Affinity.
	Tuning *Tuning `json:"tuning,omitempty"`
}

// Plan says which CPU each goroutine of a bus should run on. A CPU number
// of -1 means "do not pin".
type Plan struct {
	// Producers holds one CPU per producer, by position.
	Producers []int `json:"producers,omitempty"`
	// Consumers holds one placement per consumer, matched by name first
	// and by position when the name is empty.
	Consumers []Placement `json:"consumers,omitempty"`
}

// Placement puts one consumer on one CPU.
type Placement struct {
	// Name is the consumer's name (bus.Named); empty matches by position.
	Name string `json:"name,omitempty"`
	// CPU is the CPU number, or -1 for no pinning.
	CPU int `json:"cpu"`
}

// Reason is one decision of a profile with a sentence that explains it.
type Reason struct {
	// Topic names the decision: "pad", "ring", "wait", "producer", "consumer".
	Topic string `json:"topic"`
	// Text explains the decision in one line.
	Text string `json:"text"`
}

// DefaultProfile returns the profile of a bus given none: bus.DefaultLayout,
// no machine and no pinning.
func DefaultProfile() Profile {
	return Profile{Schema: ProfileSchema, Layout: bus.DefaultLayout()}
}

// Validate reports the first thing wrong with p on its own, naming the
// field and value: the schema, the layout (bus.Layout.Validate) and the
// plan. It does not compare p with a machine; CheckProfile does. Errors
// wrap ErrBadProfile.
func (p *Profile) Validate() error {
	if p.Schema != ProfileSchema {
		return fmt.Errorf("%w: schema version %d, this build reads version %d", ErrBadProfile, p.Schema, ProfileSchema)
	}
	if err := p.Layout.Validate(); err != nil {
		return fmt.Errorf("%w: layout.%s", ErrBadProfile, strings.TrimPrefix(err.Error(), bus.ErrInvalid.Error()+": "))
	}
	for i, c := range p.Affinity.Producers {
		if c < -1 || c > MaxCPU {
			return fmt.Errorf("%w: affinity.producers[%d]: cpu %d is out of range -1..%d", ErrBadProfile, i, c, MaxCPU)
		}
	}
	seen := map[string]bool{}
	for i, c := range p.Affinity.Consumers {
		if c.CPU < -1 || c.CPU > MaxCPU {
			return fmt.Errorf("%w: affinity.consumers[%d]: cpu %d is out of range -1..%d", ErrBadProfile, i, c.CPU, MaxCPU)
		}
		if c.Name != "" {
			if seen[c.Name] {
				return fmt.Errorf("%w: affinity.consumers[%d]: name %q appears twice", ErrBadProfile, i, c.Name)
			}
			seen[c.Name] = true
		}
	}
	return nil
}

// ParseProfile decodes and validates a JSON profile. Unknown fields are an
// error, so a typo in a hand-edited profile is not silently ignored. It
// checks the format only; CheckProfile compares the profile with a machine.
func ParseProfile(data []byte) (*Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadProfile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the profile object", ErrBadProfile)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// ReadProfile reads and validates the profile in the named file, which must
// be a regular file of at most MaxProfileBytes. It checks the format only;
// LoadProfile also checks that the profile fits this machine. Errors name
// the path.
func ReadProfile(path string) (*Profile, error) {
	data, err := readRegular(path, MaxProfileBytes)
	if err != nil {
		return nil, fmt.Errorf("affinity: reading profile: %w", err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// readRegular reads the regular file at path, refusing anything else (a
// FIFO would block, a device never end) and anything over limit bytes.
func readRegular(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%v)", path, fi.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}

// MarshalIndent encodes p as indented JSON, ending in a newline, after
// validating it.
func (p *Profile) MarshalIndent() ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Machine describes a machine: the one a profile was made for (its
// Machine field, written by busprobe), or the one it is checked against
// (ThisMachine; tests build one by hand). A zero field means "unknown" and
// is not compared, so the zero Machine accepts every valid profile.
type Machine struct {
	// Hostname is the host's name.
	Hostname string `json:"hostname,omitempty"`
	// CPUModel is the processor's brand string.
	CPUModel string `json:"cpu_model,omitempty"`
	// Online is the set of online CPUs.
	Online CPUSet `json:"online_cpus,omitzero"`
	// Allowed is the set of CPUs the process may run on.
	Allowed CPUSet `json:"allowed_cpus,omitzero"`
	// GOARCH is the architecture the program was built for.
	GOARCH string `json:"goarch,omitempty"`
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
// either applies whole or not at all. It is ReadProfile followed by
// CheckProfile(p, ThisMachine()); an error names path and what was wrong:
// a missing or malformed file or an unknown schema wraps ErrBadProfile,
// a profile for another machine wraps ErrOtherMachine, and a plan CPU this
// process cannot use wraps ErrOffline or ErrNotAllowed.
//
// On an operating system other than Linux the CPUs of the plan are not
// checked (PinPlan and PinProducer return ErrUnsupported there).
func LoadProfile(path string) (*Profile, error) {
	p, err := ReadProfile(path)
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
// It first validates p (Profile.Validate: schema version, layout,
// plan), then compares p.Machine with m. Each comparison is made only when
// both sides are known (non-empty):
//
//   - Hostname differs: an error. The profile was measured elsewhere.
//   - CPUModel differs (compared with runs of spaces folded): an error. Pad
//     size and wait strategy were measured on another processor.
//   - GOARCH differs: an error. The pad was chosen for another build.
//   - Online differs from m.Online as a set ("0,1" equals "0-1"): an
//     error. CPUs were taken offline or added since the profile was made,
//     so the CPU numbers of the plan may not mean what they meant.
//   - Allowed differs from m.Allowed: not an error. The same machine
//     may start a program under another taskset or cgroup; what matters is
//     that every CPU the plan uses is allowed now, which is checked next.
//
// Every CPU of p.Affinity other than -1 must then be in p.Machine.Online
// (when given; otherwise the profile is inconsistent), in m.Online and in
// m.Allowed. Errors wrap ErrBadProfile, ErrOtherMachine,
// ErrOffline or ErrNotAllowed and name the field and the values.
func CheckProfile(p *Profile, m Machine) error {
	if p == nil {
		return fmt.Errorf("%w: nil profile", ErrBadProfile)
	}
	if err := p.Validate(); err != nil {
		return err
	}
	pm := p.Machine
	profOnline := pm.Online
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
			return fmt.Errorf("%w: %s: cpu %d is not in the profile's online cpus %q", ErrBadProfile, field, cpu, profOnline)
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
