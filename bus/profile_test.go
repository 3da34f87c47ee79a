package bus_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eventbus/eventbus/bus"
)

func TestParseProfile(t *testing.T) {
	good := `{"schema":1,"layout":{"pad_bytes":128,"ring_size":4096,"wait_strategy":"phased-backoff"},
	  "affinity":{"producers":[1],"consumers":[{"name":"journal","cpu":2},{"cpu":-1}]}}`
	p, err := bus.ParseProfile([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if p.Layout.PadBytes != 128 || p.Layout.RingSize != 4096 || p.Affinity.Consumers[0].Name != "journal" {
		t.Fatalf("parsed %+v", p)
	}
	for _, tc := range []struct{ json, want string }{
		{`{"schema":2,"layout":{"pad_bytes":64,"ring_size":8,"wait_strategy":"blocking"}}`, "schema version 2"},
		{`{"schema":1,"layout":{"pad_bytes":96,"ring_size":8,"wait_strategy":"blocking"}}`, "layout.pad_bytes: pad size 96"},
		{`{"schema":1,"layout":{"pad_bytes":64,"ring_size":1000,"wait_strategy":"blocking"}}`, "ring size 1000 is not a power of two"},
		{`{"schema":1,"layout":{"pad_bytes":64,"ring_size":8,"wait_strategy":"snooze"}}`, `wait_strategy "snooze"`},
		{`{"schema":1,"layout":{"pad_bytes":64,"ring_size":8,"wait_strategy":"blocking"},"affinity":{"producers":[-2]}}`, "affinity.producers[0]: cpu -2"},
		{`{"schema":1,"layout":{"pad_bytes":64,"ring_size":8,"wait_strategy":"blocking"},"affinity":{"consumers":[{"name":"a","cpu":1},{"name":"a","cpu":2}]}}`, `name "a" appears twice`},
		{`{"schema":1,"layout":{"pad_bytes":64,"ring_size":8,"wait_strategy":"blocking"},"colour":"red"}`, `unknown field "colour"`},
		{`{"schema":1,`, "unexpected EOF"},
		{`{"schema":1,"layout":{"pad_bytes":64,"ring_size":8,"wait_strategy":"blocking"}} {}`, "trailing data"},
	} {
		_, err := bus.ParseProfile([]byte(tc.json))
		if !errors.Is(err, bus.ErrBadProfile) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseProfile(%s) = %v, want ErrBadProfile naming %q", tc.json, err, tc.want)
		}
	}
}

func TestProfileRoundTripAndReadProfile(t *testing.T) {
	p := bus.DefaultProfile()
	p.Reasons = []bus.Reason{{Topic: "pad", Text: "two cores, one L3"}}
	data, err := p.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "profile.json")
	os.WriteFile(path, data, 0o644)
	q, err := bus.ReadProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	if q.Layout != p.Layout || q.Reasons[0] != p.Reasons[0] {
		t.Fatalf("round trip changed %+v into %+v", p, q)
	}
	if _, err := bus.ReadProfile(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("ReadProfile of a missing file = %v", err)
	}
	b, err := bus.New[int64](bus.WithProfile(q))
	if err != nil {
		t.Fatal(err)
	}
	if b.Ring().Size() != p.Layout.RingSize {
		t.Fatalf("bus built from the profile has %d slots", b.Ring().Size())
	}
}
