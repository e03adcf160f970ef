package main

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Prometheus metrics in the text exposition format, written by hand (two
// metric families do not need a client library):
//
//   - http_requests_total{method, path, status}: a counter;
//   - http_request_duration_seconds{path}: a histogram of response times.

// buckets are the upper bounds of the latency histogram, in seconds.
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type requestKey struct {
	method, path string
	status       int
}

type histogram struct {
	counts []uint64 // cumulative: counts[i] counts observations <= buckets[i]
	count  uint64
	sum    float64
}

// Metrics holds the service's counters; it is safe for concurrent use, and
// serves them as an http.Handler.
type Metrics struct {
	mu       sync.Mutex
	requests map[requestKey]uint64
	latency  map[string]*histogram
}

func NewMetrics() *Metrics {
	return &Metrics{
		requests: make(map[requestKey]uint64),
		latency:  make(map[string]*histogram),
	}
}

// Observe records one answered request.
func (m *Metrics) Observe(method, path string, status int, elapsed time.Duration) {
	seconds := elapsed.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{method, path, status}]++
	h, ok := m.latency[path]
	if !ok {
		h = &histogram{counts: make([]uint64, len(buckets))}
		m.latency[path] = h
	}
	for i, bound := range buckets {
		if seconds <= bound {
			h.counts[i]++
		}
	}
	h.count++
	h.sum += seconds
}

// ServeHTTP answers GET /metrics.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	m.writeText(w)
}

// writeText writes every metric, in a stable order.
func (m *Metrics) writeText(w io.Writer) {
	m.mu.Lock()
	defer m.mu.Unlock()

	fmt.Fprintln(w, "# HELP http_requests_total HTTP requests answered, by method, route and status.")
	fmt.Fprintln(w, "# TYPE http_requests_total counter")
	keys := make([]requestKey, 0, len(m.requests))
	for key := range m.requests {
		keys = append(keys, key)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.method != b.method {
			return a.method < b.method
		}
		if a.path != b.path {
			return a.path < b.path
		}
		return a.status < b.status
	})
	for _, key := range keys {
		fmt.Fprintf(w, "http_requests_total{method=\"%s\",path=\"%s\",status=\"%d\"} %d\n",
			escape(key.method), escape(key.path), key.status, m.requests[key])
	}

	fmt.Fprintln(w, "# HELP http_request_duration_seconds Time taken to answer HTTP requests, by route.")
	fmt.Fprintln(w, "# TYPE http_request_duration_seconds histogram")
	paths := make([]string, 0, len(m.latency))
	for path := range m.latency {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		h := m.latency[path]
		label := escape(path)
		for i, bound := range buckets {
			fmt.Fprintf(w, "http_request_duration_seconds_bucket{path=\"%s\",le=\"%s\"} %d\n",
				label, strconv.FormatFloat(bound, 'g', -1, 64), h.counts[i])
		}
		fmt.Fprintf(w, "http_request_duration_seconds_bucket{path=\"%s\",le=\"+Inf\"} %d\n", label, h.count)
		fmt.Fprintf(w, "http_request_duration_seconds_sum{path=\"%s\"} %s\n", label,
			strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(w, "http_request_duration_seconds_count{path=\"%s\"} %d\n", label, h.count)
	}
}

// labelEscaper writes a label value as the exposition format wants it.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escape(value string) string {
	return labelEscaper.Replace(value)
}
