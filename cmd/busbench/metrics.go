package main

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventbus/eventbus/bus"
	"github.com/eventbus/eventbus/bus/metrics"
)

// watcher exports the buses of the throughput runs while they run: each
// bus registers its collector (package bus/metrics), labelled with its
// scenario's name, for the length of its run. With -metrics an HTTP
// server serves the registry on /metrics; with -dashboard a sampler
// gathers it at intervals for the dashboard picture.
type watcher struct {
	reg     *prometheus.Registry
	srv     *metrics.Server // nil without -metrics
	sampler *sampler        // nil without -dashboard
	stop    chan struct{}   // ends the sampler
	sampled chan struct{}   // closed when the sampler has ended
}

// startWatcher starts serving on addr (when not empty) and sampling every
// interval (when sample is set).
func startWatcher(addr string, sample bool, interval time.Duration) (*watcher, error) {
	w := &watcher{reg: prometheus.NewRegistry()}
	if addr != "" {
		srv, err := metrics.Serve(addr, w.reg)
		if err != nil {
			return nil, fmt.Errorf("-metrics: %w", err)
		}
		w.srv = srv
	}
	if sample {
		w.sampler = newSampler(w.reg, interval)
		w.stop, w.sampled = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(w.sampled)
			w.sampler.run(w.stop)
		}()
	}
	return w, nil
}

// watch registers the collector of a bus named name until the returned
// function is called.
func (w *watcher) watch(name string, stats func() bus.Stats) (unwatch func()) {
	c := metrics.NewCollector(name, stats)
	if err := w.reg.Register(c); err != nil {
		panic(err) // unreachable: runs follow each other, so no two buses share a name at once
	}
	return func() { w.reg.Unregister(c) }
}

// close stops the sampler and the server.
func (w *watcher) close() error {
	if w.sampler != nil {
		close(w.stop)
		<-w.sampled
	}
	if w.srv == nil {
		return nil
	}
	return w.srv.Close()
}
