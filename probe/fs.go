package probe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/eventbus/eventbus/affinity"
)

// FS reads the files the probe needs below a root directory: "/" for the
// machine the program runs on, or a tree captured from another machine with
// Capture. Its zero value is not usable; call NewFS or NewDefaultFS.
//
// Only an FS rooted at "/" is live: it takes the hardware view from the
// CPUID instruction, the allowed CPUs from sched_getaffinity (through
// affinity.Allowed) and GOMAXPROCS from the runtime. Any other root is a
// replay, and every fact comes from files in the tree.
//
// # Confinement
//
// The tree is untrusted input, and so are the paths found in it (the
// cgroup lines of /proc/self/cgroup). Every open, stat and directory
// listing goes through one os.Root opened on the root directory, which
// keeps them, symbolic links included, inside it: a link or a ".." that
// leads out of the tree is not followed, and the file is skipped with a
// note. Only regular files are read, never more than maxFileSize bytes of
// one; a named pipe, a device, a directory or an oversized file in place
// of a kernel file is skipped with a note naming it and why, and Read
// never hangs on it or reads it whole.
type FS struct {
	root string
	live bool
	dir  *os.Root  // open for the duration of Read and Capture, nil otherwise
	rec  *recorder // non-nil while capturing: remembers every file read

	// sub, when not nil, is an os.Root opened through dir on the directory
	// subDir: paths below subDir are opened through it, which walks fewer
	// directories per file (see within).
	sub    *os.Root
	subDir string
}

// maxFileSize is the most the probe reads of one file: 64 KiB. The kernel
// files it reads are far smaller on every real machine: sysfs attributes
// print one page (4 KiB) at most, save the cpu lists that newer kernels let
// grow past it, and the longest cpu list a kernel can print (every other
// CPU of NR_CPUS = 8192, "0,2,4,...,8190") is about 20 KiB; a
// /proc/self/status is about 1.5 KiB plus a 2 KiB Cpus_allowed mask at
// 8192 CPUs. /proc/cpuinfo is the exception (about 1.5 KiB per CPU on x86),
// and the probe reads only its first 64 KiB (readPrefix): the header and
// the first processor's entry it needs come first. A larger file is
// skipped, so a hostile tree cannot make the probe allocate more than this
// per file.
const maxFileSize = 64 << 10

// maxDirEntries is the most entries the probe lists in one directory: one
// cpuN per possible CPU number (affinity.MaxCPU+1) and room for the other
// entries of /sys/devices/system/cpu.
const maxDirEntries = 1 << 17

// NewFS returns an FS rooted at root. It fails, wrapping ErrBadRoot, when
// root is not a readable directory.
func NewFS(root string) (FS, error) {
	if root == "" {
		return FS{}, fmt.Errorf("%w: empty root directory", ErrBadRoot)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return FS{}, fmt.Errorf("%w: %s: %v", ErrBadRoot, root, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return FS{}, fmt.Errorf("%w: %w", ErrBadRoot, err)
	}
	if !st.IsDir() {
		return FS{}, fmt.Errorf("%w: %s is not a directory", ErrBadRoot, root)
	}
	if _, err := os.ReadDir(abs); err != nil {
		return FS{}, fmt.Errorf("%w: %w", ErrBadRoot, err)
	}
	return FS{root: abs, live: abs == string(filepath.Separator)}, nil
}

// NewDefaultFS returns the live FS rooted at "/".
func NewDefaultFS() FS { return FS{root: string(filepath.Separator), live: true} }

// Root returns the directory fs reads below.
func (fsys FS) Root() string { return fsys.root }

// Live reports whether fs reads the running machine rather than a capture.
func (fsys FS) Live() bool { return fsys.live }

// open returns a copy of fsys with its root directory open, and the
// function that closes it. It fails, wrapping ErrBadRoot, when the root
// cannot be opened.
func (fsys FS) open() (FS, func(), error) {
	if fsys.root == "" {
		return fsys, nil, fmt.Errorf("%w: FS has no root; use NewFS or NewDefaultFS", ErrBadRoot)
	}
	dir, err := os.OpenRoot(fsys.root)
	if err != nil {
		return fsys, nil, fmt.Errorf("%w: %w", ErrBadRoot, err)
	}
	fsys.dir = dir
	return fsys, func() { dir.Close() }, nil
}

// within returns a copy of fsys that opens the paths below dir through an
// os.Root on dir, and the function that closes it. The probe reads a dozen
// files below each cpuN directory; opening them from there rather than
// from the root saves walking five directories per file, and confinement
// is the same (a root opened inside the root). When dir cannot be opened
// the copy reads through the root, and the reads report the error.
func (fsys FS) within(dir string) (FS, func()) {
	sub, err := fsys.dir.OpenRoot(dir)
	if err != nil {
		return fsys, func() {}
	}
	fsys.sub, fsys.subDir = sub, dir+"/"
	return fsys, func() { sub.Close() }
}

// resolve returns the root to open rel through and the path to open there.
func (fsys FS) resolve(rel string) (*os.Root, string) {
	if fsys.dir == nil {
		panic("probe: read outside Read or Capture")
	}
	if fsys.sub != nil {
		if r, ok := strings.CutPrefix(rel, fsys.subDir); ok {
			return fsys.sub, r
		}
	}
	return fsys.dir, rel
}

// name returns the path a message should show for rel: the absolute kernel
// path, as it would be on the probed machine.
func name(rel string) string { return "/" + rel }

// readFile reads the regular file at rel, a slash-separated path below the
// root such as "sys/devices/system/cpu/online". A missing file wraps both
// ErrMissing and fs.ErrNotExist; a file that is not regular, is larger
// than maxFileSize or cannot be reached inside the root wraps ErrSkipped.
func (fsys FS) readFile(rel string) ([]byte, error) {
	b, err := fsys.read(rel)
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		return nil, fmt.Errorf("%w: %s: larger than the %d KiB a kernel file of its kind can be", ErrSkipped, name(rel), maxFileSize>>10)
	}
	fsys.rec.add(rel, b)
	return b, nil
}

// readPrefix reads the first maxFileSize bytes of the regular file at rel,
// cut after its last complete line, for a file of which the probe needs
// only the beginning. Its errors are readFile's.
func (fsys FS) readPrefix(rel string) ([]byte, error) {
	b, err := fsys.read(rel)
	if err != nil {
		return nil, err
	}
	if len(b) > maxFileSize {
		b = b[:bytes.LastIndexByte(b[:maxFileSize], '\n')+1]
	}
	fsys.rec.add(rel, b)
	return b, nil
}

// read returns up to maxFileSize+1 bytes of the regular file at rel. It
// checks the file's type before opening it, so that a device is never
// opened, and again on the open file, so that a file swapped for a named
// pipe in between is not read; the open does not block on a pipe.
func (fsys FS) read(rel string) ([]byte, error) {
	dir, p := fsys.resolve(rel)
	st, err := dir.Stat(p)
	if err != nil {
		return nil, openError(rel, err)
	}
	if !st.Mode().IsRegular() {
		return nil, notRegular(rel, st.Mode())
	}
	f, err := dir.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, openError(rel, err)
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil {
		return nil, openError(rel, err)
	}
	if !st.Mode().IsRegular() {
		return nil, notRegular(rel, st.Mode())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, openError(rel, err)
	}
	return b, nil
}

// isDir reports whether rel is a directory inside the root.
func (fsys FS) isDir(rel string) bool {
	dir, p := fsys.resolve(rel)
	st, err := dir.Stat(p)
	return err == nil && st.IsDir()
}

// numbered returns, in ascending order, the numbers N of the directories
// named prefix+N (decimal, at most affinity.MaxCPU) in the directory rel: the
// cpuN of /sys/devices/system/cpu, the nodeN, the cache indexN. It reads
// at most maxDirEntries entries and fails, wrapping ErrSkipped, on a
// directory with more.
func (fsys FS) numbered(rel, prefix string) ([]int, error) {
	dir, p := fsys.resolve(rel)
	f, err := dir.Open(p)
	if err != nil {
		return nil, openError(rel, err)
	}
	defer f.Close()
	var out []int
	for seen := 0; ; {
		entries, err := f.ReadDir(1024)
		for _, e := range entries {
			if id, ok := number(e.Name(), prefix); ok && e.IsDir() {
				out = append(out, id)
			}
		}
		if seen += len(entries); seen > maxDirEntries {
			return nil, fmt.Errorf("%w: %s: more than %d entries", ErrSkipped, name(rel), maxDirEntries)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, openError(rel, err)
		}
	}
	slices.Sort(out)
	return out, nil
}

// number returns N for a name prefix+N with N decimal, without sign or
// leading zeros, and at most affinity.MaxCPU (CPU, node and cache index
// numbers all are).
func number(s, prefix string) (int, bool) {
	digits, ok := strings.CutPrefix(s, prefix)
	if !ok || digits == "" || len(digits) > 5 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil && n <= affinity.MaxCPU
}

// openError turns an error from opening or reading rel into the probe's:
// ErrMissing for a file that does not exist, ErrSkipped for everything
// else, among them a path that leads out of the root. The message names
// the file as the kernel would and the reason, not the path in the tree.
func openError(rel string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s: %w", ErrMissing, name(rel), fs.ErrNotExist)
	}
	return fmt.Errorf("%w: %s: %w", ErrSkipped, name(rel), err)
}

// notRegular is the error for a file at rel of the given mode that the
// probe does not read.
func notRegular(rel string, mode fs.FileMode) error {
	what := "not a regular file"
	switch {
	case mode.IsDir():
		what = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeCharDevice != 0:
		what = "a character device"
	case mode&fs.ModeDevice != 0:
		what = "a block device"
	}
	return fmt.Errorf("%w: %s: %s, not a regular file", ErrSkipped, name(rel), what)
}

// recorder collects the files an FS reads and what it read of them, for
// Capture. Only the private copy of an FS that Capture makes has one.
type recorder struct {
	files map[string][]byte
}

func (r *recorder) add(rel string, data []byte) {
	if r != nil {
		r.files[path.Clean(rel)] = data
	}
}

// list returns the paths recorded, sorted.
func (r *recorder) list() []string {
	return slices.Sorted(maps.Keys(r.files))
}
