package bus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// ProfileSchema is the version of the layout profile format that this
// package reads and writes. A profile with any other schema is rejected.
const ProfileSchema = 1

// ErrBadProfile is wrapped by every error that reports a malformed or
// inconsistent layout profile.
var ErrBadProfile = errors.New("bus: bad layout profile")

// WaitKind names a wait strategy in a layout profile and on command lines.
type WaitKind string

// The wait strategies a profile can name. NewWaitStrategy builds each one
// with its default parameters.
const (
	WaitBusySpin        WaitKind = "busy-spin"
	WaitYielding        WaitKind = "yielding"
	WaitSleeping        WaitKind = "sleeping"
	WaitBlocking        WaitKind = "blocking"
	WaitTimeoutBlocking WaitKind = "timeout-blocking"
	WaitPhasedBackoff   WaitKind = "phased-backoff"
)

// WaitKinds lists every WaitKind in order from most to least CPU-hungry.
func WaitKinds() []WaitKind {
	return []WaitKind{WaitBusySpin, WaitYielding, WaitPhasedBackoff, WaitSleeping, WaitTimeoutBlocking, WaitBlocking}
}

// Valid reports whether k names a wait strategy this package knows.
func (k WaitKind) Valid() bool {
	for _, w := range WaitKinds() {
		if w == k {
			return true
		}
	}
	return false
}

// Profile is a machine-specific layout for a bus, as written by
// `busprobe -o` and read by ReadProfile. The zero value is not a valid
// profile; DefaultProfile returns one that is.
type Profile struct {
	// Schema is the profile format version; it must equal ProfileSchema.
	Schema int `json:"schema"`
	// Machine identifies the machine the profile was measured on, so a
	// loader can refuse a profile carried to another machine.
	Machine Machine `json:"machine"`
	// Layout is the memory layout and wait strategy of the bus.
	Layout Layout `json:"layout"`
	// Affinity is the placement of the bus's goroutines on CPUs. It may be
	// empty, in which case nothing is pinned.
	Affinity AffinityPlan `json:"affinity"`
	// Reasons explains each decision in one line a person can read, keyed
	// by what was decided ("pad", "ring", "wait", "producer", ...).
	Reasons []Reason `json:"reasons,omitempty"`
}

// Machine identifies the machine a profile was made for.
type Machine struct {
	// Hostname is the host's name when the profile was written.
	Hostname string `json:"hostname,omitempty"`
	// CPUModel is the processor's brand string.
	CPUModel string `json:"cpu_model,omitempty"`
	// OnlineCPUs is the kernel cpu list of online CPUs ("0-3,8-11").
	OnlineCPUs string `json:"online_cpus,omitempty"`
	// AllowedCPUs is the kernel cpu list of CPUs the probing process could use.
	AllowedCPUs string `json:"allowed_cpus,omitempty"`
	// GOARCH is the architecture the probe was built for.
	GOARCH string `json:"goarch,omitempty"`
}

// Layout is the part of a profile that shapes the bus's memory and waiting.
type Layout struct {
	// PadBytes is the spacing, in bytes, between hot sequence counters:
	// 64, 128 or 256 (0 packs them together and is only for experiments).
	PadBytes int `json:"pad_bytes"`
	// RingSize is the number of slots in the ring, a power of two.
	RingSize int `json:"ring_size"`
	// EventSize is the event size in bytes the ring size was chosen for.
	EventSize int `json:"event_size,omitempty"`
	// Wait names the wait strategy consumers and blocked producers use.
	Wait WaitKind `json:"wait_strategy"`
}

// AffinityPlan says which CPU each goroutine of a bus should run on. A CPU
// number of -1 means "do not pin".
type AffinityPlan struct {
	// Producers holds one CPU per producer, by position.
	Producers []int `json:"producers,omitempty"`
	// Consumers holds one placement per consumer, matched by name first
	// and by position when the name is empty.
	Consumers []Placement `json:"consumers,omitempty"`
}

// Placement puts one consumer on one CPU.
type Placement struct {
	// Name is the consumer's handler name; empty matches by position.
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

// DefaultProfile returns the profile the bus uses when it is given none:
// the default pad for this GOARCH, a 1024-slot ring, phased backoff (which
// degrades gracefully when there are more spinning goroutines than CPUs) and
// no pinning.
func DefaultProfile() Profile {
	return Profile{
		Schema: ProfileSchema,
		Layout: Layout{PadBytes: DefaultPad(), RingSize: 1024, Wait: WaitPhasedBackoff},
	}
}

// Validate reports the first thing wrong with p, naming the field and value.
// Errors wrap ErrBadProfile.
func (p *Profile) Validate() error {
	if p.Schema != ProfileSchema {
		return fmt.Errorf("%w: schema version %d, this build reads version %d", ErrBadProfile, p.Schema, ProfileSchema)
	}
	if err := checkPad(p.Layout.PadBytes); err != nil {
		return fmt.Errorf("%w: layout.pad_bytes: %v", ErrBadProfile, err)
	}
	if err := checkRingSize(p.Layout.RingSize); err != nil {
		return fmt.Errorf("%w: layout.ring_size: %v", ErrBadProfile, err)
	}
	if p.Layout.EventSize < 0 {
		return fmt.Errorf("%w: layout.event_size %d is negative", ErrBadProfile, p.Layout.EventSize)
	}
	if !p.Layout.Wait.Valid() {
		return fmt.Errorf("%w: layout.wait_strategy %q is not one of %v", ErrBadProfile, p.Layout.Wait, WaitKinds())
	}
	for i, c := range p.Affinity.Producers {
		if c < -1 {
			return fmt.Errorf("%w: affinity.producers[%d]: cpu %d is negative", ErrBadProfile, i, c)
		}
	}
	seen := map[string]bool{}
	for i, c := range p.Affinity.Consumers {
		if c.CPU < -1 {
			return fmt.Errorf("%w: affinity.consumers[%d]: cpu %d is negative", ErrBadProfile, i, c.CPU)
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

// ParseProfile decodes and validates a JSON layout profile. Unknown fields
// are an error, so a typo in a hand-edited profile is not silently ignored.
func ParseProfile(data []byte) (*Profile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Profile
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadProfile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the profile object", ErrBadProfile)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// ReadProfile reads and validates the layout profile in the named file.
// It checks the format only; affinity.LoadProfile also checks that the
// profile fits the machine it is loaded on.
func ReadProfile(path string) (*Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bus: reading layout profile: %w", err)
	}
	p, err := ParseProfile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// MarshalIndent encodes p as indented JSON after validating it.
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

// PinFunc pins the calling goroutine for the consumer with the given name
// and position in the bus's consumer graph, and returns a function that
// undoes the pinning. The bus calls it on each consumer's own goroutine
// before that consumer's loop starts, so the bus itself needs no knowledge
// of CPUs; package affinity builds one from an AffinityPlan. A PinFunc that
// returns an error stops the consumer before it handles any event.
type PinFunc func(name string, index int) (release func(), err error)
