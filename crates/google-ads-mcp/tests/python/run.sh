#!/usr/bin/env bash
# Black-box test of google-ads-mcp with the Python `mcp` client (2.3): the built binary
# over stdio (both protocol eras) and a shared server over streamable HTTP, against a
# real gateway and the Google emulator (examples/ads_test_stack.rs). Makes a venv under
# target/. Usage: crates/google-ads-mcp/tests/python/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../../../.."

artifacts="$(cargo build -q -p google-ads-mcp --bin google-ads-mcp --example ads_test_stack --message-format=json)"
pick() {
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1" <<<"$artifacts"
}
server="$(pick google-ads-mcp)"
stack="$(pick ads_test_stack)"

venv="${CARGO_TARGET_DIR:-target}/google-ads-mcp-py/venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "mcp==2.3.*"
"$venv/bin/python" "$here/run.py" "$stack" "$server"
