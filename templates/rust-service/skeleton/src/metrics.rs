//! Prometheus metrics in the text exposition format, written by hand (two
//! metric families do not need a client library):
//!
//! - `http_requests_total{method, path, status}`: a counter;
//! - `http_request_duration_seconds{path}`: a histogram of response times.
//!
//! `path` is the route pattern (`/items/{id}`), or `unmatched`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, MutexGuard};

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// (method, path, status) -> count.
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
}

#[derive(Default)]
struct Histogram {
    /// Cumulative: `buckets[i]` counts observations <= `BUCKETS[i]`.
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves counters that are
        // still good to read.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn observe(&self, method: &str, path: &str, status: u16, seconds: f64) {
        let mut inner = self.lock();
        *inner
            .requests
            .entry((method.to_owned(), path.to_owned(), status))
            .or_default() += 1;
        let histogram = inner.latency.entry(path.to_owned()).or_default();
        for (bucket, bound) in histogram.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        out.push_str(
            "# HELP http_requests_total HTTP requests answered, by method, route and status.\n",
        );
        out.push_str("# TYPE http_requests_total counter\n");
        for ((method, path, status), count) in &inner.requests {
            let _ = writeln!(
                out,
                "http_requests_total{{method=\"{}\",path=\"{}\",status=\"{status}\"}} {count}",
                escape(method),
                escape(path),
            );
        }
        out.push_str(
            "# HELP http_request_duration_seconds Time taken to answer HTTP requests, by route.\n",
        );
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (path, histogram) in &inner.latency {
            let path = escape(path);
            for (count, bound) in histogram.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{path=\"{path}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{path=\"{path}\",le=\"+Inf\"}} {}",
                histogram.count
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_sum{{path=\"{path}\"}} {}",
                histogram.sum
            );
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{path=\"{path}\"}} {}",
                histogram.count
            );
        }
        out
    }
}

/// A label value as the exposition format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::default();
        metrics.observe("GET", "/healthz", 200, 0.003);
        metrics.observe("GET", "/healthz", 200, 0.2);
        let text = metrics.render();
        for line in [
            r#"http_request_duration_seconds_bucket{path="/healthz",le="0.005"} 1"#,
            r#"http_request_duration_seconds_bucket{path="/healthz",le="0.25"} 2"#,
            r#"http_request_duration_seconds_bucket{path="/healthz",le="+Inf"} 2"#,
            r#"http_request_duration_seconds_count{path="/healthz"} 2"#,
        ] {
            assert!(text.contains(line), "{line} not in\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
    }
}
