"""Prometheus metrics of the service.

- ``http_requests_total{method, path, status}``: a counter;
- ``http_request_duration_seconds{path}``: a histogram of response times.

``path`` is the route pattern (``/items/{item_id}``), or ``unmatched``. The
metrics live in their own registry, so each app (and each test) counts alone.
"""

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Upper bounds of the latency buckets, in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route and status.",
            ["method", "path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time taken to answer HTTP requests, by route.",
            ["path"],
            buckets=BUCKETS,
            registry=self.registry,
        )

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, path=path, status=str(status)).inc()
        self.latency.labels(path=path).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
