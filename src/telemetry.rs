//! Logging: `RUST_LOG`-style filter (default `info`) on stderr, as compact
//! text or, with `--log-format json`, one JSON object per line with the
//! request's span (method, route, request id) for log collectors.
//!
//! Built with `--features otlp`, spans are also exported to an
//! OpenTelemetry collector over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; the exporter reads the
//! other standard `OTEL_*` variables itself. Spans at `info` and above are
//! exported whatever `PORTICO_LOG` says; `PORTICO_OTLP_FILTER` (same syntax)
//! narrows or widens that.

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Compact `key=value` text (coloured on a terminal).
    Text,
    /// One JSON object per line.
    Json,
}

/// Flushes exported spans when dropped (at the end of `main`).
pub struct Telemetry {
    #[cfg(feature = "otlp")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        #[cfg(feature = "otlp")]
        if let Some(provider) = self.provider.take() {
            if let Err(e) = provider.shutdown() {
                eprintln!("exporting the last spans failed: {e}");
            }
        }
    }
}

pub fn init(format: LogFormat) -> Telemetry {
    let filter = EnvFilter::try_from_env("PORTICO_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let lines = match format {
        LogFormat::Json => fmt
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        LogFormat::Text => fmt
            // Colour codes only for a terminal: logs sent to files or
            // collectors must stay plain `key=value` text.
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .compact()
            .boxed(),
    };
    #[cfg(feature = "otlp")]
    let (export, provider) = match otlp::provider() {
        Ok(Some(provider)) => {
            use opentelemetry::trace::TracerProvider as _;
            // Its own filter: spans are exported at `info` whatever the
            // log level (PORTICO_OTLP_FILTER changes it).
            let filter = EnvFilter::try_from_env("PORTICO_OTLP_FILTER")
                .unwrap_or_else(|_| EnvFilter::new("info"));
            let layer = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("portico"))
                .with_filter(filter);
            (Some(layer), Some(provider))
        }
        Ok(None) => (None, None),
        Err(e) => {
            eprintln!("OpenTelemetry export is off: {e}");
            (None, None)
        }
    };
    // Each output has its own filter, so that a quiet log does not
    // silence exported spans.
    let registry = tracing_subscriber::registry().with(lines.with_filter(filter));
    #[cfg(feature = "otlp")]
    let registry = registry.with(export);
    // A second init (tests, bench in-process) is harmless; ignore it.
    let _ = registry.try_init();
    Telemetry {
        #[cfg(feature = "otlp")]
        provider,
    }
}

#[cfg(feature = "otlp")]
mod otlp {
    use opentelemetry_otlp::{SpanExporter, WithExportConfig as _};
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use opentelemetry_sdk::Resource;

    /// A provider exporting in batches to the configured endpoint, or
    /// `None` when no endpoint is configured.
    pub fn provider() -> Result<Option<SdkTracerProvider>, Box<dyn std::error::Error>> {
        let configured = [
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()));
        if !configured {
            return Ok(None);
        }
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .build()?;
        let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "portico".to_owned());
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(
                Resource::builder()
                    .with_service_name(service)
                    .with_attribute(opentelemetry::KeyValue::new(
                        "service.version",
                        env!("CARGO_PKG_VERSION"),
                    ))
                    .build(),
            )
            .build();
        Ok(Some(provider))
    }
}
