//go:build amd64 || arm64

package bus

// spinPause executes the CPU's spin-wait hint n times.
func spinPause(n int)
