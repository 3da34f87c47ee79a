package probe

import (
	"fmt"
	"path"
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
	level, typ, size, line, shared []byte
}

// parseCache turns the files of one cache/indexM directory into a Cache.
// dir names the directory in errors. Level and type are required; the
// others may be nil (absent).
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
		return Cache{}, fmt.Errorf("%w: %s/type: unknown cache type %q", ErrMalformed, dir, c.Type)
	}
	if f.size != nil {
		if c.Size, err = parseSize(dir+"/size", f.size); err != nil {
			return Cache{}, err
		}
	}
	if f.line != nil {
		if c.LineSize, err = parseIntFile(dir+"/coherency_line_size", f.line); err != nil {
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

// readCaches reads cpuN/cache/index*. A missing cache directory (as on some
// VMs and arm64 boards without ACPI PPTT) gives a note and no caches.
func (fsys FS) readCaches(id int, n *notes) []Cache {
	dirs := fsys.glob(cpuDir(id) + "/cache/index[0-9]*")
	if len(dirs) == 0 {
		fsys.rec.add(cpuDir(id) + "/cache")
		n.add(generic(fmt.Sprintf("%s/cache/index*: not present; cache sizes and sharing from sysfs are unknown", name(cpuDir(id))), id))
		return nil
	}
	var out []Cache
	for _, d := range dirs {
		var f cacheFiles
		var missing []string
		for _, x := range []struct {
			file string
			dst  *[]byte
			need bool
		}{
			{"level", &f.level, true}, {"type", &f.typ, true}, {"size", &f.size, false},
			{"coherency_line_size", &f.line, false}, {"shared_cpu_list", &f.shared, false},
		} {
			b, err := fsys.readFile(path.Join(d, x.file))
			if err != nil {
				missing = append(missing, x.file)
				continue
			}
			*x.dst = b
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
		if c.SharedWith.IsEmpty() {
			c.SharedWith = affinity.NewCPUSet(id)
		}
		out = append(out, c)
	}
	return out
}
