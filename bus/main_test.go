package bus_test

import (
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// awaitErr waits for the error a goroutine sends on c once the test has
// done what should release it (what), and fails the test unless the error
// is want (by errors.Is; a nil want wants nil) or if none comes within 5s.
func awaitErr(t *testing.T, c <-chan error, want error, what string) {
	t.Helper()
	select {
	case err := <-c:
		if !errors.Is(err, want) {
			t.Fatalf("after %s: %v, want %v", what, err, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not end the wait", what)
	}
}
