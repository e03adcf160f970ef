from fastapi.testclient import TestClient

from app.main import create_app


def test_healthz_answers_ok():
    client = TestClient(create_app())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_metrics_count_requests_by_route_and_status():
    client = TestClient(create_app())
    for path in ["/healthz", "/healthz", "/no-such-page"]:
        client.get(path)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'http_requests_total{method="GET",path="/healthz",status="200"} 2.0' in text
    assert 'http_requests_total{method="GET",path="unmatched",status="404"} 1.0' in text
    assert 'http_request_duration_seconds_count{path="/healthz"} 2.0' in text


def test_a_handler_that_raises_counts_as_500():
    app = create_app()

    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/boom").status_code == 500
    text = client.get("/metrics").text
    assert 'http_requests_total{method="GET",path="/boom",status="500"} 1.0' in text
