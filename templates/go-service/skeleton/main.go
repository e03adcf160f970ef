// Command {{values.name}} is an HTTP service on net/http.
//
// It serves GET /healthz and Prometheus metrics on GET /metrics, on
// 0.0.0.0:$PORT (default {{values.port}}), and logs one JSON line per request.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// defaultPort is the port when PORT is not set.
const defaultPort = "{{values.port}}"

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = defaultPort
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		fmt.Fprintf(os.Stderr, "PORT=%q is not a port number\n", port)
		os.Exit(2)
	}
	// `{{values.name}} healthcheck` asks the running server for /healthz; the
	// image's HEALTHCHECK runs it, so the image needs no curl.
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(port))
	}

	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: logLevel()}))
	slog.SetDefault(logger)
	if err := serve(port, logger); err != nil {
		logger.Error("server stopped", "error", err)
		os.Exit(1)
	}
}

// serve listens on 0.0.0.0:port until SIGTERM or SIGINT, then lets the
// requests in flight finish.
func serve(port string, logger *slog.Logger) error {
	server := &http.Server{
		Addr:              net.JoinHostPort("0.0.0.0", port),
		Handler:           newHandler(NewMetrics(), logger),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	failed := make(chan error, 1)
	go func() {
		logger.Info("listening", "addr", server.Addr)
		failed <- server.ListenAndServe()
	}()
	select {
	case err := <-failed:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	// Kubernetes waits 30 s after SIGTERM: finish well before that.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-failed; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler is the whole service: its routes, counted, timed and logged.
func newHandler(metrics *Metrics, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.Handle("GET /metrics", metrics)
	return observe(mux, metrics, logger)
}

// healthz answers liveness and readiness probes: the process is up and serving.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// observe records every request in the metrics and the log. The route's
// pattern, not the raw path, labels it: one series per route, whatever the
// clients ask for.
func observe(mux *http.ServeMux, metrics *Metrics, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		_, pattern := mux.Handler(r)
		mux.ServeHTTP(recorder, r)
		elapsed := time.Since(started)
		path := routeLabel(pattern)
		metrics.Observe(r.Method, path, recorder.status, elapsed)
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", path),
			slog.Int("status", recorder.status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
		)
	})
}

// routeLabel turns a mux pattern ("GET /items/{id}") into a label value
// ("/items/{id}"); no pattern means no route matched.
func routeLabel(pattern string) string {
	if _, path, found := strings.Cut(pattern, " "); found {
		pattern = path
	}
	if pattern == "" {
		return "unmatched"
	}
	return pattern
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status = status
		r.wroteHeader = true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(body []byte) (int, error) {
	r.wroteHeader = true
	return r.ResponseWriter.Write(body)
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter {
	return r.ResponseWriter
}

// logLevel reads LOG_LEVEL (debug, info, warn, error); info by default.
func logLevel() slog.Level {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return level
}

// healthcheck returns the exit status: 0 when GET /healthz answers 200.
func healthcheck(port string) int {
	client := http.Client{Timeout: 2 * time.Second}
	res, err := client.Get("http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "healthz answered", res.Status)
		return 1
	}
	return 0
}
