package affinity

import "testing"

// BenchmarkParseCPUList parses a short list as sysfs has it and lists of
// about 1 MiB: whole ranges (each element covers every CPU up to MaxCPU),
// single CPUs, and ranges that start and end mid-word.
func BenchmarkParseCPUList(b *testing.B) {
	for _, bc := range []struct{ name, list string }{
		{"short", "0-3,8-11\n"},
		{"1MiB-ranges", hugeList("0-65535")},
		{"1MiB-singles", hugeList(singles(0, 999))},
		{"1MiB-odd-ranges", hugeList("1-62,65-126,129-190")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.list)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseCPUList(bc.list); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
