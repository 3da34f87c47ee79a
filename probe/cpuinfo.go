package probe

import (
	"fmt"
	"strconv"
	"strings"
)

const fileCPUInfo = "proc/cpuinfo"

// cpuInfo is what /proc/cpuinfo says about the processor, for a captured
// tree without a cpuid.json and as a cross-check of the live cpuid.
type cpuInfo struct {
	arch       string // GOARCH inferred from the file's format
	vendor     string
	model      string
	hypervisor bool // the "hypervisor" flag is set (x86)
	lineSize   int  // clflush size (x86) or line_size of the L1 data cache (s390x)
	processors int  // processor entries in the part of the file read
}

// maxModel bounds the vendor and model strings the probe takes from
// /proc/cpuinfo and cpuid.json: an x86 brand string is 48 bytes, and the
// names the kernel prints for other architectures are shorter.
const maxModel = 128

var armImplementers = map[string]string{
	"0x41": "ARM", "0x42": "Broadcom", "0x43": "Cavium", "0x46": "Fujitsu", "0x48": "HiSilicon",
	"0x4e": "NVIDIA", "0x50": "APM", "0x51": "Qualcomm", "0x61": "Apple", "0x6d": "Microsoft", "0xc0": "Ampere",
}

// parseCPUInfo parses the parts of /proc/cpuinfo the probe uses, for x86,
// arm64 and s390x layouts. Unknown layouts give what they can.
func parseCPUInfo(file string, data []byte) (cpuInfo, error) {
	var ci cpuInfo
	var implementer, part string
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case k == "processor":
			ci.processors++
		case k == "vendor_id" && ci.vendor == "":
			ci.vendor = v
			if v == "IBM/S390" {
				ci.arch = "s390x"
			} else {
				ci.arch = "amd64"
			}
		case k == "model name" && ci.model == "":
			ci.model = v
		case k == "flags" && ci.arch == "amd64":
			ci.hypervisor = ci.hypervisor || strings.Contains(" "+v+" ", " hypervisor ")
		case k == "clflush size" && ci.lineSize == 0:
			n, err := strconv.Atoi(v)
			if err != nil {
				return cpuInfo{}, fmt.Errorf("%w: %s: clflush size %s", ErrMalformed, file, quote(v))
			}
			ci.lineSize = n
		case k == "CPU implementer" && implementer == "":
			implementer, ci.arch = v, "arm64"
		case k == "CPU part" && part == "":
			part = v
		case strings.HasPrefix(k, "cache") && ci.arch == "s390x" && ci.lineSize == 0:
			// cache0        : level=1 type=Data scope=Private size=128K line_size=256 associativity=8
			if strings.Contains(v, "level=1 ") && strings.Contains(v, "type=Data") {
				for _, f := range strings.Fields(v) {
					if s, ok := strings.CutPrefix(f, "line_size="); ok {
						n, err := strconv.Atoi(s)
						if err != nil {
							return cpuInfo{}, fmt.Errorf("%w: %s: line_size %s", ErrMalformed, file, quote(s))
						}
						ci.lineSize = n
					}
				}
			}
		case strings.HasPrefix(k, "processor ") && ci.arch == "s390x" && ci.model == "":
			// processor 0: version = 00,  identification = 0C8D87,  machine = 8561
			if _, m, ok := strings.Cut(v, "machine = "); ok {
				ci.model = "IBM Z machine type " + strings.TrimSpace(strings.Split(m, ",")[0])
			}
		}
	}
	if implementer != "" {
		ci.vendor = armImplementers[implementer]
		if ci.vendor == "" {
			ci.vendor = "implementer " + implementer
		}
		if ci.model == "" {
			ci.model = fmt.Sprintf("%s part %s", ci.vendor, part)
		}
	}
	for _, x := range []struct{ what, v string }{{"vendor", ci.vendor}, {"model", ci.model}} {
		if err := checkText(file, x.what, x.v, maxModel); err != nil {
			return cpuInfo{}, err
		}
	}
	if ci.arch == "" && ci.processors == 0 {
		return cpuInfo{}, fmt.Errorf("%w: %s: no processor entries", ErrMalformed, file)
	}
	return ci, nil
}
