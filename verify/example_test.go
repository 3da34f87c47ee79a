package verify_test

import (
	"context"
	"fmt"

	"github.com/anishathalye/porcupine"
	"github.com/eventbus/eventbus/verify"
)

// A claim history of two producers on a ring of 4 slots with one gating
// consumer, checked with ClaimModel: first as it happened, then with the
// second claim's answer changed so that it overlaps the first.
func ExampleClaimModel() {
	claim := func(client int, call, ret int64, n int, lo, hi int64) porcupine.Operation {
		return porcupine.Operation{ClientId: client, Call: call, Return: ret,
			Input: verify.Input{Kind: verify.Claim, N: n}, Output: verify.Output{Lo: lo, Hi: hi}}
	}
	advance := porcupine.Operation{ClientId: 2, Call: 3, Return: 4,
		Input: verify.Input{Kind: verify.Advance, Consumer: 0, Seq: 1}}
	good := []porcupine.Operation{
		claim(0, 1, 2, 2, 0, 1),
		advance,
		claim(1, 5, 6, 3, 2, 4), // needs slot 0 free: the consumer passed 1
	}
	bad := []porcupine.Operation{
		claim(0, 1, 2, 2, 0, 1),
		advance,
		claim(1, 5, 6, 3, 1, 3), // overlaps the first claim
	}
	m := verify.ClaimModel(4, 1)
	fmt.Println(porcupine.CheckOperations(m, good))
	fmt.Println(porcupine.CheckOperations(m, bad))
	// Output:
	// true
	// false
}

// Record a claim history from the real multi-producer sequencer, with two
// producers and a gating consumer, and check it with both claim oracles.
func ExampleRecordSequencer() {
	h, err := verify.RecordSequencer(verify.SeqConfig{Multi: true, Producers: 2, Claims: 2000})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range verify.CheckClaims(h, verify.Options{}) {
		fmt.Println(r.Check, r.Verdict)
	}
	// Output:
	// claims Ok
	// claims tiling Ok
}

// Verify a multi-producer sequencer as the history is recorded: each round
// is checked as soon as it is complete and then dropped, so memory stays
// flat however many claims are asked for.
func ExampleVerifySequencer() {
	cfg := verify.SeqConfig{Multi: true, Producers: 2, Consumers: 2, Claims: 5000, Seed: 1}
	rep, err := verify.VerifySequencer(context.Background(), cfg, verify.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rep.Results {
		fmt.Println(r.Check, r.Verdict)
	}
	fmt.Println("ok:", rep.OK())
	// Output:
	// claims Ok
	// claims tiling Ok
	// publish Ok
	// delivery c0 Ok
	// delivery c1 Ok
	// recorder Ok
	// ok: true
}
