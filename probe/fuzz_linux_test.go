package probe

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fuzzSlots are the files a fuzzed tree may hold, by slot number: the
// kernel files the probe reads, at the paths it reads them. A record with
// a slot past the end names its own path instead.
var fuzzSlots = []string{
	"sys/devices/system/cpu/online",
	"sys/devices/system/cpu/isolated",
	"sys/devices/system/cpu/nohz_full",
	"sys/devices/system/cpu/cpu0/topology/physical_package_id",
	"sys/devices/system/cpu/cpu0/topology/core_id",
	"sys/devices/system/cpu/cpu0/topology/thread_siblings_list",
	"sys/devices/system/cpu/cpu1/topology/thread_siblings_list",
	"sys/devices/system/cpu/cpu1/topology/core_id",
	"sys/devices/system/cpu/cpu1/cache/index0/level",
	"sys/devices/system/cpu/cpu1/cache/index0/type",
	"sys/devices/system/cpu/cpu1/cache/index0/size",
	"sys/devices/system/cpu/cpu1/cache/index0/coherency_line_size",
	"sys/devices/system/cpu/cpu1/cache/index0/shared_cpu_list",
	"sys/devices/system/cpu/cpu1/cpufreq/scaling_governor",
	"sys/devices/system/node/node0/cpulist",
	"sys/devices/system/node/node0/distance",
	"proc/self/cgroup",
	"proc/self/status",
	"proc/sys/kernel/hostname",
	"proc/cpuinfo",
	"sys/fs/cgroup/cpu.max",
	"sys/fs/cgroup/cpuset.cpus.effective",
	"sys/fs/cgroup/cpu/cpu.cfs_quota_us",
	"sys/fs/cgroup/cpu/cpu.cfs_period_us",
	"sys/fs/cgroup/cpuset/cpuset.effective_cpus",
	"busprobe/gomaxprocs",
	"busprobe/cpuid.json",
}

// File kinds a record can make.
const (
	kindFile       = iota // a regular file with the content
	kindFIFO              // a named pipe
	kindDir               // a directory
	kindLinkOut           // an absolute link to the sentinel outside the tree
	kindLinkUp            // a relative link climbing out of the tree to it
	kindLinkZero          // a link to /dev/zero
	kindLinkInside        // a link to the path given as content, in the tree
	kindHuge              // the content repeated past the cap on one file
	kinds
)

// fuzzRecord encodes one file of a fuzzed tree: a byte for the slot and
// one for the kind (each plus one, so that neither is zero), then the
// content; records are separated by a zero byte. For a slot past
// fuzzSlots the content is "path\x01content".
func fuzzRecord(slot, kind int, content string) string {
	return string([]byte{byte(slot + 1), byte(kind + 1)}) + content + "\x00"
}

// buildFuzzTree makes the tree spec describes below root, next to the
// sentinel files in base.
func buildFuzzTree(t *testing.T, base, root string, spec []byte) {
	for rec := range bytes.SplitSeq(spec, []byte{0}) {
		if len(rec) < 2 {
			continue
		}
		slot, kind, content := int(rec[0])-1, (int(rec[1])-1)%kinds, string(rec[2:])
		var rel string
		if slot < len(fuzzSlots) {
			rel = fuzzSlots[slot]
		} else {
			rel, content, _ = strings.Cut(content, "\x01")
			if !filepath.IsLocal(rel) || len(rel) > 200 || strings.ContainsRune(rel, '\\') {
				continue
			}
		}
		p := filepath.Join(root, filepath.FromSlash(rel))
		if os.RemoveAll(p) != nil || os.MkdirAll(filepath.Dir(p), 0o755) != nil {
			continue // a file of the tree is in the way: leave it
		}
		switch kind {
		case kindFile:
			os.WriteFile(p, []byte(content), 0o644)
		case kindFIFO:
			syscall.Mkfifo(p, 0o644)
		case kindDir:
			os.Mkdir(p, 0o755)
		case kindLinkOut:
			os.Symlink(filepath.Join(base, "secret"), p)
		case kindLinkUp:
			os.Symlink(strings.Repeat("../", strings.Count(rel, "/")+3)+"secret", p)
		case kindLinkZero:
			os.Symlink("/dev/zero", p)
		case kindLinkInside:
			if filepath.IsLocal(content) {
				target, err := filepath.Rel(filepath.Dir(p), filepath.Join(root, content))
				if err == nil {
					os.Symlink(target, p)
				}
			}
		case kindHuge:
			if content != "" {
				os.WriteFile(p, bytes.Repeat([]byte(content), maxFileSize/len(content)+1), 0o644)
			}
		}
	}
}

// FuzzReadTree builds a whole tree from the fuzzer's bytes, with regular
// files, named pipes, directories, links out of the tree and to
// /dev/zero, huge files and cgroup lines of the fuzzer's choosing, next
// to sentinel files outside it where such paths and links lead. Reading
// it and recommending must not panic, must finish within two seconds,
// must plan only usable CPUs that sysfs describes, and neither the
// snapshot, the recommendation nor a capture of the tree may hold the
// sentinel or write outside the capture directory.
func FuzzReadTree(f *testing.F) {
	seeds := [][]string{
		{fuzzRecord(0, kindFile, "0-1\n"), fuzzRecord(5, kindFile, "0\n"), fuzzRecord(6, kindFile, "1\n")},
		{fuzzRecord(0, kindFIFO, "")},
		{fuzzRecord(0, kindLinkZero, "")},
		{fuzzRecord(0, kindHuge, "0-65535,")},
		{fuzzRecord(7, kindLinkOut, "")},
		{fuzzRecord(7, kindLinkUp, "")},
		{fuzzRecord(16, kindFile, "4:cpu,xx,../../../../../../outside:/\n")},
		{fuzzRecord(16, kindFile, "3:cpuset:/../..\n0::/../../..\n")},
		{fuzzRecord(16, kindFile, "0::/a/b\n"), fuzzRecord(200, kindFile, "sys/fs/cgroup/a/b/cpu.max\x01max 0\n")},
		{fuzzRecord(20, kindFile, "max -5\n"), fuzzRecord(22, kindFile, "50000\n"), fuzzRecord(23, kindFile, "1\n")},
		{fuzzRecord(11, kindFile, "3\n"), fuzzRecord(25, kindFile, "-3\n"), fuzzRecord(2, kindFile, "(null)\n")},
		{fuzzRecord(0, kindFile, "0-65535\n"), fuzzRecord(17, kindFile, "Cpus_allowed_list:\t0-65535\n")},
		{fuzzRecord(24, kindFile, "0-99999999\n"), fuzzRecord(21, kindFile, "5-2\n")},
		{fuzzRecord(0, kindLinkInside, "elsewhere"), fuzzRecord(200, kindFile, "elsewhere\x010-1\n")},
		{fuzzRecord(200, kindLinkOut, "sys/devices/system/cpu/cpu1/topology\x01")},
	}
	for _, s := range seeds {
		f.Add([]byte(strings.Join(s, "")))
	}
	f.Fuzz(func(t *testing.T, spec []byte) {
		if len(spec) > 4096 {
			return
		}
		base, root := damagedTree(t)
		put(t, base, "secret", sentinel)
		for _, dir := range []string{"outside", "a/outside", "a/b/outside"} {
			put(t, base, dir+"/cpu.cfs_quota_us", sentinel)
			put(t, base, dir+"/cpu.max", sentinel)
			put(t, base, dir+"/cpuset.cpus", sentinel)
		}
		buildFuzzTree(t, base, root, spec)

		s, r := readWithin(t, root, 2*time.Second)
		if j := mustJSON(t, s) + mustJSON(t, r); strings.Contains(j, sentinel) {
			t.Fatalf("the snapshot or recommendation holds a file from outside the tree:\n%s", j)
		}

		src, err := NewFS(root)
		if err != nil {
			t.Fatal(err)
		}
		capture := filepath.Join(base, "x", "y", "capture")
		before := listFiles(t, base)
		written, err := Capture(src, capture)
		if err != nil {
			t.Fatal(err)
		}
		for _, rel := range written {
			if !filepath.IsLocal(rel) {
				t.Errorf("Capture wrote %s, outside the capture directory", rel)
			}
		}
		err = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(base, p)
			inCapture := strings.HasPrefix(filepath.ToSlash(rel), "x/y/capture/")
			if !inCapture {
				for _, b := range before {
					if b == filepath.ToSlash(rel) {
						return nil
					}
				}
				t.Errorf("Capture created %s outside the capture directory", rel)
				return nil
			}
			if !d.Type().IsRegular() {
				t.Errorf("the capture holds %s of type %v", rel, d.Type())
				return nil
			}
			if b, err := os.ReadFile(p); err != nil || bytes.Contains(b, []byte(sentinel)) {
				t.Errorf("the capture copied a file from outside the tree into %s (%v)", rel, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
