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

// maxNodes is the most NUMA nodes the probe reads: the kernel's largest
// MAX_NUMNODES (NODES_SHIFT = 10).
const maxNodes = 1024

// parseDistance parses a nodeN/distance file: distances separated by
// spaces, one for each of at most nodes nodes.
func parseDistance(file string, data []byte, nodes int) ([]int, error) {
	var out []int
	for _, f := range strings.Fields(string(data)) {
		if len(out) == nodes {
			return nil, fmt.Errorf("%w: %s: more distances than the %d nodes", ErrMalformed, file, nodes)
		}
		d, err := strconv.Atoi(f)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%w: %s: %s is not a distance", ErrMalformed, file, quote(f))
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
	const dir = "sys/devices/system/node"
	ids, err := fsys.numbered(dir, "node")
	switch {
	case isNotExist(err) || (err == nil && len(ids) == 0):
		n.add(name(dir) + "/node*: not present; treating the machine as one NUMA node")
		return nil
	case err != nil:
		n.add(err.Error() + "; treating the machine as one NUMA node")
		return nil
	case len(ids) > maxNodes:
		n.add(fmt.Sprintf("%s/node*: %d nodes, more than the kernel's %d; treating the machine as one NUMA node", name(dir), len(ids), maxNodes))
		return nil
	}
	var out []Node
	for _, id := range ids {
		d := dir + "/node" + strconv.Itoa(id)
		nd := Node{ID: id}
		if s, err := fsys.readCPUList(path.Join(d, "cpulist")); err != nil {
			n.add(err.Error())
		} else {
			nd.CPUs = s.Value
		}
		if b, err := fsys.readFile(path.Join(d, "distance")); err != nil {
			n.add(err.Error())
		} else if dist, err := parseDistance(name(path.Join(d, "distance")), b, len(ids)); err != nil {
			n.add(err.Error())
		} else {
			nd.Distances = dist
		}
		out = append(out, nd)
	}
	return out
}
