package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Server serves a registry's metrics on /metrics over HTTP, for a program
// that has no HTTP server of its own (busbench and busstress use it for
// -metrics). Create it with Serve; the zero value is not usable.
type Server struct {
	addr   string
	srv    *http.Server
	served chan error // what http.Server.Serve returned
}

// Serve listens on addr ("127.0.0.1:9464"; port 0 picks a free one) and
// serves reg on /metrics until Close. It returns once the listener is
// open, so a scrape right after it succeeds.
func Serve(addr string, reg *prometheus.Registry) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	s := &Server{addr: ln.Addr().String(), served: make(chan error, 1),
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	go func() { s.served <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr returns the address the server listens on, with its port resolved.
func (s *Server) Addr() string { return s.addr }

// Close stops the server, giving scrapes in progress up to 5 seconds, and
// returns once it has stopped.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
