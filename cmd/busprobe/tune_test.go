package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/probe"
)

// TestTrials runs both objectives' trials on every topology, briefly, on
// the real bus: each gives a positive figure, and its consumers saw every
// event published (the trial checks their sums).
func TestTrials(t *testing.T) {
	cand := affinity.Candidate{Name: probe.CandidateDefault, Layout: bus.Layout{PadBytes: 128, RingSize: 256, Wait: bus.WaitPhasedBackoff}}
	for _, name := range topologies() {
		s, err := lookupShape(name, 2, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		for obj, trial := range map[string]probe.Trial{"throughput": s.throughput, "latency": s.latency} {
			f, err := trial(context.Background(), cand, 30*time.Millisecond)
			if err != nil || !(f > 0) {
				t.Errorf("%s, %s: %v, %v", s.title, obj, f, err)
			}
		}
	}
}

// TestTrialCanceled: a trial stops at once when its context is done, and
// says so.
func TestTrialCanceled(t *testing.T) {
	s, _ := lookupShape("diamond", 1, 1, nil)
	cand := affinity.Candidate{Layout: bus.DefaultLayout()}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	for obj, trial := range map[string]probe.Trial{"throughput": s.throughput, "latency": s.latency} {
		if _, err := trial(ctx, cand, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want the context's error", obj, err)
		}
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("canceled trials took %v", el)
	}
}

func TestLookupShape(t *testing.T) {
	for _, tc := range []struct {
		topology             string
		producers, consumers int
		given                map[string]bool
		title                string
		err                  string
	}{
		{"", 1, 1, nil, "unicast 1P→1C", ""},
		{"", 3, 1, nil, "sequencer 3P→1C", ""},
		{"", 1, 4, nil, "parallel 1P→4C", ""},
		{"diamond", 1, 1, nil, "diamond 1P→3C", ""},
		{"seq2", 1, 1, nil, "sequencer 2P→1C", ""},
		{"pool", 2, 4, nil, "worker pool 2P→4W", ""},
		{"diamond", 1, 2, map[string]bool{"consumers": true}, "", "has 3 consumers, not -consumers 2"},
		{"seq3", 2, 1, map[string]bool{"producers": true}, "", "has 3 producers, not -producers 2"},
		{"ring", 1, 1, nil, "", `-topology "ring": want one of unicast, pipeline`},
	} {
		s, err := lookupShape(tc.topology, tc.producers, tc.consumers, tc.given)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("lookupShape(%q, %d, %d) = %v, want an error naming %q", tc.topology, tc.producers, tc.consumers, err, tc.err)
			}
			continue
		}
		if err != nil || s.title != tc.title {
			t.Errorf("lookupShape(%q, %d, %d) = %q, %v; want %q", tc.topology, tc.producers, tc.consumers, s.title, err, tc.title)
		}
	}
}

// TestTune runs busprobe -tune for a short budget: it ends within it, and
// the profile it writes loads, carries the evidence with the consumers'
// names, and its layout is the chosen candidate's.
func TestTune(t *testing.T) {
	s, err := probe.NewDefaultFS().Read()
	if err != nil {
		t.Fatal(err)
	}
	if s.Usable().Len() < 2 {
		t.Skip("needs two usable CPUs")
	}
	file := filepath.Join(t.TempDir(), "profile.json")
	var out, errOut bytes.Buffer
	start := time.Now()
	if err := run([]string{"-tune", "-budget", "2s", "-progress=false", "-names", "journal", "-o", file}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 4*time.Second {
		t.Errorf("-budget 2s took %v", el)
	}
	p, err := affinity.LoadProfile(file)
	if err != nil {
		t.Fatal(err)
	}
	tu := p.Tuning
	if tu == nil || tu.Rounds == 0 || tu.Shape != "unicast 1P→1C" || tu.Objective != "throughput" || len(tu.Candidates) < 2 {
		t.Fatalf("tuning evidence %+v", tu)
	}
	chosen := false
	for _, c := range tu.Candidates {
		if c.Name == tu.Chosen {
			chosen = true
			if c.Layout != p.Layout {
				t.Errorf("profile layout %+v, chosen %q ran %+v", p.Layout, c.Name, c.Layout)
			}
		}
	}
	if !chosen {
		t.Errorf("chosen %q is not a candidate", tu.Chosen)
	}
	for _, pl := range p.Affinity.Consumers {
		if pl.Name != "journal" {
			t.Errorf("placement %+v lacks the name -names gave", pl)
		}
	}
	if err := affinity.CheckFit(p, affinity.Fit{Producers: 1, Consumers: 1, Names: []string{"journal"}}); err != nil {
		t.Errorf("the tuned profile does not fit the bus it was tuned for: %v", err)
	}
	for _, want := range []string{"Tuning: unicast 1P→1C, throughput", "vs default", "chosen (*)", "method: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("-progress=false drew on stderr: %q", errOut.String())
	}
}

// TestNames: -names names the plan's placements in the written profile,
// and sets the consumer count when -consumers is not given.
func TestNames(t *testing.T) {
	file := filepath.Join(t.TempDir(), "profile.json")
	if err := run([]string{"-root", filepath.Join(trees, "server-2s-smt2"), "-names", "journal,replicate", "-o", file}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := affinity.ParseProfile(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Affinity.Consumers) != 2 || p.Affinity.Consumers[0].Name != "journal" || p.Affinity.Consumers[1].Name != "replicate" {
		t.Errorf("placements %+v", p.Affinity.Consumers)
	}
	if err := affinity.CheckFit(p, affinity.Fit{Consumers: 2, Names: []string{"journal", "replicate"}}); err != nil {
		t.Errorf("CheckFit: %v", err)
	}
}
