package probe

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// fixtures are the machine trees under testdata, one directory each.
func fixtures(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "golden" {
			out = append(out, e.Name())
		}
	}
	return out
}

func readFixture(t *testing.T, tree string) *Snapshot {
	t.Helper()
	fsys, err := NewFS(filepath.Join("testdata", tree))
	if err != nil {
		t.Fatal(err)
	}
	s, err := fsys.Read()
	if err != nil {
		t.Fatal(err)
	}
	s.Root = tree
	return s
}

// TestGolden reads every tree under testdata and compares the snapshot and
// the recommendation with testdata/golden/<tree>.json. Run with -update
// after a deliberate change and review the diff.
func TestGolden(t *testing.T) {
	for _, tree := range fixtures(t) {
		t.Run(tree, func(t *testing.T) {
			s := readFixture(t, tree)
			r, err := Recommend(s, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := mustJSON(t, struct {
				Snapshot       *Snapshot
				Recommendation Recommendation
			}{s, r})
			file := filepath.Join("testdata", "golden", tree+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the golden file; run go test ./probe -run TestGolden -update and review the diff.\ngot:\n%s", file, got)
			}
		})
	}
}
