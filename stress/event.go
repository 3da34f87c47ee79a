package stress

// event is the payload: who wrote it, a check word derived from both, and
// one mark per consumer, set when that consumer handles it, which the
// consumers after it check.
type event struct {
	P     int32
	N     int64
	Check uint64
	Marks [maxConsumers]uint64
}

// tag is the check word of producer p's event n: never zero, so an
// unwritten slot never passes.
func tag(seed uint64, p int, n int64) uint64 {
	z := seed ^ uint64(p)<<48 ^ uint64(n) + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return (z ^ z>>31) | 1
}
