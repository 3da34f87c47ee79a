package verify_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventbus/eventbus/affinity"
	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/verify"
)

// TestVerifyInterrupted: a run far too long for its context stops soon
// after the context ends, says so, and what it recorded passes; Stats
// counted what the report says.
func TestVerifyInterrupted(t *testing.T) {
	for _, shape := range []string{"sequencer", "bus"} {
		t.Run(shape, func(t *testing.T) {
			// Cancel once some rounds are recorded, however slow the
			// machine (qemu with -race records slowly), or after a minute.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			var st verify.Stats
			o := verify.Options{Stats: &st}
			var canceled atomic.Int64 // when cancel was called, in UnixNano
			go func() {
				defer cancel()
				for st.Rounds() < 2 && ctx.Err() == nil {
					time.Sleep(10 * time.Millisecond)
				}
				time.Sleep(50 * time.Millisecond)
				canceled.Store(time.Now().UnixNano())
			}()
			var rep *verify.Report
			var err error
			if shape == "sequencer" {
				rep, err = verify.VerifySequencer(ctx, verify.SeqConfig{Multi: true, Producers: 2, Claims: 1 << 30}, o)
			} else {
				rep, err = verify.VerifyBus(ctx, verify.BusConfig{Producers: 2, Events: 1 << 30}, o)
			}
			if err != nil {
				t.Fatal(err)
			}
			if at := canceled.Load(); at == 0 {
				t.Errorf("no two rounds recorded in a minute")
			} else if took := time.Since(time.Unix(0, at)); took > 5*time.Second {
				t.Errorf("stopped %v after its context, want promptly", took)
			}
			if !rep.Interrupted || !rep.OK() || rep.Ops == 0 || rep.Published == 0 {
				t.Errorf("report %+v, want an interrupted run that passed", rep)
			}
			if st.Ops() != int64(rep.Ops) || st.Rounds() != int64(rep.Rounds) || st.Violations() != 0 {
				t.Errorf("stats %d ops %d rounds %d violations, report %d ops %d rounds",
					st.Ops(), st.Rounds(), st.Violations(), rep.Ops, rep.Rounds)
			}
			if !strings.Contains(rep.Config, "seed 0") {
				t.Errorf("config %q does not name the seed", rep.Config)
			}
		})
	}
}

// TestVerifyProfileLayout runs both recorders on a layout like the ones
// busprobe chooses: a ring far larger than the 64 slots the models once
// held, a profile's pad and each wait strategy.
func TestVerifyProfileLayout(t *testing.T) {
	for _, wait := range bus.WaitKinds() {
		p := affinity.DefaultProfile()
		p.Layout.RingSize, p.Layout.Wait = 1024, wait
		seq := verify.SeqConfig{Multi: true, Producers: 3, Consumers: 2, Claims: 3000, MaxBatch: 16, Seed: 3}.WithProfile(&p)
		bc := verify.BusConfig{Producers: 2, Events: 3000, MaxBatch: 16, Seed: 3}.WithProfile(&p)
		if seq.RingSize != 1024 || seq.Wait != wait || seq.MaxBatch != 16 || bc.RingSize != 1024 || bc.Pad != p.Layout.PadBytes {
			t.Fatalf("WithProfile: %v; %v", seq, bc)
		}
		for _, run := range []func() (*verify.Report, error){
			func() (*verify.Report, error) { return verify.VerifySequencer(t.Context(), seq, verify.Options{}) },
			func() (*verify.Report, error) { return verify.VerifyBus(t.Context(), bc, verify.Options{}) },
		} {
			rep, err := run()
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK() || rep.Interrupted {
				t.Errorf("%s: %v", rep.Config, verify.Failed(rep.Results))
			}
		}
	}
}

func TestVerifyBadConfig(t *testing.T) {
	for _, c := range []verify.SeqConfig{
		{Producers: 2},
		{Multi: true, Producers: verify.MaxProducers + 1},
		{RingSize: 48},
		{RingSize: 8, MaxBatch: 16},
		{Wait: "spinning"},
	} {
		if _, err := verify.VerifySequencer(t.Context(), c, verify.Options{}); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
	if _, err := verify.VerifyBus(t.Context(), verify.BusConfig{Producers: verify.MaxProducers + 1}, verify.Options{}); err == nil {
		t.Error("too many producers: no error")
	}
}
