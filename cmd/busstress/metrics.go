package main

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/metrics"
)

// metricsServer serves the bus of the scenario running now on /metrics
// (package bus/metrics, labelled bus="seed-SEED"), for -metrics.
type metricsServer struct {
	reg *prometheus.Registry
	*metrics.Server
}

// serveMetrics starts serving on addr.
func serveMetrics(addr string) (*metricsServer, error) {
	reg := prometheus.NewRegistry()
	srv, err := metrics.Serve(addr, reg)
	if err != nil {
		return nil, fmt.Errorf("-metrics: %w", err)
	}
	return &metricsServer{reg: reg, Server: srv}, nil
}

// watch returns a stress.Options.Watch that registers each run's bus
// under the name of its seed for as long as the run lasts.
func (m *metricsServer) watch(seed uint64) func(stats func() bus.Stats) func() {
	return func(stats func() bus.Stats) func() {
		c := metrics.NewCollector(fmt.Sprintf("seed-%d", seed), stats)
		if err := m.reg.Register(c); err != nil {
			panic(err) // unreachable: runs follow each other, one seed each
		}
		return func() { m.reg.Unregister(c) }
	}
}
