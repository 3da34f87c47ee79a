package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/probe"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const trees = "../../probe/testdata"

func fixtureNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(trees)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "golden" {
			out = append(out, e.Name())
		}
	}
	if len(out) < 6 {
		t.Fatalf("only %d fixtures under %s", len(out), trees)
	}
	return out
}

func golden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
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
		t.Errorf("output differs from %s (rerun with -update and review the diff):\n%s", file, got)
	}
}

// TestReportGolden runs busprobe -root over every fixture and compares the
// report with testdata/<tree>.txt.
func TestReportGolden(t *testing.T) {
	for _, tree := range fixtureNames(t) {
		t.Run(tree, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if err := run([]string{"-root", filepath.Join(trees, tree)}, &out, &errOut); err != nil {
				t.Fatal(err)
			}
			if errOut.Len() > 0 {
				t.Errorf("stderr: %s", errOut.String())
			}
			golden(t, filepath.Join("testdata", tree+".txt"), out.String())
		})
	}
}

func TestReportShape(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-root", filepath.Join(trees, "arm64-128b"), "-consumers", "2"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Topology", "Process limits", "Recommendation for 1 producer, 2 consumers", "Why", "Conflicts between sources", "cache line: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestProfileOut(t *testing.T) {
	file := filepath.Join(t.TempDir(), "profile.json")
	var out bytes.Buffer
	if err := run([]string{"-root", filepath.Join(trees, "server-2s-smt2"), "-o", file, "-consumers", "2", "-event-size", "128"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	p, err := affinity.ReadProfile(file)
	if err != nil {
		t.Fatalf("written profile does not load: %v", err)
	}
	if p.Machine.Hostname != "db-01" || p.Machine.GOARCH != "amd64" || p.Machine.Online.String() != "0-31" ||
		p.Layout.EventSize != 128 || p.Layout.RingSize != 4096 || len(p.Affinity.Consumers) != 2 || len(p.Affinity.Producers) != 1 {
		t.Errorf("profile = %+v", p)
	}
	if !strings.Contains(out.String(), "Layout profile written to") {
		t.Errorf("report does not mention the profile:\n%s", out.String())
	}
}

func TestJSON(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-root", filepath.Join(trees, "container-1.5cpu"), "-json"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	var r struct {
		Snapshot       probe.Snapshot
		Recommendation probe.Recommendation
		Profile        affinity.Profile
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("-json output does not decode: %v\n%s", err, out.String())
	}
	if r.Snapshot.Process.Quota.Value != 1.5 || r.Recommendation.Layout.Wait != bus.WaitBlocking || r.Profile.Schema != affinity.ProfileSchema {
		t.Errorf("decoded %+v / %+v / %+v", r.Snapshot.Process, r.Recommendation.Layout, r.Profile)
	}
}

// TestCaptureReplay captures a tree with -capture and checks that the
// report of the copy matches the report of the original.
func TestCaptureReplay(t *testing.T) {
	src := filepath.Join(trees, "hybrid-desktop")
	dst := filepath.Join(t.TempDir(), "cap")
	var out bytes.Buffer
	if err := run([]string{"-root", src, "-capture", dst}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "captured ") {
		t.Errorf("capture output %q", out.String())
	}
	var a, b bytes.Buffer
	if err := run([]string{"-root", src}, &a, &a); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"-root", dst}, &b, &b); err != nil {
		t.Fatal(err)
	}
	strip := func(s, root string) string { return strings.ReplaceAll(s, root, "ROOT") }
	if strip(a.String(), src) != strip(b.String(), dst) {
		t.Errorf("replayed capture reports differently:\n%s\n---\n%s", a.String(), b.String())
	}
}

func TestBadInvocations(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-nope"}, "flag provided but not defined"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-consumers", "0"}, "-consumers 0"},
		{[]string{"-producers", "x"}, "invalid value"},
		{[]string{"-event-size", "0"}, "-event-size 0"},
		{[]string{"-budget", "1ns"}, "-budget 1ns"},
		{[]string{"-root", "/does/not/exist"}, "unreadable root"},
		{[]string{"-root", file}, "is not a directory"},
		{[]string{"-root", trees + "/arm64-128b", "-measure"}, "cannot be combined with -root"},
		{[]string{"-capture", t.TempDir(), "-json"}, "-capture only copies files"},
		{[]string{"-root", trees + "/arm64-128b", "-tune"}, "-tune measures the machine it runs on"},
		{[]string{"-topology", "diamond"}, "add -tune"},
		{[]string{"-tune", "-objective", "speed"}, `-objective "speed"`},
		{[]string{"-tune", "-topology", "ring"}, `-topology "ring"`},
		{[]string{"-tune", "-topology", "diamond", "-consumers", "2"}, "has 3 consumers, not -consumers 2"},
		{[]string{"-names", "a,b", "-consumers", "3"}, "-names gives 2 names for 3 consumers"},
		{[]string{"-names", "a,,b"}, "every name must be given once"},
		{[]string{"-names", "a,a"}, "every name must be given once"},
		{[]string{"-root", trees + "/arm64-128b", "-o", "/does/not/exist/p.json"}, "no such file or directory"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		err := run(tt.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error()+errOut.String(), tt.want) {
			t.Errorf("run(%q) = %v (stderr %q), want an error mentioning %q", tt.args, err, errOut.String(), tt.want)
		}
	}
	if err := run([]string{"-h"}, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v, want flag.ErrHelp", err)
	}
}

// TestMeasureBrief runs the real measurements with a short budget and
// checks the report has their section, not how fast this machine is.
func TestMeasureBrief(t *testing.T) {
	s, err := probe.NewDefaultFS().Read()
	if err != nil {
		t.Fatal(err)
	}
	if s.Usable().Len() < 2 {
		t.Skip("needs two usable CPUs")
	}
	var out, errOut bytes.Buffer
	err = run([]string{"-measure", "-budget", "300ms"}, &out, &errOut)
	if errors.Is(err, probe.ErrStalled) || errors.Is(err, probe.ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Measurements (", "CAS round trip", "false-sharing distance", "latency"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("a 300ms budget drew a progress bar: %q", errOut.String())
	}
}
