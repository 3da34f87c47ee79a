package affinity

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventbus/eventbus/bus"
)

func TestParseProfile(t *testing.T) {
	good := `{"schema":1,"machine":{"online_cpus":"0-3","allowed_cpus":"0,2"},
	  "layout":{"pad_bytes":128,"ring_size":4096,"wait_strategy":"phased-backoff"},
	  "affinity":{"producers":[1],"consumers":[{"name":"journal","cpu":2},{"cpu":-1}]}}`
	p, err := ParseProfile([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if p.Layout.PadBytes != 128 || p.Layout.RingSize != 4096 || p.Affinity.Consumers[0].Name != "journal" ||
		!p.Machine.Online.Equal(NewCPUSet(0, 1, 2, 3)) || !p.Machine.Allowed.Equal(NewCPUSet(0, 2)) {
		t.Fatalf("parsed %+v", p)
	}
	const layout = `"layout":{"pad_bytes":64,"ring_size":8,"wait_strategy":"blocking"}`
	for _, tc := range []struct {
		json, want string
		also       error
	}{
		{`{"schema":2,` + layout + `}`, "schema version 2", nil},
		{`{"schema":1,"layout":{"pad_bytes":96,"ring_size":8,"wait_strategy":"blocking"}}`, "layout.pad_bytes: pad size 96", nil},
		{`{"schema":1,"layout":{"pad_bytes":64,"ring_size":1000,"wait_strategy":"blocking"}}`, "layout.ring_size: ring size 1000 is not a power of two", nil},
		{`{"schema":1,"layout":{"pad_bytes":64,"ring_size":8,"wait_strategy":"snooze"}}`, `layout.wait_strategy "snooze"`, nil},
		{`{"schema":1,` + layout + `,"affinity":{"producers":[-2]}}`, "affinity.producers[0]: cpu -2", nil},
		{`{"schema":1,` + layout + `,"affinity":{"consumers":[{"cpu":70000}]}}`, "affinity.consumers[0]: cpu 70000", nil},
		{`{"schema":1,` + layout + `,"affinity":{"consumers":[{"name":"a","cpu":1},{"name":"a","cpu":2}]}}`, `name "a" appears twice`, nil},
		{`{"schema":1,` + layout + `,"colour":"red"}`, `unknown field "colour"`, nil},
		{`{"schema":1,"machine":{"online_cpus":"0-"},` + layout + `}`, `"0-"`, ErrBadCPUList},
		{`{"schema":1,"machine":{"allowed_cpus":"x"},` + layout + `}`, `"x"`, ErrBadCPUList},
		{`{"schema":1,`, "unexpected EOF", nil},
		{`{"schema":1,` + layout + `} {}`, "trailing data", nil},
	} {
		_, err := ParseProfile([]byte(tc.json))
		if !errors.Is(err, ErrBadProfile) || !strings.Contains(err.Error(), tc.want) || (tc.also != nil && !errors.Is(err, tc.also)) {
			t.Errorf("ParseProfile(%s) = %v, want ErrBadProfile naming %q", tc.json, err, tc.want)
		}
	}
}

func TestProfileRoundTripAndReadProfile(t *testing.T) {
	p := DefaultProfile()
	p.Machine = Machine{Hostname: "h", Online: NewCPUSet(0, 1, 2, 3), Allowed: NewCPUSet(1, 3)}
	p.Reasons = []Reason{{Topic: "pad", Text: "two cores, one L3"}}
	data, err := p.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"online_cpus": "0-3"`) || !strings.Contains(string(data), `"allowed_cpus": "1,3"`) {
		t.Errorf("cpu sets are not kernel cpu lists in\n%s", data)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "profile.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	q, err := ReadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if q.Layout != p.Layout || q.Reasons[0] != p.Reasons[0] || !q.Machine.Online.Equal(p.Machine.Online) || !q.Machine.Allowed.Equal(p.Machine.Allowed) {
		t.Fatalf("round trip changed %+v into %+v", p, q)
	}
	if _, err := ReadProfile(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("ReadProfile of a missing file = %v", err)
	}
	if _, err := ReadProfile(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("ReadProfile of a directory = %v", err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, make([]byte, MaxProfileBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadProfile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("ReadProfile of an oversized file = %v", err)
	}
	b, err := bus.New[int64](WithProfile(q))
	if err != nil {
		t.Fatal(err)
	}
	if b.Ring().Size() != p.Layout.RingSize {
		t.Fatalf("bus built from the profile has %d slots", b.Ring().Size())
	}
	if _, err := bus.New[int64](WithProfile(nil)); err != nil {
		t.Fatalf("WithProfile(nil): %v", err)
	}
}
