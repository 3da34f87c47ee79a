package probe

import "errors"

// Sentinel errors. Every error the package returns wraps one of them (with
// %w) and names the file or value that was wrong, so callers can test with
// errors.Is and people can read the message.
var (
	// ErrMalformed is wrapped by errors for a file or value whose content
	// does not parse: a bad cpu list, a non-numeric size, a truncated line.
	ErrMalformed = errors.New("probe: malformed input")
	// ErrMissing is wrapped by errors for a file the probe needs that is
	// absent, as in containers, on old kernels and on non-Linux systems.
	// Such errors also wrap fs.ErrNotExist.
	ErrMissing = errors.New("probe: missing file")
	// ErrSkipped is wrapped by errors for a file the probe found but did
	// not read: not a regular file (a named pipe, a device, a directory),
	// larger than the probe's cap on one file, or reached through a link
	// or a path that leads out of the root. The message says which.
	ErrSkipped = errors.New("probe: file skipped")
	// ErrBadRoot is returned by NewFS for a root that is not a readable
	// directory.
	ErrBadRoot = errors.New("probe: unreadable root")
	// ErrUnsupported is returned by measurements that cannot run on this
	// operating system or with this set of CPUs.
	ErrUnsupported = errors.New("probe: not supported here")
	// ErrStalled is returned by a measurement whose partner thread stopped
	// answering within its time bound, as when a hypervisor deschedules a
	// vCPU for a long time.
	ErrStalled = errors.New("probe: measurement partner stalled")
)
