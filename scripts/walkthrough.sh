#!/usr/bin/env bash
# Runs the README's "Try the whole flow offline" exactly as written, in a fresh copy of
# the work tree (tracked and new files, nothing ignored), so the README cannot drift
# from what works. Every command below must stand verbatim in README.md (a line ending
# in `\` continues on the next one); the script fails if one does not. Headless
# Chromium is the browser. Uses ports 8000 and 8085, like the README.
# Usage: scripts/walkthrough.sh      (CI: after `apt-get install chromium`)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

# The README's commands, in order.
emulator_cmd='cargo run -p google-emulator -- --port 8085 --account alice@example.com --env-file emulator.env'
load_env_cmd='. ./emulator.env'
gateway_cmd='cargo run -p auth-gateway'
key_cmd='KEY=$(cat .auth-gateway/api.key)'
token_cmd=$'curl -s -X POST localhost:8000/auth/token -H "X-API-Key: $KEY" -H \'content-type: application/json\' -d \'{"provider":"google","user_email":"alice@example.com"}\''
venv_cmd="python3 -m venv .venv && .venv/bin/pip install -q 'mcp==2.3.*'"
mcp_env_cmd='export AUTH_GATEWAY_URL=http://127.0.0.1:8000 AUTH_GATEWAY_API_KEY=$KEY MCP_USER_EMAIL=alice@example.com'
mcp_call_cmd='.venv/bin/python scripts/mcp-call.py list_accounts -- cargo run -q -p google-ads-mcp'

passed=0
failed=0
step() { echo "-- $*"; }
ok() { echo "   ok: $*"; passed=$((passed + 1)); }
fail() {
  echo "   FAILED: $*" >&2
  failed=$((failed + 1))
  echo "walkthrough: $passed passed, $failed failed"
  exit 1
}

step "every command is in the README as written"
readme="$(sed -e ':a' -e '/\\$/{N;s/\\\n[[:space:]]*//;ba' -e '}' "$repo/README.md")"
for command in "$emulator_cmd" "$load_env_cmd" "$gateway_cmd" "$key_cmd" "$token_cmd" \
  "$venv_cmd" "$mcp_env_cmd" "$mcp_call_cmd"; do
  grep -qxF -- "$command" <<<"$readme" || fail "README.md has no line: $command"
done
ok "8 commands found"

for port in 8000 8085; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is in use; the README's commands need it"
  fi
done
command -v chromium >/dev/null || fail "chromium is not installed (apt-get install chromium)"

work="$(mktemp -d)"
pids=()
cleanup() {
  # each background step leads its own process group: cargo and what it started go too
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
git -C "$repo" ls-files -z --cached --others --exclude-standard |
  (cd "$repo" && tar --null -T - --ignore-failed-read -cf -) | tar -xf - -C "$work"
cd "$work"
# Same target dir as the repository: the dependencies are built once.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
step "build (what each first cargo run would do)"
# One package at a time, as `cargo run -p` resolves features: a joint build would
# unify features differently and each `cargo run` would rebuild dependencies.
for package in google-emulator auth-gateway google-ads-mcp; do
  cargo build -q -p "$package"
done

# waits up to $2 seconds for the command $1 to succeed
wait_for() {
  for _ in $(seq 1 "$2"); do
    eval "$1" >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}

step "1. $emulator_cmd"
setsid bash -c "$emulator_cmd" >emulator.out 2>emulator.log &
pids+=($!)
wait_for 'test -s emulator.env' 300 || fail "no emulator.env: $(tail -5 emulator.log)"
grep -q "^export GOOGLE_ADS_API_URL='http://127.0.0.1:8085'" emulator.out ||
  fail "the emulator did not print export lines: $(cat emulator.out)"
ok "emulator up; emulator.env written"

step "2. $load_env_cmd; $gateway_cmd"
setsid bash -c "$load_env_cmd; exec $gateway_cmd" >gateway.log 2>&1 &
pids+=($!)
wait_for 'curl -sf localhost:8000/health' 300 || fail "gateway not up: $(tail -5 gateway.log)"
# the generated key is shown once by the gateway; this log keeps it out
sed -e 's/^/   | /' -e 's/AUTH_GATEWAY_API_KEY=.*/AUTH_GATEWAY_API_KEY=…/' gateway.log |
  grep -v ' Compiling \| Finished \| Running ' || true
ok "gateway up"

step "3. $key_cmd; the token request, the browser, the token request again"
eval "$key_cmd"
first="$(eval "$token_cmd")"
auth_url="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["detail"]["auth_url"])' "$first")" ||
  fail "no detail.auth_url in: $first"
echo "   | $first"
ok "404 not_authenticated with a sign-in link"
page="$(timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$work/chromium" \
  --dump-dom "$auth_url" 2>/dev/null)" || fail "chromium could not open the sign-in link"
grep -q "Signed in" <<<"$page" || fail "the browser did not end on the success page: $page"
ok "the browser signed alice in"
second="$(eval "$token_cmd")"
grep -q '"access_token"' <<<"$second" || fail "no access_token after sign-in: $second"
# the token itself stays out of the log
echo "   | $(sed -E 's/"access_token":"[^"]*"/"access_token":"…"/' <<<"$second")"
ok "200 with an access token"

step "4. $venv_cmd; $load_env_cmd; the MCP client calls list_accounts"
eval "$venv_cmd"
eval "$load_env_cmd"
eval "$mcp_env_cmd"
accounts="$(eval "$mcp_call_cmd" 2>mcp.log)" || fail "the tool call failed: $accounts $(tail -5 mcp.log)"
echo "$accounts" | sed 's/^/   | /'
grep -q "Northwind Bakery" <<<"$accounts" || fail "no emulator data in the tool's answer"
ok "the tool answered with the emulator's accounts"

echo "walkthrough: $passed passed, $failed failed"
