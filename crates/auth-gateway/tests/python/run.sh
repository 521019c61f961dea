#!/usr/bin/env bash
# Interop with MCP software nobody here wrote: the gateway as the OAuth authorization
# server for two FastMCP 4.x servers (JWTVerifier + RemoteAuthProvider), with the Python
# `mcp` 2.3 SDK's OAuthClientProvider as the client and the Google emulator as Google.
# Also our own google-ads-mcp in MCP_AUTH=gateway mode, reached by the same SDK client.
# Builds the three binaries, makes a venv under the target dir, runs run.py.
# Usage: crates/auth-gateway/tests/python/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../../.."

target="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
cargo build -q -p auth-gateway -p google-emulator -p google-ads-mcp
gateway="$target/debug/auth-gateway"
emulator="$target/debug/google-emulator"
ads="$target/debug/google-ads-mcp"

venv="$target/auth-gateway-py/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "mcp==2.3.*" "fastmcp==4.1.*" "playwright==1.65.*"
cd "$here"
export PYTHONDONTWRITEBYTECODE=1
# Screenshots of the real-browser case (artifacts): $target/auth-gateway-py/screenshots
"$venv/bin/python" run.py "$gateway" "$emulator" "$ads" "$target/auth-gateway-py/screenshots"
