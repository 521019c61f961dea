#!/usr/bin/env bash
# Black-box test of the rmcp helper with the Python `mcp` client (2.3), both protocol
# eras. Builds the example server, makes a venv under target/, runs run.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../../.."

binary="$(cargo build -q -p mcp-auth-client --example test_stack --message-format=json \
  | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "test_stack" and m.get("executable"):
        print(m["executable"])')"

venv="${CARGO_TARGET_DIR:-target}/mcp-auth-client-py/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "mcp==2.3.*"
"$venv/bin/python" "$here/run.py" "$binary"
