package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func newTestHandler() http.Handler {
	return newHandler(NewMetrics(), slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

func get(t *testing.T, handler http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, path, nil))
	return recorder
}

func TestHealthz(t *testing.T) {
	res := get(t, newTestHandler(), "/healthz")
	if res.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", res.Code)
	}
	if got := res.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q, want application/json", got)
	}
	var body map[string]string
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body["status"] != "ok" || len(body) != 1 {
		t.Errorf(`body %v, want {"status":"ok"}`, body)
	}
}

func TestMetricsCountRequestsByRouteAndStatus(t *testing.T) {
	handler := newTestHandler()
	for _, path := range []string{"/healthz", "/healthz", "/no-such-page"} {
		get(t, handler, path)
	}
	res := get(t, handler, "/metrics")
	if res.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", res.Code)
	}
	text := res.Body.String()
	for _, line := range []string{
		`http_requests_total{method="GET",path="/healthz",status="200"} 2`,
		`http_requests_total{method="GET",path="unmatched",status="404"} 1`,
		`http_request_duration_seconds_bucket{path="/healthz",le="+Inf"} 2`,
		`http_request_duration_seconds_count{path="/healthz"} 2`,
	} {
		if !strings.Contains(text, line) {
			t.Errorf("missing %s in\n%s", line, text)
		}
	}
}

func TestRouteLabel(t *testing.T) {
	for pattern, want := range map[string]string{
		"GET /items/{id}": "/items/{id}",
		"/static/":        "/static/",
		"":                "unmatched",
	} {
		if got := routeLabel(pattern); got != want {
			t.Errorf("routeLabel(%q) = %q, want %q", pattern, got, want)
		}
	}
}
