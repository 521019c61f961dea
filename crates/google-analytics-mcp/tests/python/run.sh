#!/usr/bin/env bash
# Black-box test of google-analytics-mcp with the Python `mcp` client (2.3): the built
# binary over stdio and the server over streamable HTTP, both protocol eras, against a
# real auth gateway and the Google emulator (examples/analytics_test_stack.rs). Builds both, makes
# a venv under target/, runs run.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../../.."

# Prints the executable cargo built for target `$1` (from cargo's JSON messages).
executable() {
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}

stack="$(cargo build -q -p google-analytics-mcp --example analytics_test_stack --message-format=json | executable analytics_test_stack)"
server="$(cargo build -q -p google-analytics-mcp --bin google-analytics-mcp --message-format=json | executable google-analytics-mcp)"

venv="${CARGO_TARGET_DIR:-target}/google-analytics-mcp-py/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "mcp==2.3.*"
"$venv/bin/python" "$here/run.py" "$stack" "$server"
