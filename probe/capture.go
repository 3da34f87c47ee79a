package probe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
)

// Capture copies the files the probe reads from src into the directory dst,
// so that NewFS(dst) later reads the same machine: to send a topology in, or
// to replay it in tests. dst must be absent or an empty directory.
//
// It copies what the probe read, as it read it: only regular files, each
// within the probe's cap, and of /proc/cpuinfo only the beginning the
// probe uses. Every file is written through an os.Root opened on dst, so
// no path, whatever the source tree holds, can make Capture write outside
// dst.
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
	r, done, err := src.open()
	if err != nil {
		return nil, err
	}
	defer done()
	rec := &recorder{files: map[string][]byte{}}
	r.rec = rec
	snap, err := r.Read()
	if err != nil {
		return nil, err
	}
	_, _ = r.readPrefix(fileCPUInfo)
	_, _ = r.readFile(fileStatus)

	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRoot, err)
	}
	out, err := os.OpenRoot(dst)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadRoot, err)
	}
	defer out.Close()
	var written []string
	write := func(rel string, data []byte) error {
		if err := out.MkdirAll(path.Dir(rel), 0o755); err != nil {
			return fmt.Errorf("capturing %s: %w", name(rel), err)
		}
		if err := out.WriteFile(rel, data, 0o644); err != nil {
			return fmt.Errorf("capturing %s: %w", name(rel), err)
		}
		written = append(written, rel)
		return nil
	}
	for _, rel := range rec.list() {
		b := rec.files[rel]
		if rel == fileStatus {
			b = allowedLines(b)
		}
		if err := write(rel, b); err != nil {
			return written, err
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
