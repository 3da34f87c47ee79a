package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/probe"
)

// writeReport prints the readable report: topology, process limits,
// measurements, the recommendation and why, then conflicts and notes.
func writeReport(w io.Writer, c config, r result) {
	s := r.Snapshot
	hw, os, p := s.Hardware, s.OS, s.Process
	title := orUnknown(os.Hostname.Value)
	var what []string
	for _, f := range []probe.Fact[string]{hw.Model, hw.Arch} {
		if f.Value != "" {
			what = append(what, f.Value)
		}
	}
	switch hw.Hypervisor.Value {
	case "":
	case "unknown":
		what = append(what, "virtualized")
	default:
		what = append(what, "virtualized by "+hw.Hypervisor.Value)
	}
	fmt.Fprintf(w, "busprobe: %s (%s)\n", title, strings.Join(what, ", "))
	if c.root != "/" {
		fmt.Fprintf(w, "read from the captured tree %s\n", c.root)
	}

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string, src ...string) {
		if len(src) > 0 && src[0] != "" {
			v += "  [" + src[0] + "]"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", k, v)
	}
	fmt.Fprintf(tw, "\nTopology\n")
	cores, pkgs := map[string]bool{}, map[int]bool{}
	maxThreads := 1
	for _, c := range os.CPUs {
		cores[c.CoreKey()] = true
		pkgs[c.Package] = true
		maxThreads = max(maxThreads, c.Siblings.Len())
	}
	nodes := max(len(os.Nodes), 1)
	row("online CPUs", fmt.Sprintf("%s (%d CPUs, %d cores, %s, %s)", orNone(os.Online.Value.String()), os.Online.Value.Len(),
		len(cores), plural(len(pkgs), "package"), plural(nodes, "NUMA node")), os.Online.Source)
	if maxThreads > 1 {
		row("SMT", fmt.Sprintf("%d threads per core", maxThreads))
	} else {
		row("SMT", "none")
	}
	row("cache line", lineText(hw.CacheLine, os.CacheLine))
	if len(os.CPUs) > 0 {
		c := os.CPUs[0]
		var parts []string
		for _, k := range c.Caches {
			if k.Type == "Instruction" {
				continue
			}
			t := fmt.Sprintf("L%d %s", k.Level, size(k.Size))
			if k.Type == "Data" {
				t = fmt.Sprintf("L%dd %s", k.Level, size(k.Size))
			}
			if k.SharedWith.Len() > 1 {
				t += " shared by " + k.SharedWith.String()
			}
			parts = append(parts, t)
		}
		if len(parts) > 0 {
			row(fmt.Sprintf("caches of CPU %d", c.ID), strings.Join(parts, ", "))
		} else if hw.L2.Known() {
			row("caches", fmt.Sprintf("L1d %s, L2 %s, L3 %s", size(hw.L1D.Value), size(hw.L2.Value), size(hw.L3.Value)), hw.L2.Source)
		}
	}
	if len(os.Nodes) > 1 {
		var parts []string
		for _, n := range os.Nodes {
			parts = append(parts, fmt.Sprintf("node%d %s distances %s", n.ID, n.CPUs, ints(n.Distances)))
		}
		row("NUMA", strings.Join(parts, "; "))
	}
	row("isolated", setText(os.Isolated), os.Isolated.Source)
	if os.NohzFull.Known() {
		row("nohz_full", setText(os.NohzFull), os.NohzFull.Source)
	}
	if !os.Efficiency.Value.IsEmpty() {
		row("efficiency cores", os.Efficiency.Value.String(), os.Efficiency.Source)
	}
	if len(os.CPUs) > 0 && os.CPUs[0].Governor != "" {
		row("governor", os.CPUs[0].Governor+" (CPU "+strconv.Itoa(os.CPUs[0].ID)+")")
	}

	fmt.Fprintf(tw, "\nProcess limits\n")
	row("allowed CPUs", setText(p.Allowed), p.Allowed.Source)
	if p.CgroupVersion.Known() {
		row("cgroup", fmt.Sprintf("v%d %s", p.CgroupVersion.Value, p.Cgroup.Value))
	}
	quota := "none"
	if !p.Quota.Known() {
		quota = "unknown, assumed none"
	} else if p.Quota.Value > 0 {
		quota = fmt.Sprintf("%.3g CPUs", p.Quota.Value)
	}
	row("CPU quota", quota, p.Quota.Source)
	if p.Cpuset.Known() {
		row("cpuset", p.Cpuset.Value.String(), p.Cpuset.Source)
	}
	row("GOMAXPROCS", strconv.Itoa(p.GOMAXPROCS.Value), p.GOMAXPROCS.Source)
	row("usable CPUs", orNone(s.Usable().String()))

	if m := r.Measurements; m != nil {
		fmt.Fprintf(tw, "\nMeasurements (%v)\n", time.Duration(m.ElapsedNS).Round(10*time.Millisecond))
		for _, l := range m.Latency {
			row(fmt.Sprintf("CAS round trip %d-%d", l.A, l.B), l.Summary())
		}
		if fs := m.FalseSharing; fs != nil {
			if len(fs.Spacings) > 0 {
				var parts []string
				for _, sp := range fs.Spacings {
					parts = append(parts, fmt.Sprintf("%dB %.1f ns (x%.2f)", sp.Bytes, sp.NSPerOp, sp.Slowdown))
				}
				row(fmt.Sprintf("false sharing %d-%d", fs.CPUs[0], fs.CPUs[1]), strings.Join(parts, ", "))
			}
			row("false-sharing distance", fs.Summary())
		}
	}

	rec := r.Recommendation
	fmt.Fprintf(tw, "\nRecommendation for %s, %s, %d-byte events\n", plural(c.producers, "producer"), plural(c.consumers, "consumer"), c.eventSize)
	row("pad", fmt.Sprintf("%d bytes", rec.Layout.PadBytes))
	row("ring", fmt.Sprintf("%d slots", rec.Layout.RingSize))
	row("wait", string(rec.Layout.Wait))
	var prod []string
	for _, cpu := range rec.Affinity.Producers {
		prod = append(prod, cpuText(cpu))
	}
	var cons []string
	for _, pl := range rec.Affinity.Consumers {
		cons = append(cons, cpuText(pl.CPU))
	}
	row("producer CPUs", strings.Join(prod, ", "))
	row("consumer CPUs", strings.Join(cons, ", "))
	tw.Flush()

	fmt.Fprintf(w, "\nWhy\n")
	for _, reason := range rec.Reasons {
		fmt.Fprintf(w, "  %-9s %s\n", reason.Topic, reason.Text)
	}
	if t := r.Profile.Tuning; t != nil {
		writeTuning(w, t)
	}
	if len(s.Conflicts) > 0 {
		fmt.Fprintf(w, "\nConflicts between sources\n")
		for _, c := range s.Conflicts {
			fmt.Fprintf(w, "  %s: %s\n", c.Topic, c.Text)
		}
	}
	if len(s.Notes) > 0 {
		fmt.Fprintf(w, "\nNotes\n")
		for _, n := range s.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
}

// writeTuning prints -tune's evidence: one row per candidate with its
// median figure, its median ratio to the default with the interval, and
// the verdict, then the choice and the method.
func writeTuning(w io.Writer, t *affinity.Tuning) {
	state := ""
	if t.Interrupted {
		state = ", interrupted: the rounds completed are kept"
	}
	fmt.Fprintf(w, "\nTuning: %s, %s, %s in %v%s\n", t.Shape, t.Objective, plural(t.Rounds, "round"), time.Duration(t.ElapsedNS).Round(100*time.Millisecond), state)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "  candidate\tmedian %s\tvs default\tinterval\t\n", t.Unit)
	for _, c := range t.Candidates {
		med, ratio, iv := "-", "-", "-"
		if len(c.Figures) > 0 {
			med, ratio, iv = fmt.Sprintf("%.1f", c.Median), fmt.Sprintf("%.2fx", c.Ratio), fmt.Sprintf("%.2f-%.2f", c.Low, c.High)
		}
		mark := "  "
		if c.Name == t.Chosen {
			mark = "* "
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t  %s\n", mark, c.Name, med, ratio, iv, c.Verdict)
	}
	tw.Flush()
	fmt.Fprintf(w, "  chosen (*): %s\n  method: %s\n", t.Why, t.Method)
}

func lineText(hw, os probe.Fact[int]) string {
	var parts []string
	if os.Known() {
		parts = append(parts, fmt.Sprintf("%d bytes from sysfs", os.Value))
	}
	if hw.Known() {
		parts = append(parts, fmt.Sprintf("%d bytes from %s", hw.Value, hw.Source))
	}
	if len(parts) == 0 {
		return "unknown"
	}
	return strings.Join(parts, ", ")
}

func setText(f probe.Fact[affinity.CPUSet]) string {
	if !f.Known() {
		return "unknown"
	}
	return orNone(f.Value.String())
}

func cpuText(cpu int) string {
	if cpu < 0 {
		return "not pinned"
	}
	return strconv.Itoa(cpu)
}

func size(n int) string {
	switch {
	case n <= 0:
		return "?"
	case n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "M"
	case n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "K"
	}
	return strconv.Itoa(n)
}

func ints(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown host"
	}
	return s
}
