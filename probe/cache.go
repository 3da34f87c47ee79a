package probe

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/eventbus/eventbus/affinity"
)

// Cache is one CPU cache as sysfs describes it in cpuN/cache/indexM.
type Cache struct {
	// Level is 1, 2, 3 (or 4).
	Level int `json:"level"`
	// Type is "Data", "Instruction" or "Unified".
	Type string `json:"type"`
	// Size is the capacity in bytes, 0 when unknown.
	Size int `json:"size"`
	// LineSize is coherency_line_size in bytes, 0 when unknown.
	LineSize int `json:"line_size,omitempty"`
	// SharedWith lists the CPUs that share this cache (shared_cpu_list).
	SharedWith affinity.CPUSet `json:"shared_with"`
}

// cacheFiles are the files of one cache/indexM directory, by field.
type cacheFiles struct {
	level, typ, size, shared []byte
}

// parseCache turns the files of one cache/indexM directory into a Cache,
// all but its line size (parseLineSize). dir names the directory in
// errors. Level and type are required; the others may be nil (absent).
func parseCache(dir string, f cacheFiles) (Cache, error) {
	var c Cache
	var err error
	if c.Level, err = parseIntFile(dir+"/level", f.level); err != nil {
		return Cache{}, err
	}
	c.Type = strings.TrimSpace(string(f.typ))
	switch c.Type {
	case "Data", "Instruction", "Unified":
	default:
		return Cache{}, fmt.Errorf("%w: %s/type: unknown cache type %s", ErrMalformed, dir, quote(c.Type))
	}
	if f.size != nil {
		if c.Size, err = parseSize(dir+"/size", f.size); err != nil {
			return Cache{}, err
		}
	}
	if f.shared != nil {
		if c.SharedWith, err = parseCPUListFile(dir+"/shared_cpu_list", f.shared); err != nil {
			return Cache{}, err
		}
	}
	return c, nil
}

// Cache line sizes hardware has: a power of two between these bounds.
// Today's processors use 64 (x86, most arm64), 128 (Apple, some arm64 and
// POWER) and 256 (IBM Z); 16 and 1024 leave room on both sides.
const (
	minLine = 16
	maxLine = 1024
)

// validLine reports whether n is a cache line size hardware has.
func validLine(n int) bool { return n >= minLine && n <= maxLine && n&(n-1) == 0 }

// parseLineSize parses a coherency_line_size file. A value that is not a
// power of two from 16 to 1024 bytes wraps ErrMalformed: no cache has
// such lines.
func parseLineSize(file string, data []byte) (int, error) {
	n, err := parseIntFile(file, data)
	if err != nil {
		return 0, err
	}
	if !validLine(n) {
		return 0, fmt.Errorf("%w: %s: %d is not a cache line size (a power of two from %d to %d bytes)", ErrMalformed, file, n, minLine, maxLine)
	}
	return n, nil
}

// readCaches reads cpuN/cache/index*. A missing cache directory (as on some
// VMs and arm64 boards without ACPI PPTT) gives a note and no caches.
func (fsys FS) readCaches(id int, n *notes) []Cache {
	dir := cpuDir(id) + "/cache"
	indexes, err := fsys.numbered(dir, "index")
	switch {
	case isNotExist(err) || (err == nil && len(indexes) == 0):
		n.add(generic(fmt.Sprintf("%s/index*: not present; cache sizes and sharing from sysfs are unknown", name(dir)), id))
		return nil
	case err != nil:
		n.add(err.Error() + "; cache sizes and sharing from sysfs are unknown")
		return nil
	}
	var out []Cache
	for _, index := range indexes {
		d := dir + "/index" + strconv.Itoa(index)
		var f cacheFiles
		var line []byte
		var missing []string
		for _, x := range []struct {
			file string
			dst  *[]byte
		}{
			{"level", &f.level}, {"type", &f.typ}, {"size", &f.size},
			{"coherency_line_size", &line}, {"shared_cpu_list", &f.shared},
		} {
			b, err := fsys.readFile(path.Join(d, x.file))
			switch {
			case isNotExist(err):
				missing = append(missing, x.file)
			case err != nil:
				n.add(err.Error())
				missing = append(missing, x.file)
			default:
				*x.dst = b
			}
		}
		if f.level == nil || f.typ == nil {
			n.add(generic(fmt.Sprintf("%s: missing %s; cache skipped", name(d), strings.Join(missing, ", ")), id))
			continue
		}
		c, err := parseCache(name(d), f)
		if err != nil {
			n.add(err.Error())
			continue
		}
		if line != nil {
			if c.LineSize, err = parseLineSize(name(d+"/coherency_line_size"), line); err != nil {
				n.add(err.Error() + "; this cache's line size is taken as unknown")
			}
		}
		if c.SharedWith.IsEmpty() {
			c.SharedWith = affinity.NewCPUSet(id)
		}
		out = append(out, c)
	}
	return out
}
