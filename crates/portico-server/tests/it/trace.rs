//! Every response carries its request id: the caller's `X-Request-Id` when
//! sensible, else a new one.

use portico_store::testing::TestDb;

use crate::app::TestApp;

#[test]
fn responses_carry_the_request_id_given_or_a_new_one() {
    let app = TestApp::spawn(TestDb::sqlite());
    let reply = app.get_with("/api/catalog/entities", &[("X-Request-Id", "lb-7f3a-42")]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.request_id.as_deref(), Some("lb-7f3a-42"));

    // Refused before any handler: still answered with an id.
    let reply = app.get_with(
        "/api/catalog/entities",
        &[("Authorization", "Bearer nonsense")],
    );
    assert_eq!(reply.status, 401);
    let generated = reply.request_id.unwrap();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "{generated}");

    // An id with spaces or too long is not echoed into logs and headers.
    for bad in ["has spaces in it", &"x".repeat(200)] {
        let reply = app.get_with("/healthz", &[("X-Request-Id", bad)]);
        let id = reply.request_id.unwrap();
        assert_ne!(id, bad);
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    }
    let one = app.get("/healthz").request_id.unwrap();
    let two = app.get("/healthz").request_id.unwrap();
    assert_ne!(one, two);
}
