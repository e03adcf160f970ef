# syntax=docker/dockerfile:1
# Portico in a container: built from source in one stage, run from a small
# Debian image as an unprivileged user.
#
#   docker build -t portico .
#   docker run -p 7007:7007 portico            # SQLite, the example catalog
#   docker compose up                          # with PostgreSQL (docker-compose.yml)

FROM rust:1.95-bookworm AS build
# `docker build --build-arg FEATURES=otlp .` for OpenTelemetry export.
ARG FEATURES=""
WORKDIR /src
# Dependencies first, so that editing Portico's code reuses their layer.
COPY Cargo.toml Cargo.lock ./
COPY crates crates
COPY src src
COPY migrations migrations
# The manifest names the e2e test target; cargo wants its file present.
COPY tests tests
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin portico ${FEATURES:+--features "$FEATURES"} \
    && install -Dm755 target/release/portico /out/portico

FROM debian:bookworm-slim
# ca-certificates: HTTPS to git hosts and identity providers; openssh-client:
# ssh:// repository URLs; git is read natively, no git binary is needed.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates openssh-client \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/portico --create-home portico
COPY --from=build /out/portico /usr/local/bin/portico
# Run from /opt/portico so that, with no configuration, the example catalog,
# its docs and the shipped templates are found as in a checkout.
WORKDIR /opt/portico
COPY catalog-examples catalog-examples
COPY templates templates
COPY docs docs
COPY portico.example.yaml portico.example.yaml

ENV PORTICO__SERVER__HOST=0.0.0.0 \
    PORTICO__SERVER__PORT=7007 \
    PORTICO__DATA_DIR=/var/lib/portico \
    PORTICO_LOG=info
USER 10001:10001
VOLUME ["/var/lib/portico"]
EXPOSE 7007
# `portico healthcheck` asks /healthz: the image has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["portico", "healthcheck", "--url", "http://127.0.0.1:7007/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["portico"]
CMD ["serve"]
