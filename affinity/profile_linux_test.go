package affinity

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadProfileTestdata(t *testing.T) {
	p, err := LoadProfile("testdata/profile.json")
	if err != nil {
		t.Fatal(err)
	}
	if p.Layout.RingSize != 1024 || len(p.Affinity.Consumers) != 3 {
		t.Errorf("loaded %+v", p)
	}
	tests := map[string][]error{
		"bad_schema.json":    {ErrBadProfile},
		"malformed.json":     {ErrBadProfile},
		"unknown_field.json": {ErrBadProfile},
		"bad_cpu_list.json":  {ErrBadProfile, ErrBadCPUList},
		"other_host.json":    {ErrOtherMachine},
		"cpu_4096.json":      {ErrOffline},
		"missing.json":       {os.ErrNotExist},
	}
	for file, want := range tests {
		path := filepath.Join("testdata", file)
		p, err := LoadProfile(path)
		if p != nil || err == nil {
			t.Errorf("LoadProfile(%s) = %v, %v; want an error", file, p, err)
			continue
		}
		for _, w := range want {
			if !errors.Is(err, w) {
				t.Errorf("LoadProfile(%s): %q does not wrap %q", file, err, w)
			}
		}
		if !strings.Contains(err.Error(), path) && file != "missing.json" {
			t.Errorf("LoadProfile(%s): %q does not name the file", file, err)
		}
	}
}

func writeProfile(t *testing.T, p *Profile) string {
	t.Helper()
	data, err := p.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "layout.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadProfileThisMachine(t *testing.T) {
	m, err := ThisMachine()
	if err != nil {
		t.Fatal(err)
	}
	cpus := m.Allowed.CPUs()
	p := DefaultProfile()
	p.Machine = Machine{Hostname: m.Hostname, CPUModel: m.CPUModel, GOARCH: m.GOARCH, Online: m.Online, Allowed: m.Allowed}
	p.Affinity.Producers = []int{cpus[0]}
	for i, c := range cpus {
		p.Affinity.Consumers = append(p.Affinity.Consumers, Placement{Name: fmt.Sprintf("c%d", i), CPU: c})
	}
	if _, err := LoadProfile(writeProfile(t, &p)); err != nil {
		t.Errorf("a profile using every allowed CPU of this machine: %v", err)
	}

	other := p
	other.Machine.Hostname = m.Hostname + "-elsewhere"
	if _, err := LoadProfile(writeProfile(t, &other)); !errors.Is(err, ErrOtherMachine) {
		t.Errorf("profile of another host: %v", err)
	}

	if len(cpus) < 2 {
		t.Skipf("needs two allowed CPUs to run with one of them not allowed; this process has %q", m.Allowed)
	}
	// Under a narrower mask (as with taskset) the second CPU is not allowed.
	withNarrowThread(t, NewCPUSet(cpus[0]), func() {
		_, err := LoadProfile(writeProfile(t, &p))
		if !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "cpu ") {
			t.Errorf("profile with a CPU this thread may not use: %v", err)
		}
	})
}
