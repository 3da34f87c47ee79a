package probe

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"sync"
)

// FS reads the files the probe needs below a root directory: "/" for the
// machine the program runs on, or a tree captured from another machine with
// Capture. Its zero value is not usable; call NewFS or NewDefaultFS.
//
// Only an FS rooted at "/" is live: it takes the hardware view from the
// CPUID instruction, the allowed CPUs from sched_getaffinity (through
// affinity.Allowed) and GOMAXPROCS from the runtime. Any other root is a replay, and every fact comes from
// files in the tree.
type FS struct {
	root string
	live bool
	rec  *recorder // non-nil while capturing: remembers every path read
}

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

// name returns the path a message should show for rel: the absolute kernel
// path, as it would be on the probed machine.
func name(rel string) string { return "/" + rel }

// readFile reads the file at rel, a slash-separated path below the root
// such as "sys/devices/system/cpu/online". A missing file wraps both
// ErrMissing and fs.ErrNotExist.
func (fsys FS) readFile(rel string) ([]byte, error) {
	fsys.rec.add(rel)
	b, err := os.ReadFile(filepath.Join(fsys.root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s: %w", ErrMissing, name(rel), fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name(rel), err)
	}
	return b, nil
}

// glob returns the slash-separated paths below the root that match pattern,
// sorted.
func (fsys FS) glob(pattern string) []string {
	m, _ := filepath.Glob(filepath.Join(fsys.root, filepath.FromSlash(pattern)))
	out := make([]string, 0, len(m))
	for _, p := range m {
		rel, err := filepath.Rel(fsys.root, p)
		if err == nil {
			out = append(out, filepath.ToSlash(rel))
		}
	}
	sort.Strings(out)
	return out
}

// recorder collects the paths an FS reads, for Capture.
type recorder struct {
	mu    sync.Mutex
	paths map[string]bool
}

func (r *recorder) add(rel string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.paths[path.Clean(rel)] = true
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.paths))
	for p := range r.paths {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
