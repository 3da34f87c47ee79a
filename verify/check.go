package verify

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"
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
	// visualisation is written to: the first illegal round, with the two
	// rounds before it when those still show the violation, at most
	// HTMLLimit bytes. CheckAll and CheckDelivery, which run several
	// checks, insert each check's name before the extension:
	// v.html becomes v-claims.html, v-delivery-c0.html and so on.
	HTML string
	// HTMLLimit caps the visualisation's size; 0 means DefaultHTMLLimit.
	HTMLLimit int
	// Workers is how many rounds are checked at once; 0 means GOMAXPROCS.
	Workers int
	// Stats, when not nil, counts the operations, rounds and violations
	// of a streaming verification as it runs; nil counts nothing.
	Stats *Stats

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

// checkHistory checks the whole of h, in stretches of about o.Round
// operations between quiescent points, with the checks asked for.
func checkHistory(h *History, claims, publish, delivery bool, o Options) []Result {
	ops := make([]cop, len(h.Ops))
	for i, op := range h.Ops {
		ops[i] = compact(op)
	}
	slices.SortStableFunc(ops, func(a, b cop) int { return cmp.Compare(a.call, b.call) })
	s := newStream(h, claims, publish, delivery, o, "")
	for _, r := range rounds(ops, o.round()) {
		// The context never ends: feed waits only for the workers.
		_ = s.feed(context.Background(), r)
	}
	return s.finish(h.Published, h.Faults)
}

// CheckClaims checks the Claim and Advance operations of h against
// ClaimModel with Porcupine, and also with the fast tiling oracle
// (TileClaims); it returns both results. A history is correct only when
// both say Ok.
func CheckClaims(h *History, o Options) []Result {
	return checkHistory(h, true, false, false, o)[:2]
}

// CheckPublish checks the Publish and Observe operations of h against
// PublishModel.
func CheckPublish(h *History, o Options) Result {
	return checkHistory(h, false, true, false, o)[0]
}

// CheckDelivery checks every consumer's Handle operations against
// DeliveryModel (PoolModel for h.Pool), and that each consumer, and the
// pool as a whole, handled exactly h.Published events.
func CheckDelivery(h *History, o Options) []Result {
	o.perCheck = true
	rs := checkHistory(h, false, false, true, o)
	return rs[:len(rs)-1]
}

// CheckAll runs every check that applies to h: claims (both oracles),
// publication, delivery, and the recorder's own findings (a stall, an
// unexpected error), which come back as a Result named "recorder".
func CheckAll(h *History, o Options) []Result {
	o.perCheck = true
	var kinds [Handle + 1]int
	for _, op := range h.Ops {
		kinds[asIn(op.Input).Kind]++
	}
	return checkHistory(h, kinds[Claim] > 0, kinds[Observe] > 0, kinds[Handle] > 0 || h.Published > 0, o)
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
