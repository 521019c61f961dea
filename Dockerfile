# syntax=docker/dockerfile:1
# One image for the workspace's binaries: the gateway, the MCP servers (google-ads-mcp,
# google-analytics-mcp) and google-emulator. Run another binary by overriding the
# command, e.g. `command: ["google-ads-mcp", "--transport", "http"]`.

# --- build -------------------------------------------------------------------------
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# aws-lc-sys builds with the C compiler alone; no cmake or nasm needed.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bins \
 && mkdir -p /out \
 && find target/release -maxdepth 1 -type f -executable \
      \( -name 'auth-gateway' -o -name 'google-*-mcp' -o -name 'google-emulator' \) \
      -exec cp {} /out/ \;

# --- run ---------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
# CA certificates for the provider's TLS; curl for the container healthcheck.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --create-home gateway
COPY --from=build /out/ /usr/local/bin/
USER gateway
WORKDIR /data
ENV ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json \
    AUTH_GATEWAY_DATA_DIR=/data
EXPOSE 8000
# Docker sends SIGTERM on stop; the gateway drains for SHUTDOWN_GRACE_SECONDS (default 20),
# so give it longer than that: `docker stop -t 30` / compose `stop_grace_period: 30s`.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${PORT}/ready" >/dev/null || exit 1
CMD ["auth-gateway"]
