package scenario

// Channels is a scenario's consumer graph on goroutines and buffered
// channels.
type Channels struct {
	// Sums yields each leaf consumer's sum once Close was called and the
	// leaf has drained its input: Leaves values in all.
	Sums <-chan int64
	// Leaves is how many sums Sums yields.
	Leaves int
	in     []chan Event // the inputs; every event goes to each
}

// Send sends the event with value v to every input of the graph. Several
// producers may call it at once.
func (c *Channels) Send(v int64) {
	for _, in := range c.in {
		in <- Event{V: v}
	}
}

// Close closes the inputs. Call it once, after every Send has returned.
func (c *Channels) Close() {
	for _, in := range c.in {
		close(in)
	}
}

// stage passes each event from in to out after f filled in its field, and
// closes out when in is closed.
func stage(in <-chan Event, out chan<- Event, f func(e *Event)) {
	for e := range in {
		f(&e)
		out <- e
	}
	close(out)
}

// sink sends the sum of f over in's events to out when in is closed.
func sink(in <-chan Event, f func(e *Event) int64, out chan<- int64) {
	var s int64
	for e := range in {
		s += f(&e)
	}
	out <- s
}

func value(e *Event) int64 { return e.V }

// chanSum is unicast's graph and the sequencers': one consumer.
func chanSum(size int) *Channels {
	c := make(chan Event, size)
	out := make(chan int64, 1)
	go sink(c, value, out)
	return &Channels{Sums: out, Leaves: 1, in: []chan Event{c}}
}

func chanPipeline(size int) *Channels {
	c1, c2, c3 := make(chan Event, size), make(chan Event, size), make(chan Event, size)
	out := make(chan int64, 1)
	go stage(c1, c2, func(e *Event) { e.A = e.V + 1 })
	go stage(c2, c3, func(e *Event) { e.B = e.A + 1 })
	go sink(c3, func(e *Event) int64 { return e.B - 2 }, out)
	return &Channels{Sums: out, Leaves: 1, in: []chan Event{c1}}
}

func chanMulticast(size int) *Channels {
	in := make([]chan Event, 3)
	out := make(chan int64, len(in))
	for i := range in {
		in[i] = make(chan Event, size)
		go sink(in[i], value, out)
	}
	return &Channels{Sums: out, Leaves: len(in), in: in}
}

func chanDiamond(size int) *Channels {
	ca, cb := make(chan Event, size), make(chan Event, size)
	oa, ob := make(chan Event, size), make(chan Event, size)
	out := make(chan int64, 1)
	go stage(ca, oa, func(e *Event) { e.A = e.V + 1 })
	go stage(cb, ob, func(e *Event) { e.B = e.V + 1 })
	go func() {
		var s int64
		for a := range oa {
			b := <-ob
			s += a.A + b.B - 2
		}
		out <- s
	}()
	return &Channels{Sums: out, Leaves: 1, in: []chan Event{ca, cb}}
}
