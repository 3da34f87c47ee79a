package affinity_test

import (
	"fmt"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

func ExampleParseCPUList() {
	set, err := affinity.ParseCPUList("8-11,0-3,2\n")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(set, set.Len(), set.Contains(9), set.CPUs()[:5])

	_, err = affinity.ParseCPUList("0-3,")
	fmt.Println(err)
	// Output:
	// 0-3,8-11 8 true [0 1 2 3 8]
	// affinity: bad cpu list "0-3,": "": missing cpu number
}

func ExampleCheckProfile() {
	p := bus.DefaultProfile()
	p.Machine.Hostname = "bench1"
	p.Affinity.Consumers = []bus.Placement{{Name: "journal", CPU: 3}}

	m := affinity.Machine{Hostname: "bench1", Allowed: affinity.NewCPUSet(0, 1)}
	fmt.Println(affinity.CheckProfile(&p, m))

	m.Hostname = "bench2"
	fmt.Println(affinity.CheckProfile(&p, m))
	// Output:
	// affinity: CPU not in the allowed set: affinity.consumers[0] ("journal"): cpu 3 (allowed "0-1")
	// affinity: profile was made for another machine: hostname "bench1", this machine is "bench2"
}
