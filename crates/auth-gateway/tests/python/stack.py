"""Starts the test stack on free loopback ports: the Google emulator, the gateway (SQLite
in a temporary directory, settings from the emulator's env file), the two resources
registered with the admin CLI, and two FastMCP servers. Every process is ended on exit."""

import http.server
import json
import os
import re
import shutil
import shlex
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx2

HERE = Path(__file__).resolve().parent
# The test CA and loopback certificate of the API tests (tests/fixtures/cimd/README.md).
FIXTURES = HERE.parent / "fixtures" / "cimd"
ADS_SCOPE = "https://www.googleapis.com/auth/adwords"
ANALYTICS_SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
# Lines of the gateway's log that could carry a secret are never shown.
SECRET_LINE = re.compile(r"(?i)api[_ -]?key|secret|encryption|password|token=")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, seconds: float, what: str, process=None, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            if check():
                return
        except (OSError, httpx2.HTTPError):
            pass
        time.sleep(0.1)
    tail = redacted_tail(log) if log else ""
    raise RuntimeError(f"{what} did not come up\n{tail}")


def redacted_tail(log: Path, lines: int = 30) -> str:
    try:
        text = log.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ""
    return "\n".join("  | " + ("<line withheld: may hold a secret>" if SECRET_LINE.search(l) else l) for l in text)


def read_env_file(path: Path) -> dict:
    env = {}
    for line in path.read_text().splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            env[name] = value
    return env


class Stack:
    def __init__(self, gateway_bin: str, emulator_bin: str):
        self.gateway_bin, self.emulator_bin = gateway_bin, emulator_bin
        self.dir = Path(tempfile.mkdtemp(prefix="auth-gateway-py-"))
        self.processes = []
        self.gateway_log = self.dir / "gateway.log"

    def spawn(self, argv, log: Path, env=None):
        with open(log, "wb") as out:
            process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
        self.processes.append(process)
        return process

    def start(self):
        emulator_port, gateway_port = free_port(), free_port()
        ads_port, analytics_port = free_port(), free_port()
        self.emulator_url = f"http://127.0.0.1:{emulator_port}"
        self.gateway_url = f"http://127.0.0.1:{gateway_port}"
        self.ads_url = f"http://127.0.0.1:{ads_port}/mcp"
        self.analytics_url = f"http://127.0.0.1:{analytics_port}/mcp"

        env_file = self.dir / "emulator.env"
        emulator_log = self.dir / "emulator.log"
        emulator = self.spawn(
            [self.emulator_bin, "--port", str(emulator_port), "--account", "alice@example.com",
             "--account", "bob@example.com", "--env-file", str(env_file)],
            emulator_log,
        )
        wait_until(lambda: env_file.exists() and env_file.stat().st_size > 0, 30, "the emulator", emulator, emulator_log)

        self.gateway_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "AUTH_GATEWAY_", "DATABASE_"))},
            **read_env_file(env_file),
            "HOST": "127.0.0.1",
            "PORT": str(gateway_port),
            "AUTH_GATEWAY_PUBLIC_URL": self.gateway_url,
            # Client metadata documents served on loopback with the test CA (development
            # settings; production refuses both).
            "OAUTH_CIMD_ALLOW_LOOPBACK": "true",
            "OAUTH_CIMD_EXTRA_CA_FILE": str(FIXTURES / "ca.pem"),
            "AUTH_GATEWAY_DATA_DIR": str(self.dir / "data"),
            "LOG_LEVEL": "INFO",
        }
        gateway = self.spawn([self.gateway_bin, "serve"], self.gateway_log, env=self.gateway_env)
        wait_until(lambda: httpx2.get(f"{self.gateway_url}/health").status_code == 200, 60,
                   "the gateway", gateway, self.gateway_log)

        # The running gateway generated the development secrets the CLI needs.
        for name, uri, scope, display in [
            ("ads-mcp", self.ads_url, ADS_SCOPE, "Google Ads (FastMCP)"),
            ("analytics-mcp", self.analytics_url, ANALYTICS_SCOPE, "Google Analytics (FastMCP)"),
        ]:
            self.cli("clients", "create", name, "--providers", "google")
            self.cli("resources", "add", uri, "--client", name, "--provider", "google",
                     "--scopes", scope, "--name", display)


        # ads publishes no scope (FastMCP's default); analytics requires and publishes its own.
        for name, port, extra in [("ads", ads_port, []), ("analytics", analytics_port, ["--require-scope"])]:
            log = self.dir / f"{name}.log"
            argv = [sys.executable, str(HERE / "resource_server.py"), name, str(port), self.gateway_url, *extra]
            server = self.spawn(argv, log)
            metadata = f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp"
            wait_until(lambda m=metadata: httpx2.get(m).status_code == 200, 60, f"the {name} server", server, log)
        return self

    def cli(self, *args) -> str:
        # The output holds a client's key (printed once): kept out of the log.
        done = subprocess.run([self.gateway_bin, *args], env=self.gateway_env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"auth-gateway {' '.join(args[:2])} failed: {done.stderr[-2000:]}")
        return done.stdout

    def serve_client_document(self, redirect_uri: str) -> str:
        """Serves a client ID metadata document over https on loopback (the test CA's
        certificate); returns its URL, which is the client's `client_id`."""
        port = free_port()
        url = f"https://127.0.0.1:{port}/oauth/client.json"
        document = json.dumps({
            "client_id": url, "client_name": "Python mcp SDK (CIMD)", "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(document)))
                self.end_headers()
                self.wfile.write(document)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(FIXTURES / "server.pem", FIXTURES / "server.key")
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.document_server = server
        return url

    def start_rust_ads(self, ads_bin: str):
        """Our own google-ads-mcp as a protected resource (MCP_AUTH=gateway): its key from
        `clients create`, registered as a resource, Google played by the emulator."""
        port = free_port()
        self.rust_ads_url = f"http://127.0.0.1:{port}/mcp"
        out = self.cli("clients", "create", "rust-ads-mcp", "--providers", "google", "--verified-users-only")
        key = next(line.split("=", 1)[1].strip() for line in out.splitlines()
                   if line.startswith("AUTH_GATEWAY_API_KEY="))
        self.cli("resources", "add", self.rust_ads_url, "--client", "rust-ads-mcp", "--provider", "google",
                 "--scopes", ADS_SCOPE, "--name", "Google Ads (rmcp)")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "AUTH_GATEWAY_", "MCP_"))},
            "AUTH_GATEWAY_URL": self.gateway_url,
            "AUTH_GATEWAY_API_KEY": key,
            "MCP_AUTH": "gateway",
            "MCP_RESOURCE_URL": self.rust_ads_url,
            "GOOGLE_ADS_API_URL": self.emulator_url,
        }
        log = self.dir / "rust-ads.log"
        server = self.spawn([ads_bin, "--transport", "http", "--bind", f"127.0.0.1:{port}"], log, env=env)
        metadata = f"http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp"
        wait_until(lambda: httpx2.get(metadata).status_code == 200, 60, "google-ads-mcp", server, log)

    def stop(self, keep_logs: bool = False):
        """Ends every process; the temporary directory (logs, database) stays only when asked."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if keep_logs:
            print(f"logs kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
