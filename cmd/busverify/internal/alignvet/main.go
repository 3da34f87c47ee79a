// Command alignvet is the x/tools atomicalign analyzer as a vet tool: it
// reports 64-bit atomic operations (sync/atomic's AddInt64, LoadUint64 and
// the like) on struct fields that may not be 8-byte aligned on 32-bit
// platforms, where such an operation faults or tears. busverify runs it as
//
//	GOARCH=386 go vet -vettool=alignvet ./bus ./verify
//	GOARCH=arm go vet -vettool=alignvet ./bus ./verify
//
// so that the field layouts are computed for the 32-bit target.
package main

import (
	"golang.org/x/tools/go/analysis/passes/atomicalign"
	"golang.org/x/tools/go/analysis/unitchecker"
)

func main() { unitchecker.Main(atomicalign.Analyzer) }
