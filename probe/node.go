package probe

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/eventbus/eventbus/affinity"
)

// Node is one NUMA node.
type Node struct {
	// ID is the node number.
	ID int `json:"id"`
	// CPUs are the node's CPUs (nodeN/cpulist).
	CPUs affinity.CPUSet `json:"cpus"`
	// Distances are the ACPI SLIT distances from this node to each node, by
	// node number (nodeN/distance); 10 is local.
	Distances []int `json:"distances,omitempty"`
}

// parseDistance parses a nodeN/distance file: distances separated by spaces.
func parseDistance(file string, data []byte) ([]int, error) {
	var out []int
	for _, f := range strings.Fields(string(data)) {
		d, err := strconv.Atoi(f)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%w: %s: %q is not a distance", ErrMalformed, file, f)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: %s: no distances", ErrMalformed, file)
	}
	return out, nil
}

// readNodes reads /sys/devices/system/node/node*. Machines and containers
// without NUMA support have no such directory; they give a note and no
// nodes, and the caller treats the machine as one node.
func (fsys FS) readNodes(n *notes) []Node {
	dirs := fsys.glob("sys/devices/system/node/node[0-9]*")
	if len(dirs) == 0 {
		fsys.rec.add("sys/devices/system/node")
		n.add("/sys/devices/system/node/node*: not present; treating the machine as one NUMA node")
		return nil
	}
	var out []Node
	for _, d := range dirs {
		id, err := strconv.Atoi(strings.TrimPrefix(path.Base(d), "node"))
		if err != nil {
			continue
		}
		nd := Node{ID: id}
		if s, err := fsys.readCPUList(path.Join(d, "cpulist")); err != nil {
			n.add(err.Error())
		} else {
			nd.CPUs = s.Value
		}
		if b, err := fsys.readFile(path.Join(d, "distance")); err != nil {
			n.add(err.Error())
		} else if dist, err := parseDistance(name(path.Join(d, "distance")), b); err != nil {
			n.add(err.Error())
		} else {
			nd.Distances = dist
		}
		out = append(out, nd)
	}
	sortNodes(out)
	return out
}

func sortNodes(ns []Node) {
	for i := 1; i < len(ns); i++ {
		for j := i; j > 0 && ns[j].ID < ns[j-1].ID; j-- {
			ns[j], ns[j-1] = ns[j-1], ns[j]
		}
	}
}
