package probe

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// fileCPUID is where Capture stores the cpuid facts of the captured machine,
// since a replay cannot execute CPUID on it.
const fileCPUID = "busprobe/cpuid.json"

// Hardware is what the processor says about itself through CPUID (or, in a
// captured tree, what it said on the captured machine).
type Hardware struct {
	// Arch is the GOARCH of the machine: runtime.GOARCH when live.
	Arch Fact[string] `json:"arch"`
	// Vendor is the CPU vendor ("AuthenticAMD", "GenuineIntel", "ARM", ...).
	Vendor Fact[string] `json:"vendor"`
	// Model is the brand string.
	Model Fact[string] `json:"model"`
	// Hypervisor names the hypervisor when the CPU runs virtualized, "" on
	// bare metal ("KVM", "Microsoft Hv", or "unknown" when cpuinfo only
	// has the hypervisor flag).
	Hypervisor Fact[string] `json:"hypervisor"`
	// CacheLine is the cache line size in bytes.
	CacheLine Fact[int] `json:"cache_line"`
	// L1D, L2 and L3 are cache sizes in bytes, per core or per sharing group.
	L1D Fact[int] `json:"l1d"`
	L2  Fact[int] `json:"l2"`
	L3  Fact[int] `json:"l3"`
	// Hybrid reports a processor with more than one core type.
	Hybrid Fact[bool] `json:"hybrid"`
}

// CPUIDFacts is the cpuid part of a capture, stored as busprobe/cpuid.json.
// Sizes are in bytes, 0 when unknown.
type CPUIDFacts struct {
	// GOARCH is the architecture of the machine; it is required.
	GOARCH string `json:"goarch"`
	// Vendor is the raw vendor string ("GenuineIntel", "AuthenticAMD").
	Vendor string `json:"vendor,omitempty"`
	// Brand is the processor's brand string.
	Brand string `json:"brand,omitempty"`
	// Hypervisor names the hypervisor, "" on bare metal.
	Hypervisor string `json:"hypervisor,omitempty"`
	// CacheLine is the cache line size cpuid reports.
	CacheLine int `json:"cache_line,omitempty"`
	// L1D, L2 and L3 are the cache sizes cpuid reports.
	L1D int `json:"l1d,omitempty"`
	L2  int `json:"l2,omitempty"`
	L3  int `json:"l3,omitempty"`
	// Hybrid reports more than one core type (x86 CPUID leaf 7 EDX bit 15).
	Hybrid bool `json:"hybrid,omitempty"`
}

// LiveCPUID returns the cpuid facts of the processor this program runs on.
// On architectures where CPUID cannot be read the facts are mostly empty.
func LiveCPUID() CPUIDFacts {
	c := cpuid.CPU
	f := CPUIDFacts{
		GOARCH:    runtime.GOARCH,
		Vendor:    c.VendorString,
		Brand:     strings.TrimSpace(c.BrandName),
		CacheLine: c.CacheLine,
		L1D:       max(c.Cache.L1D, 0),
		L2:        max(c.Cache.L2, 0),
		L3:        max(c.Cache.L3, 0),
		Hybrid:    c.Supports(cpuid.HYBRID_CPU),
	}
	if f.Vendor == "" && c.VendorID != cpuid.VendorUnknown {
		f.Vendor = c.VendorID.String()
	}
	if c.Supports(cpuid.HYPERVISOR) {
		f.Hypervisor = c.HypervisorVendorID.String()
		if c.HypervisorVendorID == cpuid.VendorUnknown {
			f.Hypervisor = "unknown"
		}
		if c.HypervisorVendorString != "" && c.HypervisorVendorID == cpuid.VendorUnknown {
			f.Hypervisor = c.HypervisorVendorString
		}
	}
	return f
}

// parseCPUIDFacts decodes a captured busprobe/cpuid.json.
func parseCPUIDFacts(file string, data []byte) (CPUIDFacts, error) {
	var f CPUIDFacts
	if err := json.Unmarshal(data, &f); err != nil {
		return CPUIDFacts{}, fmt.Errorf("%w: %s: %v", ErrMalformed, file, err)
	}
	if f.GOARCH == "" {
		return CPUIDFacts{}, fmt.Errorf("%w: %s: no goarch", ErrMalformed, file)
	}
	for _, x := range []struct{ what, v string }{{"goarch", f.GOARCH}, {"vendor", f.Vendor}, {"brand", f.Brand}, {"hypervisor", f.Hypervisor}} {
		if err := checkText(file, x.what, x.v, maxModel); err != nil {
			return CPUIDFacts{}, err
		}
	}
	return f, nil
}

// hardwareFromCPUID turns cpuid facts into the hardware view, tagging each
// known value with source.
func hardwareFromCPUID(f CPUIDFacts, source string) Hardware {
	var h Hardware
	h.Arch = known(f.GOARCH, source)
	str := func(v string) Fact[string] {
		if v == "" {
			return Fact[string]{}
		}
		return known(v, source)
	}
	num := func(v int) Fact[int] {
		if v <= 0 {
			return Fact[int]{}
		}
		return known(v, source)
	}
	h.Vendor, h.Model = str(f.Vendor), str(f.Brand)
	h.Hypervisor = known(f.Hypervisor, source)
	h.CacheLine, h.L1D, h.L2, h.L3 = num(f.CacheLine), num(f.L1D), num(f.L2), num(f.L3)
	if f.GOARCH == "amd64" || f.GOARCH == "386" {
		h.Hybrid = known(f.Hybrid, source)
	}
	return h
}

// hardwareFromCPUInfo fills the hardware view from /proc/cpuinfo, for a
// captured tree without busprobe/cpuid.json.
func hardwareFromCPUInfo(ci cpuInfo) Hardware {
	src := name(fileCPUInfo)
	var h Hardware
	if ci.arch != "" {
		h.Arch = known(ci.arch, "derived: "+src+" format")
	}
	if ci.vendor != "" {
		h.Vendor = known(ci.vendor, src)
	}
	if ci.model != "" {
		h.Model = known(ci.model, src)
	}
	if ci.arch == "amd64" {
		hv := ""
		if ci.hypervisor {
			hv = "unknown"
		}
		h.Hypervisor = known(hv, src+" flags")
	}
	if ci.lineSize > 0 {
		h.CacheLine = known(ci.lineSize, src)
	}
	return h
}

// lineOrUnknown returns line, or 0 (unknown) with a note naming what
// when it is not a cache line size hardware has.
func lineOrUnknown(line int, what string, n *notes) int {
	if line == 0 || validLine(line) {
		return line
	}
	n.add(fmt.Sprintf("%s: cache line %d is not a power of two from %d to %d bytes; that source's line size is taken as unknown", what, line, minLine, maxLine))
	return 0
}

// readHardware builds the hardware view: live cpuid for the live FS, else a
// captured cpuid.json, else /proc/cpuinfo of the tree.
func (fsys FS) readHardware(n *notes) Hardware {
	if fsys.live {
		f := LiveCPUID()
		f.CacheLine = lineOrUnknown(f.CacheLine, "cpuid", n)
		h := hardwareFromCPUID(f, "cpuid")
		if !h.Vendor.Known() && !h.CacheLine.Known() {
			// No CPUID here (arm64 without it, s390x, ...): /proc/cpuinfo
			// has the model at least.
			if b, err := fsys.readPrefix(fileCPUInfo); err == nil {
				if ci, err := parseCPUInfo(name(fileCPUInfo), b); err == nil {
					ci.lineSize = lineOrUnknown(ci.lineSize, name(fileCPUInfo), n)
					hi := hardwareFromCPUInfo(ci)
					hi.Arch = h.Arch
					return hi
				}
			}
			n.add("cpuid facts are not available on " + runtime.GOARCH + "; the hardware view is mostly empty")
		}
		return h
	}
	if b, err := fsys.readFile(fileCPUID); err == nil {
		f, err := parseCPUIDFacts(name(fileCPUID), b)
		if err == nil {
			f.CacheLine = lineOrUnknown(f.CacheLine, name(fileCPUID), n)
			return hardwareFromCPUID(f, "captured cpuid ("+fileCPUID+")")
		}
		n.add(err.Error())
	} else if !isNotExist(err) {
		n.add(err.Error())
	}
	b, err := fsys.readPrefix(fileCPUInfo)
	if isNotExist(err) {
		n.add("no " + name(fileCPUID) + " or " + name(fileCPUInfo) + " in the tree; the hardware view is empty")
		return Hardware{}
	}
	var ci cpuInfo
	if err == nil {
		ci, err = parseCPUInfo(name(fileCPUInfo), b)
	}
	if err != nil {
		n.add(err.Error() + "; the hardware view is empty")
		return Hardware{}
	}
	ci.lineSize = lineOrUnknown(ci.lineSize, name(fileCPUInfo), n)
	return hardwareFromCPUInfo(ci)
}
