package affinity

import (
	"errors"
	"strings"
	"testing"
)

func testProfile() *Profile {
	p := DefaultProfile()
	p.Machine = Machine{
		Hostname: "bench1",
		CPUModel: "AMD EPYC  7B13",
		Online:   NewCPUSet(0, 1, 2, 3),
		Allowed:  NewCPUSet(0, 1, 2, 3),
		GOARCH:   "amd64",
	}
	p.Affinity = Plan{
		Producers: []int{0, -1},
		Consumers: []Placement{{Name: "journal", CPU: 1}, {CPU: 2}, {Name: "spare", CPU: -1}},
	}
	return &p
}

func testMachine() Machine {
	return Machine{
		Hostname: "bench1",
		CPUModel: "AMD EPYC 7B13 ",
		GOARCH:   "amd64",
		Online:   NewCPUSet(0, 1, 2, 3),
		Allowed:  NewCPUSet(0, 1, 2, 3),
	}
}

func TestCheckProfile(t *testing.T) {
	tests := []struct {
		name    string
		profile func(*Profile)
		machine func(*Machine)
		want    []error // nil: accepted
		text    string
	}{
		{name: "fits"},
		{name: "zero machine accepts", machine: func(m *Machine) { *m = Machine{} }},
		{name: "empty profile machine accepts", profile: func(p *Profile) { p.Machine = Machine{} }},
		{name: "online as another list", profile: func(p *Profile) { p.Machine.Online = NewCPUSet(3, 2, 1, 0) }},
		{name: "allowed differs is fine", profile: func(p *Profile) { p.Machine.Allowed = NewCPUSet(0, 1) }},
		{name: "machine narrower but covers plan", machine: func(m *Machine) { m.Allowed = NewCPUSet(0, 1, 2) }},
		{
			name: "schema", profile: func(p *Profile) { p.Schema = 2 },
			want: []error{ErrBadProfile}, text: "schema version 2",
		},
		{
			name: "nil profile", profile: nil, want: []error{ErrBadProfile}, text: "nil",
		},
		{
			name: "hostname", machine: func(m *Machine) { m.Hostname = "other" },
			want: []error{ErrOtherMachine}, text: `hostname "bench1", this machine is "other"`,
		},
		{
			name: "cpu model", machine: func(m *Machine) { m.CPUModel = "Intel Xeon" },
			want: []error{ErrOtherMachine}, text: "cpu model",
		},
		{
			name: "goarch", machine: func(m *Machine) { m.GOARCH = "arm64" },
			want: []error{ErrOtherMachine}, text: "goarch",
		},
		{
			name: "online cpus", machine: func(m *Machine) { m.Online = NewCPUSet(0, 1) },
			want: []error{ErrOtherMachine}, text: `online cpus "0-3", this machine has "0-1"`,
		},
		{
			name: "plan outside profile's online", profile: func(p *Profile) { p.Affinity.Producers[1] = 7 },
			want: []error{ErrBadProfile}, text: "affinity.producers[1]: cpu 7",
		},
		{
			name:    "consumer not allowed",
			machine: func(m *Machine) { m.Allowed = NewCPUSet(0, 2, 3) },
			want:    []error{ErrNotAllowed}, text: `affinity.consumers[0] ("journal"): cpu 1 (allowed "0,2-3")`,
		},
		{
			name:    "producer not allowed",
			machine: func(m *Machine) { m.Allowed = NewCPUSet(1, 2) },
			want:    []error{ErrNotAllowed}, text: "affinity.producers[0]: cpu 0",
		},
		{
			name:    "offline",
			profile: func(p *Profile) { p.Machine.Online = CPUSet{}; p.Affinity.Consumers[1].CPU = 4096 },
			want:    []error{ErrOffline}, text: `affinity.consumers[1]: cpu 4096 (online "0-3")`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, m := testProfile(), testMachine()
			if tc.profile != nil {
				tc.profile(p)
			}
			if tc.name == "nil profile" {
				p = nil
			}
			if tc.machine != nil {
				tc.machine(&m)
			}
			err := CheckProfile(p, m)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("CheckProfile: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("CheckProfile accepted it; want %v", tc.want)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("error %q does not wrap %q", err, w)
				}
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not say %q", err, tc.text)
			}
		})
	}
}

func TestThisMachine(t *testing.T) {
	m, err := ThisMachine()
	if err != nil {
		t.Fatal(err)
	}
	if m.Hostname == "" || m.GOARCH == "" {
		t.Errorf("ThisMachine() = %+v", m)
	}
	if !m.Allowed.SubsetOf(m.Online) && !m.Online.IsEmpty() {
		t.Errorf("allowed %q is not within online %q", m.Allowed, m.Online)
	}
	// A profile made here loads here.
	p := DefaultProfile()
	p.Machine = Machine{Hostname: m.Hostname, CPUModel: m.CPUModel, GOARCH: m.GOARCH, Online: m.Online, Allowed: m.Allowed}
	if err := CheckProfile(&p, m); err != nil {
		t.Errorf("a profile of this machine does not fit it: %v", err)
	}
}
