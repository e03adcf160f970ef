"""{{values.name}}: an HTTP service on FastAPI.

Serves ``GET /healthz`` and Prometheus metrics on ``GET /metrics``, on
``0.0.0.0:$PORT`` (default {{values.port}}), and logs one JSON line per request.
"""

import json
import logging
import os
import sys
import time
from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response

from app.metrics import Metrics

# The port when PORT is not set.
DEFAULT_PORT = {{values.port}}

logger = logging.getLogger("{{snake values.name}}")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, message, and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging() -> None:
    """JSON lines on standard output, at LOG_LEVEL (default INFO)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())


def create_app() -> FastAPI:
    """The whole service; the tests make their own."""
    app = FastAPI(
        title="{{values.name}}",
        description={{values.descriptionQuoted}},
        version="0.1.0",
    )
    metrics = Metrics()
    app.state.metrics = metrics

    @app.middleware("http")
    async def observe(request: Request, call_next):
        """Counts, times and logs every request, by route pattern rather than
        raw path: one series per route, whatever the clients ask for."""
        started = time.perf_counter()
        status = 500  # unless the app answers: an exception is a 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            seconds = time.perf_counter() - started
            route = request.scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            metrics.observe(request.method, path, status, seconds)
            logger.info(
                "request",
                extra={
                    "fields": {
                        "method": request.method,
                        "path": path,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 3),
                    }
                },
            )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness and readiness: the process is up and serving."""
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint() -> Response:
        """Prometheus text exposition format."""
        return Response(content=metrics.render(), media_type=metrics.content_type)

    return app


app = create_app()


def run() -> None:
    """Serves on 0.0.0.0:$PORT until SIGTERM."""
    import uvicorn

    configure_logging()
    raw = os.environ.get("PORT", str(DEFAULT_PORT))
    try:
        port = int(raw)
    except ValueError:
        raise SystemExit(f"PORT={raw!r} is not a port number") from None
    logger.info("listening", extra={"fields": {"port": port}})
    uvicorn.run(
        app,
        host="0.0.0.0",
        port=port,
        # Requests are logged by the middleware above, in JSON.
        access_log=False,
        log_config=None,
        # Kubernetes waits 30 s after SIGTERM: finish well before that.
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    run()
