//go:build !amd64 && !arm64

package bus

// spinSink keeps the compiler from dropping spinPause's loop.
var spinSink int

// spinPause stands in for a spin-wait hint on architectures that have no
// assembly here: a short loop of its own work, touching no shared memory.
func spinPause(n int) {
	x := 0
	for i := 0; i < n*4; i++ {
		x += i
	}
	if x == -1 {
		spinSink = x
	}
}
