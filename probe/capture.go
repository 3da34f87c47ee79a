package probe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Capture copies the files the probe reads from src into the directory dst,
// so that NewFS(dst) later reads the same machine: to send a topology in, or
// to replay it in tests. dst must be absent or an empty directory.
//
// Besides the kernel files it writes busprobe/cpuid.json (the cpuid facts,
// which a replay cannot execute) and busprobe/gomaxprocs when src is live,
// and it keeps only the Cpus_allowed lines of /proc/self/status. It returns
// the slash-separated paths written, sorted.
func Capture(src FS, dst string) ([]string, error) {
	if entries, err := os.ReadDir(dst); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("%w: capture directory %s is not empty", ErrBadRoot, dst)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", ErrBadRoot, err)
	}
	rec := &recorder{paths: map[string]bool{}}
	r := src
	r.rec = rec
	snap, err := r.Read()
	if err != nil {
		return nil, err
	}
	_, _ = r.readFile(fileCPUInfo)
	_, _ = r.readFile(fileStatus)

	var written []string
	write := func(rel string, data []byte) error {
		p := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		written = append(written, rel)
		return nil
	}
	for _, rel := range rec.list() {
		b, err := os.ReadFile(filepath.Join(src.root, filepath.FromSlash(rel)))
		if err != nil {
			continue // absent on the source: absent in the capture too
		}
		if rel == fileStatus {
			b = allowedLines(b)
		}
		if err := write(rel, b); err != nil {
			return written, fmt.Errorf("capturing %s: %w", name(rel), err)
		}
	}
	if src.live {
		b, err := json.MarshalIndent(LiveCPUID(), "", "  ")
		if err != nil {
			return written, err
		}
		if err := write(fileCPUID, append(b, '\n')); err != nil {
			return written, err
		}
		if err := write(fileGOMAXPROCS, []byte(strconv.Itoa(snap.Process.GOMAXPROCS.Value)+"\n")); err != nil {
			return written, err
		}
	}
	return written, nil
}

// allowedLines keeps the Cpus_allowed lines of a status file, dropping the
// process name, ids and memory figures that are no business of a capture.
func allowedLines(status []byte) []byte {
	var b strings.Builder
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "Cpus_allowed") {
			b.WriteString(line + "\n")
		}
	}
	return []byte(b.String())
}
