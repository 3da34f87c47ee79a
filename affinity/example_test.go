package affinity_test

import (
	"context"
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
	isolated := affinity.MustParseCPUList("2-3,10")
	fmt.Println(set.Intersect(isolated), set.Difference(isolated))

	_, err = affinity.ParseCPUList("0-3,x")
	fmt.Println(err)
	// Output:
	// 0-3,8-11 8 true [0 1 2 3 8]
	// 2-3,10 0-1,8-9,11
	// affinity: bad cpu list "0-3,x": element 2 "x": "x" is not a cpu number
}

func ExampleCheckProfile() {
	p := affinity.DefaultProfile()
	p.Machine.Hostname = "bench1"
	p.Affinity.Consumers = []affinity.Placement{{Name: "journal", CPU: 3}}

	m := affinity.Machine{Hostname: "bench1", Allowed: affinity.NewCPUSet(0, 1)}
	fmt.Println(affinity.CheckProfile(&p, m))

	m.Hostname = "bench2"
	fmt.Println(affinity.CheckProfile(&p, m))
	// Output:
	// affinity: CPU not in the allowed set: affinity.consumers[0] ("journal"): cpu 3 (allowed "0-1")
	// affinity: profile was made for another machine: hostname "bench1", this machine is "bench2"
}

// Load a profile (here one from testdata; busprobe -o writes them) and
// build a bus laid out and pinned as it says.
func ExampleWithProfile() {
	p, err := affinity.LoadProfile("testdata/profile.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := bus.New[int64](affinity.WithProfile(p))
	if err != nil {
		fmt.Println(err)
		return
	}
	var sum int64
	b.HandleEventsWith(bus.HandlerFunc[int64](func(v *int64, _ int64, _ bool) error { sum += *v; return nil }))
	b.Start()
	release, err := affinity.PinProducer(p.Affinity, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := int64(1); i <= 10; i++ {
		b.Publish(func(v *int64, _ int64) { *v = i })
	}
	release()
	if err := b.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(b.Ring().Size(), p.Layout.Wait, sum)
	// Output: 1024 phased-backoff 55
}
