//go:build !busfault

package verify_test

import (
	"testing"

	"github.com/eventbus/eventbus/verify"
)

// In a normal build no bug can be planted: the seam is compiled out.
func TestNoFaultsInNormalBuild(t *testing.T) {
	if verify.FaultsCompiled || len(verify.Faults()) != 0 {
		t.Fatalf("normal build reports faults %q", verify.Faults())
	}
	if err := verify.PlantFault("claim-no-cas"); err == nil {
		t.Fatal("PlantFault succeeded in a normal build")
	}
	if err := verify.PlantFault("none"); err != nil {
		t.Fatal(err)
	}
}
