package stress

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
)

var (
	budget = flag.Duration("stress.budget", 0, "how long TestScenarios generates and runs scenarios; 0 means 3s")
	base   = flag.Uint64("stress.base", 1, "the first seed TestScenarios runs; the next ones follow")
	replay = flag.Uint64("stress.seed", 0, "run only the scenario of this seed in TestScenarios")
	stall  = flag.Duration("stress.stall", DefaultStall, "the watchdog's stall time")
	onFile = flag.String("stress.profile", "", "run TestScenarios on this machine profile (busprobe -o FILE): every scenario with its layout and affinity plan")
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestScenarios runs generated scenarios, seed after seed, until the
// budget is spent. A failure names the seed; -stress.seed replays it.
func TestScenarios(t *testing.T) {
	var prof *affinity.Profile
	if *onFile != "" {
		p, err := affinity.LoadProfile(*onFile)
		if err != nil {
			t.Fatal(err)
		}
		prof = p
		t.Logf("on profile %s: %+v, plan %+v", *onFile, p.Layout, p.Affinity)
	}
	if *replay != 0 {
		runSeed(t, *replay, prof)
		return
	}
	d := *budget
	if d <= 0 {
		d = 3 * time.Second
	}
	deadline := time.Now().Add(d)
	var runs, moved int64
	seed := *base
	for ; runs == 0 || time.Now().Before(deadline); seed++ {
		moved += runSeed(t, seed, prof)
		runs++
		if t.Failed() {
			break
		}
	}
	t.Logf("%d events moved in %d scenarios (seeds %d to %d) in %v", moved, runs, *base, seed-1, time.Since(deadline.Add(-d)).Round(time.Millisecond))
}

// runSeed runs the scenario of seed, on prof's layout and plan if prof is
// not nil, and returns the events it moved.
func runSeed(t *testing.T, seed uint64, prof *affinity.Profile) int64 {
	t.Helper()
	s, replayFlags := Generate(seed), ""
	if prof != nil {
		s, replayFlags = GenerateOn(seed, prof.Layout), " -stress.profile="+*onFile
	}
	rep, err := Run(context.Background(), s, Options{Stall: *stall, Profile: prof})
	if err != nil {
		t.Errorf("%v\nscenario: %v\nreplay: go test ./stress -run TestScenarios -stress.seed=%d%s", err, s, seed, replayFlags)
	}
	return rep.Moved()
}

func TestGenerateIsDeterministic(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		a, b := Generate(seed), Generate(seed)
		if a.String() != b.String() {
			t.Fatalf("Generate(%d) gave\n%v\nthen\n%v", seed, a, b)
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("Generate(%d) = %v: %v", seed, a, err)
		}
		if a.Seed != seed {
			t.Fatalf("Generate(%d).Seed = %d", seed, a.Seed)
		}
	}
	if Generate(1).String() == Generate(2).String() {
		t.Fatal("seeds 1 and 2 gave the same scenario")
	}
}

// TestGenerateCovers checks that a few thousand seeds reach every corner
// the issue lists: every wait strategy, graph, publish mode, ending and
// failure, 1 and 8 producers, rings of 2 and 4096, GOMAXPROCS 1.
func TestGenerateCovers(t *testing.T) {
	seen := map[string]bool{}
	for seed := uint64(1); seed <= 3000; seed++ {
		s := Generate(seed)
		for _, k := range []string{
			"wait=" + string(s.Wait), "topology=" + s.Topology, "publish=" + string(s.Publish),
			"end=" + string(s.End), "fail=" + string(s.Fail) + "/" + string(s.Policy),
		} {
			seen[k] = true
		}
		for _, st := range s.Stages {
			seen["stage="+string(st.Kind)] = true
		}
		seen["producers="+itoa(s.Producers)] = true
		seen["ring="+itoa(s.RingSize)] = true
		seen["procs="+itoa(s.GOMAXPROCS)] = true
		if s.SlowEvery > 0 {
			seen["slow"] = true
		}
		if s.BatchLimit > 0 {
			seen["batchlimit"] = true
		}
		if s.PollBreak > 0 {
			seen["pollbreak"] = true
		}
		if s.Producers == 1 && s.Multi {
			seen["one producer, multi"] = true
		}
	}
	want := []string{"producers=1", "producers=8", "ring=2", "ring=4096", "procs=1", "procs=4",
		"slow", "batchlimit", "pollbreak", "one producer, multi",
		"stage=handlers", "stage=pool", "stage=poller",
		"fail=/stop", "fail=/skip", "fail=error/stop", "fail=panic/stop", "fail=error/skip", "fail=panic/skip"}
	for _, k := range bus.WaitKinds() {
		want = append(want, "wait="+string(k))
	}
	for _, k := range []string{"parallel", "pipeline", "diamond", "pool", "poller", "mixed"} {
		want = append(want, "topology="+k)
	}
	for _, m := range allPublishModes {
		want = append(want, "publish="+string(m))
	}
	for _, e := range []Ending{EndDrain, EndShutdown, EndHalt} {
		want = append(want, "end="+string(e))
	}
	for _, k := range want {
		if !seen[k] {
			t.Errorf("3000 seeds never generated %s", k)
		}
	}
}

func itoa(i int) string {
	var b []byte
	for i >= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(append([]byte{byte('0' + i)}, b...))
}

func TestValidateRejects(t *testing.T) {
	good := Scenario{Seed: 7, Topology: "parallel", Stages: []Stage{{StageHandlers, 1}}, Producers: 1, Publish: PublishOne,
		MaxBatch: 1, Events: 1, RingSize: 2, Wait: bus.WaitBlocking, GOMAXPROCS: 1, Policy: PolicyStop, End: EndDrain}
	if err := good.Validate(); err != nil {
		t.Fatalf("a valid scenario: %v", err)
	}
	for _, tc := range []struct {
		edit func(*Scenario)
		want string
	}{
		{func(s *Scenario) { s.Producers = 2 }, "2 producers on a single-producer bus"},
		{func(s *Scenario) { s.RingSize = 6 }, "ring size 6"},
		{func(s *Scenario) { s.MaxBatch = 4 }, "batch of 4 in a ring of 2"},
		{func(s *Scenario) { s.Wait = "spin" }, `wait strategy "spin"`},
		{func(s *Scenario) { s.Stages = []Stage{{StagePoller, 1}, {StageHandlers, 1}} }, "pollers can only be the last stage"},
		{func(s *Scenario) { s.Stages = []Stage{{StageHandlers, 17}} }, "17 consumers, at most 16"},
		{func(s *Scenario) { s.Stages = []Stage{{StagePoller, 1}}; s.Fail = FailError }, "consumer 0 cannot fail"},
		{func(s *Scenario) { s.Publish = "yell" }, `publish mode "yell"`},
		{func(s *Scenario) { s.End = "never" }, `ending "never"`},
	} {
		s := good
		tc.edit(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "seed 7") {
			t.Errorf("Validate() = %v, want an error naming %q and the seed", err, tc.want)
		}
		if _, err := Run(context.Background(), s, Options{}); err == nil {
			t.Errorf("Run accepted %v", s)
		}
	}
}

// plant runs s with hook planted and returns the violation Run reports.
func plant(t *testing.T, s Scenario, opts Options, hook func(ctx context.Context, handler string, e *event, seq int64) bool) *Violation {
	t.Helper()
	seeHook = hook
	defer func() { seeHook = nil }()
	_, err := Run(context.Background(), s, opts)
	var v *Violation
	if !errors.As(err, &v) {
		t.Fatalf("Run(%v) = %v, want a *Violation", s, err)
	}
	if v.Seed != s.Seed {
		t.Errorf("violation names seed %d, want %d", v.Seed, s.Seed)
	}
	return v
}

func scenario(stages ...Stage) Scenario {
	return Scenario{Seed: 99, Topology: "test", Stages: stages, Producers: 2, Multi: true, Publish: PublishOne,
		MaxBatch: 1, Events: 200, RingSize: 8, Wait: bus.WaitBlocking, GOMAXPROCS: 2, Policy: PolicyStop, End: EndDrain}
}

// TestChecksCatchPlantedMisbehaviour plants each kind of bad delivery in a
// handler and checks that Run names the right invariant, consumer,
// producer and event: the checks can fail.
func TestChecksCatchPlantedMisbehaviour(t *testing.T) {
	at := func(name string, p int, n int64) func(string, *event) bool {
		return func(h string, e *event) bool { return h == name && int(e.P) == p && e.N == n }
	}
	for _, tc := range []struct {
		name   string
		s      Scenario
		hit    func(string, *event) bool
		act    func(e *event) bool
		want   Invariant
		wantEv int64
		wantC  string
	}{
		{"stale slot", scenario(Stage{StageHandlers, 2}), at("s0.h1", 1, 50),
			func(e *event) bool { e.N--; e.Check = tag(99, 1, e.N); return false }, Duplicated, 49, "s0.h1"},
		{"skipped event", scenario(Stage{StageHandlers, 1}, Stage{StageHandlers, 1}), at("s1.h0", 0, 10),
			func(e *event) bool { e.N++; e.Check = tag(99, 0, e.N); return false }, Lost, 11, "s1.h0"},
		{"torn slot", scenario(Stage{StageHandlers, 1}), at("s0.h0", 1, 3),
			func(e *event) bool { e.Check ^= 1 << 7; return false }, Integrity, -1, "s0.h0"},
		{"pool drops", scenario(Stage{StagePool, 3}), func(h string, e *event) bool { return e.P == 0 && e.N == 77 },
			func(e *event) bool { return true }, Lost, 77, "s0.pool"},
		{"early downstream", scenario(Stage{StageHandlers, 2}, Stage{StageHandlers, 1}), at("s1.h0", 1, 5),
			func(e *event) bool { e.Marks[1] = 0; return false }, Dependency, 5, "s1.h0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := plant(t, tc.s, Options{}, func(_ context.Context, h string, e *event, _ int64) bool {
				if tc.hit(h, e) {
					return tc.act(e)
				}
				return false
			})
			if v.Invariant != tc.want || v.Event != tc.wantEv || v.Consumer != tc.wantC {
				t.Errorf("got %v\nwant invariant %q, consumer %s, event %d", v, tc.want, tc.wantC, tc.wantEv)
			}
			for _, s := range []string{"seed 99", string(tc.want), tc.wantC} {
				if !strings.Contains(v.Error(), s) {
					t.Errorf("%q does not name %q", v.Error(), s)
				}
			}
		})
	}
}

// TestWatchdogFailsAStalledRun makes a handler wait until the run is
// stopped: the watchdog must see that nothing moves, dump the goroutines,
// halt the bus and end the run.
func TestWatchdogFailsAStalledRun(t *testing.T) {
	s := scenario(Stage{StageHandlers, 1}, Stage{StageHandlers, 1})
	start := time.Now()
	v := plant(t, s, Options{Stall: 200 * time.Millisecond}, func(ctx context.Context, h string, e *event, _ int64) bool {
		if h == "s1.h0" && e.P == 0 && e.N == 30 {
			<-ctx.Done()
		}
		return false
	})
	if v.Invariant != Progress {
		t.Fatalf("got %v, want a progress violation", v)
	}
	if !strings.Contains(v.Dump, "goroutine ") || !strings.Contains(v.Dump, "stress.(*consumer).see") {
		t.Errorf("the dump does not show the stuck handler:\n%s", v.Dump)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("the stalled run took %v to end", el)
	}
}

// TestWatchdogAbandonsAWedgedBus: a handler that ignores the halt keeps
// the bus from stopping; Run must still return.
func TestWatchdogAbandonsAWedgedBus(t *testing.T) {
	s := scenario(Stage{StageHandlers, 1})
	release := make(chan struct{})
	v := plant(t, s, Options{Stall: 100 * time.Millisecond, NoLeakCheck: true}, func(_ context.Context, h string, e *event, _ int64) bool {
		if e.P == 1 && e.N == 3 {
			<-release
		}
		return false
	})
	close(release)
	if v.Invariant != Progress {
		t.Fatalf("got %v, want the run abandoned", v)
	}
	time.Sleep(50 * time.Millisecond) // let the released bus end before the leak check of TestMain
}

// TestLeakCheck: a goroutine started by a handler and left running is
// reported.
func TestLeakCheck(t *testing.T) {
	s := scenario(Stage{StageHandlers, 1})
	stop := make(chan struct{})
	defer close(stop)
	v := plant(t, s, Options{}, func(_ context.Context, h string, e *event, _ int64) bool {
		if e.P == 0 && e.N == 0 {
			go func() { <-stop }()
		}
		return false
	})
	if v.Invariant != Leak || !strings.Contains(v.Dump, "TestLeakCheck") {
		t.Fatalf("got %v, want a leak naming the goroutine", v)
	}
}

func TestRunReportsContextEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := scenario(Stage{StageHandlers, 1})
	s.Events = 1 << 20
	s.SlowEvery, s.SlowFor = 1, time.Millisecond
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := Run(ctx, s, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a cancelled context = %v", err)
	}
}

func TestFailurePoliciesOutcome(t *testing.T) {
	for _, tc := range []struct {
		fail   FailMode
		policy Policy
		stage  StageKind
	}{
		{FailError, PolicyStop, StageHandlers}, {FailPanic, PolicyStop, StagePool},
		{FailPanic, PolicySkip, StageHandlers}, {FailError, PolicySkip, StagePool},
	} {
		s := scenario(Stage{tc.stage, 2}, Stage{StageHandlers, 1})
		s.Fail, s.Policy, s.FailAt, s.FailEvery = tc.fail, tc.policy, 0, 40
		rep, err := Run(context.Background(), s, Options{})
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		var ee *bus.EventError
		switch tc.policy {
		case PolicyStop:
			if !errors.As(rep.BusErr, &ee) || rep.Failures != 1 {
				t.Errorf("%v: bus error %v after %d failures, want the handler's", s, rep.BusErr, rep.Failures)
			}
		case PolicySkip:
			if rep.BusErr != nil || rep.Failures == 0 || rep.Published != 400 {
				t.Errorf("%v: bus error %v after %d failures, %d published", s, rep.BusErr, rep.Failures, rep.Published)
			}
		}
	}
}
