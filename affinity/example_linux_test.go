package affinity_test

import (
	"fmt"

	"github.com/eventbus/eventbus/affinity"
)

func ExampleLoadProfile() {
	p, err := affinity.LoadProfile("testdata/profile.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Layout.PadBytes, p.Layout.RingSize, p.Layout.Wait)
	for _, c := range p.Affinity.Consumers {
		fmt.Printf("consumer %q on cpu %d\n", c.Name, c.CPU)
	}

	_, err = affinity.LoadProfile("testdata/other_host.json")
	fmt.Println(err != nil)
	// Output:
	// 128 1024 phased-backoff
	// consumer "journal" on cpu -1
	// consumer "replicator" on cpu -1
	// consumer "" on cpu -1
	// true
}

func ExamplePinCPU() {
	allowed, err := affinity.Allowed()
	if err != nil {
		fmt.Println(err)
		return
	}
	cpu := allowed.CPUs()[0] // a CPU this process may use, wherever it runs

	release, err := affinity.PinCPU(cpu)
	if err != nil {
		fmt.Println(err)
		return
	}
	mask, _ := affinity.Current()
	now, _ := affinity.CPU()
	fmt.Println("mask is that cpu:", mask.Equal(affinity.NewCPUSet(cpu)))
	fmt.Println("runs there:", now == cpu)
	release()

	mask, _ = affinity.Current()
	fmt.Println("released:", mask.Equal(allowed))

	_, err = affinity.PinCPU(4096)
	fmt.Println(err != nil)
	// Output:
	// mask is that cpu: true
	// runs there: true
	// released: true
	// true
}

func ExamplePinPlan() {
	allowed, _ := affinity.Allowed()
	plan := affinity.Plan{Consumers: []affinity.Placement{
		{Name: "journal", CPU: allowed.CPUs()[0]},
		{Name: "replicator", CPU: -1},
	}}
	pin := affinity.PinPlan(plan)

	// The bus calls pin on each consumer's own goroutine.
	done := make(chan struct{})
	go func() {
		defer close(done)
		release, err := pin("journal", 0)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer release()
		mask, _ := affinity.Current()
		fmt.Println("journal pinned:", mask.Len() == 1)
	}()
	<-done

	release, err := pin("replicator", 1) // CPU -1: nothing to pin
	mask, _ := affinity.Current()
	fmt.Println("replicator:", err, mask.Equal(allowed))
	release()
	// Output:
	// journal pinned: true
	// replicator: <nil> true
}

func ExampleThreads() {
	allowed, _ := affinity.Allowed()
	cpu := allowed.CPUs()[0]
	plan := affinity.Plan{Producers: []int{cpu}}

	release, err := affinity.PinProducer(plan, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer release()

	threads, err := affinity.Threads()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range threads {
		if t.Label == "producer 0" {
			fmt.Println(t.Label, "sits on its cpu:", t.Allowed.Equal(affinity.NewCPUSet(cpu)) && t.LastCPU == cpu)
		}
	}
	// Output:
	// producer 0 sits on its cpu: true
}
