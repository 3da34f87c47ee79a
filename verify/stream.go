package verify

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/anishathalye/porcupine"
)

// Stats counts what a streaming verification has handed to its checkers
// so far, for progress reports while it runs. Its zero value is ready to
// use, and its methods may be called from any goroutine. The checkers
// trail the counts by at most their queue of a few rounds.
type Stats struct {
	ops, rounds, violations atomic.Int64
}

// Ops returns the operations recorded and queued for checking.
func (s *Stats) Ops() int64 { return s.ops.Load() }

// Rounds returns the rounds (stretches between quiescent points) recorded
// and queued for checking.
func (s *Stats) Rounds() int64 { return s.rounds.Load() }

// Violations returns the rounds found not linearizable so far.
func (s *Stats) Violations() int64 { return s.violations.Load() }

// kept is how many rounds before a failing one its visualisation shows.
const kept = 2

// past is a round that has been queued: its operations (those one check
// cares about) and the check's state at its start.
type past struct {
	init any
	ops  []cop
}

// specCheck is one model checked round by round. Its fields up to mu are
// owned by the goroutine that feeds the stream; the rest by mu.
type specCheck struct {
	s      *spec
	st     any    // the state at the end of the rounds fed so far
	ops    int    // operations fed
	rounds int    // rounds fed
	recent []past // the last kept rounds fed, oldest first

	mu      sync.Mutex
	verdict porcupine.CheckResult
	bad     int // the illegal round reported, when verdict is Illegal
	detail  string
	html    string
}

// job is one round of one check, queued for a worker.
type job struct {
	c      *specCheck
	round  int   // index of the round among the check's rounds
	first  int   // index of its first operation among the check's
	init   any   // the check's state at the round's start
	ops    []cop // the round
	before []past
}

// stream checks a history as it is recorded: the recorder hands it each
// stretch of operations between two quiescent points (feed), it splits
// each check's operations into rounds, carries each check's state from
// round to round, and queues the rounds to workers that run Porcupine on
// them; a round is dropped once checked, save the last few kept for a
// violation's visualisation. The queue is bounded, so a recorder that
// runs ahead of the checkers waits.
type stream struct {
	o      Options
	shape  *History // RingSize, Held, Consumers, Deps and Pool; Ops unused
	replay string   // how to replay the run, for violation reports; may be ""

	checks []*specCheck // in report order; claims comes first when present
	tile   *tileCheck   // nil unless claims are checked
	deliv  bool         // delivery checks, with their counts
	count  []int64      // Handle operations per consumer
	ops    int
	rounds int

	jobs chan job
	wg   sync.WaitGroup
}

// newStream starts a stream's workers; finish stops them.
func newStream(shape *History, claims, publish, delivery bool, o Options, replay string) *stream {
	s := &stream{o: o, shape: shape, replay: replay, deliv: delivery, count: make([]int64, shape.Consumers)}
	add := func(sp *spec) { s.checks = append(s.checks, &specCheck{s: sp, st: sp.init, verdict: porcupine.Ok}) }
	if claims {
		add(claimSpec(shape.RingSize, shape.Consumers, shape.Held))
		s.tile = newTileCheck(shape.RingSize, shape.Consumers)
	}
	if publish {
		add(publishSpec())
	}
	if delivery {
		pool := map[int]bool{}
		for _, w := range shape.Pool {
			pool[w] = true
		}
		for c := range shape.Consumers {
			if pool[c] {
				continue
			}
			var deps []int
			if c < len(shape.Deps) {
				deps = shape.Deps[c]
			}
			add(deliverySpec(c, deps))
		}
		if len(shape.Pool) > 0 {
			add(poolSpec(shape.Pool))
		}
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	s.jobs = make(chan job, 2*workers)
	for range workers {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for j := range s.jobs {
				s.check(j)
			}
		}()
	}
	return s
}

// feed takes the operations of one stretch between quiescent points,
// sorted by call time, and queues its rounds. It waits while the queue is
// full, and returns ctx.Err() if ctx ends first; the rest of the stretch
// is then not checked.
func (s *stream) feed(ctx context.Context, ops []cop) error {
	s.ops += len(ops)
	s.rounds++
	if st := s.o.Stats; st != nil {
		st.ops.Add(int64(len(ops)))
		st.rounds.Add(1)
	}
	if s.deliv {
		for i := range ops {
			if ops[i].kind == Handle && int(ops[i].cons) < len(s.count) {
				s.count[ops[i].cons]++
			}
		}
	}
	if s.tile != nil {
		s.tile.feed(ops)
	}
	for _, c := range s.checks {
		var mine []cop
		for i := range ops {
			if c.s.filter(ops[i].input()) {
				mine = append(mine, ops[i])
			}
		}
		for _, r := range rounds(mine, s.o.round()) {
			j := job{c: c, round: c.rounds, first: c.ops, init: c.st, ops: r, before: slices.Clone(c.recent)}
			c.st = endState(c.s, c.st, r)
			c.rounds++
			c.ops += len(r)
			c.recent = append(c.recent, past{init: j.init, ops: r})
			if len(c.recent) > kept {
				c.recent = slices.Delete(c.recent, 0, 1)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			select {
			case s.jobs <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// rounds splits ops, sorted by call time, at quiescent points: timestamps
// at which no operation is in flight, so every operation before the point
// precedes every operation after it. Each round holds at least size
// operations, except the last.
func rounds(ops []cop, size int) [][]cop {
	var out [][]cop
	start := 0
	var maxRet int64 = -1 << 62
	for i := range ops {
		if i-start >= size && ops[i].call > maxRet {
			out = append(out, ops[start:i])
			start = i
		}
		maxRet = max(maxRet, ops[i].ret)
	}
	if start < len(ops) {
		out = append(out, ops[start:])
	}
	return out
}

// endState returns the state after round r from st: every operation of r
// is over by then, so applying them in any order gives it. They are
// applied in sequence order, so that sets hold few runs.
func endState(s *spec, st any, r []cop) any {
	byseq := slices.Clone(r)
	slices.SortStableFunc(byseq, func(a, b cop) int { return cmp.Compare(a.seq(), b.seq()) })
	for i := range byseq {
		st = s.apply(st, byseq[i].input(), byseq[i].output())
	}
	return st
}

// check runs Porcupine on one round and records a verdict that is not Ok.
func (s *stream) check(j job) {
	m := j.c.s.model(j.init)
	switch porcupine.CheckOperationsTimeout(m, operations(j.ops), s.o.timeout()) {
	case porcupine.Illegal:
		if st := s.o.Stats; st != nil {
			st.violations.Add(1)
		}
		s.illegal(j)
	case porcupine.Unknown:
		c := j.c
		c.mu.Lock()
		if c.verdict == porcupine.Ok {
			c.verdict = porcupine.Unknown
			c.detail = fmt.Sprintf("round %d of %d ops not decided within %v", j.round, len(j.ops), s.o.timeout())
		}
		c.mu.Unlock()
	}
}

// illegal reports round j of its check as not linearizable, unless an
// earlier round of the same check already was, and writes the
// visualisation of it and the rounds just before it.
func (s *stream) illegal(j job) {
	c := j.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.verdict == porcupine.Illegal && c.bad < j.round {
		return
	}
	c.verdict, c.bad, c.html = porcupine.Illegal, j.round, ""
	c.detail = fmt.Sprintf("round %d (ops %d..%d, starting from %s) is not linearizable",
		j.round, j.first, j.first+len(j.ops)-1, c.s.describe(j.init))
	if s.replay != "" {
		c.detail += "; " + s.replay
	}
	if s.o.HTML == "" {
		return
	}
	path := s.o.HTML
	if s.o.perCheck {
		path = htmlName(path, c.s.name)
	}
	shown, err := s.visualise(path, j)
	if err != nil {
		c.detail += "; " + err.Error()
		return
	}
	c.html = path
	if shown > 1 {
		c.detail += fmt.Sprintf(" (the visualisation shows rounds %d..%d)", j.round-shown+1, j.round)
	}
}

// visualise writes Porcupine's visualisation of round j with the rounds
// kept before it, checked from the state at the start of the first, and
// returns how many rounds it shows. Should the longer history not come
// out illegal within the time limit, it shows round j alone.
func (s *stream) visualise(path string, j job) (int, error) {
	rs := append(slices.Clone(j.before), past{init: j.init, ops: j.ops})
	for len(rs) > 0 {
		var ops []cop
		var notes []porcupine.Annotation
		for i, r := range rs {
			ops = append(ops, r.ops...)
			if len(r.ops) == 0 {
				continue
			}
			what := fmt.Sprintf("round %d", j.round-len(rs)+1+i)
			if i == len(rs)-1 {
				what += ": not linearizable"
			}
			notes = append(notes, porcupine.Annotation{Tag: "rounds", Start: r.ops[0].call, End: r.ops[len(r.ops)-1].ret,
				Description: what, Details: "starts from " + j.c.s.describe(r.init)})
		}
		if s.replay != "" && len(ops) > 0 {
			notes = append(notes, porcupine.Annotation{Tag: "replay", Start: ops[0].call, Description: s.replay})
		}
		m := j.c.s.model(rs[0].init)
		res, info := porcupine.CheckOperationsVerbose(m, operations(ops), s.o.timeout())
		if res == porcupine.Illegal || len(rs) == 1 {
			info.AddAnnotations(notes)
			return len(rs), writeHTML(path, s.o.HTMLLimit, m, info)
		}
		rs = rs[1:]
	}
	return 0, nil
}

// finish waits for every queued round to be checked, stops the workers
// and returns one Result per check, in the order of CheckAll: claims and
// the tiling oracle, publication, delivery per consumer and the worker
// pool (each also comparing the events handled with published), and the
// recorder's faults as "recorder".
func (s *stream) finish(published int64, faults []string) []Result {
	close(s.jobs)
	s.wg.Wait()
	var out []Result
	pool := map[int]bool{}
	for _, w := range s.shape.Pool {
		pool[w] = true
	}
	var pooled int64
	for c, n := range s.count {
		if pool[c] {
			pooled += n
		}
	}
	for i, c := range s.checks {
		r := Result{Check: c.s.name, Verdict: c.verdict, Ops: c.ops, Rounds: c.rounds, Detail: c.detail, HTML: c.html}
		if r.Verdict == porcupine.Ok && c.s.handled != nil {
			var n int64
			if c.s.handled.pool {
				n = pooled
			} else {
				n = s.count[c.s.handled.consumer]
			}
			if n != published {
				r.Verdict = porcupine.Illegal
				r.Detail = fmt.Sprintf("%s handled %d events of %d published", c.s.handled, n, published)
			}
		}
		out = append(out, r)
		if i == 0 && s.tile != nil {
			out = append(out, s.tile.result())
		}
	}
	rec := Result{Check: "recorder", Verdict: porcupine.Ok, Ops: s.ops, Rounds: s.rounds}
	if len(faults) > 0 {
		rec.Verdict = porcupine.Illegal
		rec.Detail = fmt.Sprint(faults)
	}
	return append(out, rec)
}
