#!/usr/bin/env bash
# Issue 9's benchmark of the token path: builds the gateway and the bench in release,
# starts PostgreSQL if it is down, and runs `gateway-bench` (both backends, 1000 users,
# 16 and 64 connections for 10 s each, refresh storms, pgbench -S). Arguments pass
# through, e.g. `scripts/bench.sh --backend sqlite --duration 30s` or `--smoke`.
# Results: a table on stdout and JSON in target/bench/results.json (--out to change).
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v pg_isready >/dev/null && ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 1
  done
fi

cargo build --release -p auth-gateway -p gateway-bench
exec target/release/gateway-bench "$@"
