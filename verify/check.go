package verify

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// Options tune how a history is checked. The zero value checks rounds of
// DefaultRound operations with a DefaultTimeout each and writes no
// visualisation.
type Options struct {
	// Round is how many operations a round should hold at least before it
	// is split at the next quiescent point; 0 means DefaultRound.
	Round int
	// Timeout bounds Porcupine's search in each round; 0 means
	// DefaultTimeout. A round that runs out is reported as Unknown.
	Timeout time.Duration
	// HTML, when not empty, is the file a violation's Porcupine
	// visualisation is written to (only the illegal round, at most
	// HTMLLimit bytes). CheckAll and CheckDelivery, which run several
	// checks, insert each check's name before the extension:
	// v.html becomes v-claims.html, v-delivery-c0.html and so on.
	HTML string
	// HTMLLimit caps the visualisation's size; 0 means DefaultHTMLLimit.
	HTMLLimit int

	// perCheck makes each check write its own file: HTML with the check's
	// name inserted before the extension (set by the functions that run
	// several checks).
	perCheck bool
}

// Defaults for Options.
const (
	DefaultRound     = 2000
	DefaultTimeout   = 20 * time.Second
	DefaultHTMLLimit = 16 << 20
)

// Result is the verdict of one check on one history.
type Result struct {
	// Check names the model or oracle.
	Check string
	// Verdict is porcupine.Ok, porcupine.Illegal, or porcupine.Unknown
	// when a round ran out of time.
	Verdict porcupine.CheckResult
	// Ops and Rounds say how much was checked.
	Ops, Rounds int
	// Detail says what was wrong, for Illegal and Unknown.
	Detail string
	// HTML is the visualisation file written for a violation, or "".
	HTML string
}

// String returns the check, its verdict, its size and what went wrong.
func (r Result) String() string {
	s := fmt.Sprintf("%s: %s (%d ops, %d rounds)", r.Check, r.Verdict, r.Ops, r.Rounds)
	if r.Detail != "" {
		s += ": " + r.Detail
	}
	if r.HTML != "" {
		s += "; visualisation in " + r.HTML
	}
	return s
}

// rounds splits ops, sorted by call time, at quiescent points: timestamps
// at which no operation is in flight, so every operation before the point
// precedes every operation after it. Each round holds at least size
// operations, except the last.
func rounds(ops []porcupine.Operation, size int) [][]porcupine.Operation {
	var out [][]porcupine.Operation
	start := 0
	var maxRet int64 = -1 << 62
	for i, op := range ops {
		if i-start >= size && op.Call > maxRet {
			out = append(out, ops[start:i])
			start = i
		}
		maxRet = max(maxRet, op.Return)
	}
	if start < len(ops) {
		out = append(out, ops[start:])
	}
	return out
}

// checkSpec checks the operations of h that s cares about, round by round.
func checkSpec(s *spec, ops []porcupine.Operation, o Options) Result {
	var mine []porcupine.Operation
	for _, op := range ops {
		if s.filter(asIn(op.Input)) {
			mine = append(mine, op)
		}
	}
	rs := rounds(mine, o.round())
	res := Result{Check: s.name, Verdict: porcupine.Ok, Ops: len(mine), Rounds: len(rs)}
	// The state at the start of each round: every operation of the earlier
	// rounds is over, so applying them in any order gives it.
	inits := make([]any, len(rs))
	st := s.init
	for i, r := range rs {
		inits[i] = st
		// In sequence order, so that sets never hold more than a window
		// beyond their contiguous part.
		byseq := append([]porcupine.Operation(nil), r...)
		sort.SliceStable(byseq, func(a, b int) bool { return opSeq(byseq[a]) < opSeq(byseq[b]) })
		for _, op := range byseq {
			st = s.apply(st, asIn(op.Input), asOut(op.Output))
		}
	}
	type verdict struct {
		r    porcupine.CheckResult
		info porcupine.LinearizationInfo
	}
	verdicts := make([]verdict, len(rs))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r, info := porcupine.CheckOperationsVerbose(s.model(inits[i]), rs[i], o.timeout())
				verdicts[i] = verdict{r, info}
			}
		}()
	}
	for i := range rs {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, v := range verdicts {
		switch v.r {
		case porcupine.Illegal:
			res.Verdict = porcupine.Illegal
			res.Detail = fmt.Sprintf("round %d (ops %d..%d of %d, starting from %s) is not linearizable",
				i, opIndex(mine, rs[i][0]), opIndex(mine, rs[i][0])+len(rs[i])-1, len(mine), s.describe(inits[i]))
			if o.HTML != "" {
				path := o.HTML
				if o.perCheck {
					path = htmlName(path, s.name)
				}
				if err := writeHTML(path, o.HTMLLimit, s.model(inits[i]), v.info); err != nil {
					res.Detail += "; " + err.Error()
				} else {
					res.HTML = path
				}
			}
			return res
		case porcupine.Unknown:
			res.Verdict = porcupine.Unknown
			res.Detail = fmt.Sprintf("round %d of %d ops not decided within %v", i, len(rs[i]), o.timeout())
		}
	}
	return res
}

func opIndex(ops []porcupine.Operation, op porcupine.Operation) int {
	for i := range ops {
		if ops[i].Call == op.Call {
			return i
		}
	}
	return -1
}

func writeHTML(path string, limit int, m porcupine.Model, info porcupine.LinearizationInfo) error {
	var buf bytes.Buffer
	if err := porcupine.Visualize(m, info, &buf); err != nil {
		return fmt.Errorf("visualisation: %w", err)
	}
	if limit <= 0 {
		limit = DefaultHTMLLimit
	}
	if buf.Len() > limit {
		return fmt.Errorf("visualisation of %d bytes exceeds the %d byte cap; not written (use a smaller round)", buf.Len(), limit)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

func (o Options) round() int {
	if o.Round <= 0 {
		return DefaultRound
	}
	return o.Round
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

// CheckClaims checks the Claim and Advance operations of h against
// ClaimModel with Porcupine, and also with the fast tiling oracle
// (TileClaims); it returns both results. A history is correct only when
// both say Ok.
func CheckClaims(h *History, o Options) []Result {
	p := checkSpec(claimSpec(h.RingSize, h.Consumers), h.Ops, o)
	return []Result{p, TileClaims(h)}
}

// CheckPublish checks the Publish and Observe operations of h against
// PublishModel.
func CheckPublish(h *History, o Options) Result {
	return checkSpec(publishSpec(), h.Ops, o)
}

// CheckDelivery checks every consumer's Handle operations against
// DeliveryModel (PoolModel for h.Pool), and that each consumer, and the
// pool as a whole, handled exactly h.Published events.
func CheckDelivery(h *History, o Options) []Result {
	o.perCheck = true
	var out []Result
	pool := map[int]bool{}
	for _, w := range h.Pool {
		pool[w] = true
	}
	count := make([]int64, h.Consumers)
	for _, op := range h.Ops {
		if in := asIn(op.Input); in.Kind == Handle {
			count[in.Consumer]++
		}
	}
	var pooled int64
	for c := range h.Consumers {
		if pool[c] {
			pooled += count[c]
			continue
		}
		var deps []int
		if c < len(h.Deps) {
			deps = h.Deps[c]
		}
		r := checkSpec(deliverySpec(c, deps), h.Ops, o)
		if r.Verdict == porcupine.Ok && count[c] != h.Published {
			r.Verdict = porcupine.Illegal
			r.Detail = fmt.Sprintf("consumer %d handled %d events of %d published", c, count[c], h.Published)
		}
		out = append(out, r)
	}
	if len(h.Pool) > 0 {
		r := checkSpec(poolSpec(h.Pool), h.Ops, o)
		if r.Verdict == porcupine.Ok && pooled != h.Published {
			r.Verdict = porcupine.Illegal
			r.Detail = fmt.Sprintf("the pool handled %d events of %d published", pooled, h.Published)
		}
		out = append(out, r)
	}
	return out
}

// CheckAll runs every check that applies to h: claims (both oracles),
// publication, delivery, and the recorder's own findings (a stall, an
// unexpected error), which come back as a Result named "recorder".
func CheckAll(h *History, o Options) []Result {
	o.perCheck = true
	var out []Result
	var kinds [Handle + 1]int
	for _, op := range h.Ops {
		kinds[asIn(op.Input).Kind]++
	}
	if kinds[Claim] > 0 {
		out = append(out, CheckClaims(h, o)...)
	}
	if kinds[Observe] > 0 {
		out = append(out, CheckPublish(h, o))
	}
	if kinds[Handle] > 0 || h.Published > 0 {
		out = append(out, CheckDelivery(h, o)...)
	}
	rec := Result{Check: "recorder", Verdict: porcupine.Ok, Ops: len(h.Ops)}
	if len(h.Faults) > 0 {
		rec.Verdict = porcupine.Illegal
		rec.Detail = fmt.Sprint(h.Faults)
	}
	return append(out, rec)
}

// Failed returns the results that are not Ok.
func Failed(rs []Result) []Result {
	var out []Result
	for _, r := range rs {
		if r.Verdict != porcupine.Ok {
			out = append(out, r)
		}
	}
	return out
}

// opSeq is the sequence an operation is about, for ordering a round's
// effects.
func opSeq(op porcupine.Operation) int64 {
	in, out := asIn(op.Input), asOut(op.Output)
	switch in.Kind {
	case Claim:
		return out.Hi
	case Publish:
		return in.Lo
	}
	return in.Seq
}
