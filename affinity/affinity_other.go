//go:build !linux

package affinity

func pin(set CPUSet, label string) (release func(), err error) {
	if set.IsEmpty() {
		return nil, ErrEmptySet
	}
	return nil, ErrUnsupported
}

func current() (CPUSet, error) { return CPUSet{}, ErrUnsupported }

func cpuNow() (int, error) { return 0, ErrUnsupported }

func allowed() (CPUSet, error) { return CPUSet{}, ErrUnsupported }

func online() (CPUSet, error) { return CPUSet{}, ErrUnsupported }

func threads() ([]Thread, error) { return nil, ErrUnsupported }
