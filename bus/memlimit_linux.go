package bus

import "syscall"

// processMemory returns the memory the process may use: the limit of its
// cgroup (v2, then v1) if one is set and below the machine's total
// memory, else the total memory (sysinfo), else 0. Package bus reads the
// files with package syscall, since it does not import os.
func processMemory() int64 {
	var total int64
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) == nil {
		total = int64(si.Totalram) * int64(si.Unit)
	}
	paths := []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}
	if b, ok := readSmallFile("/proc/self/cgroup"); ok {
		if p := parseCgroupPath(b); p != "" && p != "/" {
			paths = append([]string{"/sys/fs/cgroup" + p + "/memory.max"}, paths...)
		}
	}
	for _, p := range paths {
		b, ok := readSmallFile(p)
		if !ok {
			continue
		}
		if n, ok := parseMemoryMax(b); ok && (total == 0 || n < total) {
			return n
		}
	}
	return total
}

// readSmallFile returns the first 4 KiB of the file at path.
func readSmallFile(path string) ([]byte, bool) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(fd)
	buf := make([]byte, 4096)
	n, err := syscall.Read(fd, buf)
	if err != nil || n <= 0 {
		return nil, false
	}
	return buf[:n], true
}
