package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/metrics"
)

// metricsServer serves the bus of the scenario running now on /metrics
// (package bus/metrics, labelled bus="seed-SEED"), for -metrics.
type metricsServer struct {
	reg    *prometheus.Registry
	addr   string // where it listens, with the port resolved
	srv    *http.Server
	served chan error // what Serve returned
}

// serveMetrics starts serving on addr.
func serveMetrics(addr string) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-metrics: %w", err)
	}
	m := &metricsServer{reg: prometheus.NewRegistry(), addr: ln.Addr().String(), served: make(chan error, 1)}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { m.served <- m.srv.Serve(ln) }()
	return m, nil
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

// close stops the server.
func (m *metricsServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	if serr := <-m.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
