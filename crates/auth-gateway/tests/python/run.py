"""Interop of the gateway, as the OAuth authorization server, with MCP software nobody here
wrote: two FastMCP 4.x servers verify its JWTs (JWTVerifier + RemoteAuthProvider) and the
Python `mcp` 2.3 SDK's OAuthClientProvider is the MCP client (discovery, dynamic
registration, PKCE, RFC 9207 `iss`); an httpx2 cookie jar plays the person's browser.
Prints one line per case and `N passed, M failed`.
Usage: python run.py AUTH_GATEWAY_BIN GOOGLE_EMULATOR_BIN ARTIFACTS_DIR
"""

import asyncio
import base64
import json
import sys
import time
import traceback
from pathlib import Path

import httpx2
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.auth.exceptions import OAuthFlowError
from mcp.client.auth.utils import validate_authorization_response_iss
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata, OAuthMetadata

import browser_check
from browser import Browser, MemoryStorage
from stack import ADS_SCOPE, ANALYTICS_SCOPE, Stack, free_port, redacted_tail

ALICE, BOB = "alice@example.com", "bob@example.com"


def claims_of(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def whoami_of(result) -> dict:
    assert not result.is_error, result
    if isinstance(result.structured_content, dict):
        found = result.structured_content
        return found.get("result", found) if "sub" not in found else found
    return json.loads("".join(getattr(block, "text", "") for block in result.content))


class Interop:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.redirect_uri = f"http://127.0.0.1:{free_port()}/callback"
        self.metadata = OAuthClientMetadata(
            client_name="Python mcp SDK interop test",
            redirect_uris=[self.redirect_uri],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        )
        self.alice_browser = Browser(stack.emulator_url)
        self.alice = {}  # what the cases learn about Alice, for the next ones

    async def sign_in_as(self, email):
        async with httpx2.AsyncClient() as http:
            answer = await http.post(f"{self.stack.emulator_url}/__emulator/sign-in-as", json={"email": email})
            answer.raise_for_status()

    def provider(self, server_url, storage, browser, choose=None):
        redirect_handler, callback_handler = browser.handlers(self.redirect_uri, choose)
        return OAuthClientProvider(server_url, self.metadata, storage, redirect_handler, callback_handler)

    async def whoami(self, server_url, provider) -> dict:
        async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
            async with Client(streamable_http_client(server_url, http_client=http)) as client:
                tools = await client.list_tools()
                assert [t.name for t in tools.tools] == ["whoami"], tools
                return whoami_of(await client.call_tool("whoami", {}))

    async def case_first_server(self):
        """discovery -> DCR -> sign-in -> consent -> token -> whoami on the ads server"""
        stack, browser = self.stack, self.alice_browser
        storage = MemoryStorage()
        provider = self.provider(stack.ads_url, storage, browser)
        await self.sign_in_as(ALICE)
        who = await self.whoami(stack.ads_url, provider)
        assert who["email"] == ALICE, who
        assert who["aud"] == stack.ads_url, who
        assert storage.client_info is not None and who["client_id"] == storage.client_info.client_id, who
        assert who["iss"] == stack.gateway_url, who
        # What the browser went through: Google once (identity + the server's scope), one consent page.
        walk = browser.walks[-1]
        # The ads server's metadata lists no scope: the SDK asks for none, the gateway grants the server's.
        assert "scope" not in walk.start and walk.start["resource"] == stack.ads_url, walk.start
        assert len(walk.google_requests) == 1, walk.hops
        google = walk.google_requests[0]
        assert {"openid", "email", ADS_SCOPE} <= set(google["scope"].split()), google
        assert len(walk.consent_pages) == 1, walk.hops
        assert "Google Ads (FastMCP)" in walk.consent_pages[0] and ALICE in walk.consent_pages[0]
        assert walk.final["iss"] == stack.gateway_url, walk.final
        # The SDK discovered the gateway through the server's RFC 9728 metadata.
        assert str(provider.context.auth_server_url).rstrip("/") == stack.gateway_url, provider.context.auth_server_url
        self.note = f"Google trips: 1, consent pages: 1, iss={walk.final['iss']}"
        claims = claims_of(storage.tokens.access_token)
        assert claims["scope"] == "mcp:" + stack.ads_url.split("://", 1)[1], claims
        assert storage.tokens.refresh_token, "no refresh token"
        self.alice.update(sub=who["sub"], client_info=storage.client_info, ads_tokens=storage.tokens,
                          iss=walk.final["iss"], ads=(provider, storage))

    async def case_second_server(self):
        """same client and browser on the analytics server: one incremental Google trip, no login page, same user"""
        stack, browser = self.stack, self.alice_browser
        await self.sign_in_as(None)  # no forced account: the emulator shows its chooser unless told who
        storage = MemoryStorage(self.alice["client_info"])
        provider = self.provider(stack.analytics_url, storage, browser)  # no account to choose
        who = await self.whoami(stack.analytics_url, provider)
        assert who["email"] == ALICE and who["sub"] == self.alice["sub"], who
        assert who["aud"] == stack.analytics_url, who
        assert who["client_id"] == self.alice["client_info"].client_id, who
        walk = browser.walks[-1]
        # The analytics server requires and publishes its scope: the SDK asks for exactly it.
        analytics_scope = "mcp:" + stack.analytics_url.split("://", 1)[1]
        assert walk.start.get("scope") == analytics_scope, walk.start
        assert claims_of(storage.tokens.access_token)["scope"] == analytics_scope
        assert not walk.account_chooser, walk.hops
        # The new Google scope needs one trip to Google, for Alice by hint, without a forced consent.
        assert len(walk.google_requests) == 1, walk.hops
        google = walk.google_requests[0]
        assert google.get("login_hint") == ALICE, google
        assert google.get("prompt") != "consent", google
        assert ANALYTICS_SCOPE in google["scope"].split(), google
        assert len(walk.consent_pages) == 1 and "Google Analytics (FastMCP)" in walk.consent_pages[0], walk.hops
        self.alice.update(analytics_tokens=storage.tokens)
        self.note = "asked for its scope; no account chooser; 1 Google trip with login_hint=alice, no prompt=consent; 1 consent page"

    async def case_audience(self):
        """each server refuses the other's token (401); altered tokens are refused"""
        stack = self.stack
        ads_token = self.alice["ads_tokens"].access_token
        assert claims_of(ads_token)["aud"] == stack.ads_url
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        headers = {"accept": "application/json, text/event-stream", "content-type": "application/json"}

        async def post(url, token):
            async with httpx2.AsyncClient(timeout=30) as http:
                return await http.post(url, json=body, headers={**headers, "authorization": f"Bearer {token}"})

        wrong = await post(stack.analytics_url, ads_token)
        assert wrong.status_code == 401, (wrong.status_code, wrong.text[:300])
        assert "Bearer" in wrong.headers.get("www-authenticate", ""), wrong.headers
        # The ads server requires no scope, so here only the audience can refuse the analytics token.
        analytics_token = self.alice["analytics_tokens"].access_token
        wrong = await post(stack.ads_url, analytics_token)
        assert wrong.status_code == 401, (wrong.status_code, wrong.text[:300])
        head, payload, signature = ads_token.split(".")
        # Another audience written into the payload: the signature no longer matches.
        claims = claims_of(ads_token) | {"aud": stack.analytics_url}
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        altered = [
            ("payload with another aud", f"{head}.{forged}.{signature}"),
            ("one signature character changed", f"{head}.{payload}.{signature[:10]}{'A' if signature[10] != 'A' else 'B'}{signature[11:]}"),
            ("no signature", f"{head}.{payload}."),
        ]
        for name, token in altered:
            refused = await post(stack.ads_url if "aud" not in name else stack.analytics_url, token)
            assert refused.status_code == 401, (name, refused.status_code, refused.text[:300])
        # The genuine token still works where it belongs (the refusals were not a broken server).
        body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {},
            "clientInfo": {"name": "raw-httpx", "version": "0"}}}
        ok = await post(stack.ads_url, ads_token)
        assert ok.status_code == 200, (ok.status_code, ok.text[:300])
        self.note = "401 for: ads token at analytics, analytics token at ads, " + ", ".join(n for n, _ in altered)

    async def case_second_user(self):
        """bob, in a fresh browser, gets his own identity from the same ads server"""
        stack = self.stack
        browser = Browser(stack.emulator_url)
        try:
            await self.sign_in_as(None)
            storage = MemoryStorage(self.alice["client_info"])
            provider = self.provider(stack.ads_url, storage, browser, choose=BOB)
            who = await self.whoami(stack.ads_url, provider)
            assert who["email"] == BOB, who
            assert who["sub"] != self.alice["sub"], who
            assert who["aud"] == stack.ads_url, who
            walk = browser.walks[-1]
            assert walk.account_chooser, "a fresh browser should meet Google's account chooser"
            assert len(walk.consent_pages) == 1 and BOB in walk.consent_pages[0], walk.hops
            self.note = "Google account chooser shown in the fresh browser, bob chosen"
        finally:
            await browser.aclose()

    async def case_metadata(self):
        """RFC 8414 metadata passes mcp's OAuthMetadata model; RFC 9207 iss validation passes"""
        stack = self.stack
        async with httpx2.AsyncClient(timeout=30) as http:
            documents = {}
            for path in ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]:
                answer = await http.get(stack.gateway_url + path)
                assert answer.status_code == 200, (path, answer.status_code)
                documents[path] = answer.json()
        first, second = documents.values()
        assert first == second, (first, second)
        metadata = OAuthMetadata.model_validate(first)
        assert str(metadata.issuer) == stack.gateway_url, metadata.issuer
        assert metadata.registration_endpoint is not None
        assert metadata.code_challenge_methods_supported == ["S256"], metadata
        assert metadata.authorization_response_iss_parameter_supported is True
        assert "none" in (metadata.token_endpoint_auth_methods_supported or [])
        scopes = set(metadata.scopes_supported or [])
        for url in (stack.ads_url, stack.analytics_url):
            assert "mcp:" + url.split("://", 1)[1] in scopes, scopes
        # The iss the gateway sent back in case 1, checked as the SDK does (RFC 9207).
        validate_authorization_response_iss(self.alice["iss"], metadata)
        for bad in [stack.gateway_url + "/", None]:
            try:
                validate_authorization_response_iss(bad, metadata)
            except OAuthFlowError:
                continue
            raise AssertionError(f"iss {bad!r} should have been refused")

    async def case_refresh(self):
        """the SDK refreshes an expired access token (refresh_token grant, rotation) without the browser"""
        stack = self.stack
        provider, storage = self.alice["ads"]
        before = storage.tokens
        walks = len(self.alice_browser.walks)
        provider.context.token_expiry_time = time.time() - 1  # as if the hour had passed
        who = await self.whoami(stack.ads_url, provider)
        assert who["email"] == ALICE and who["aud"] == stack.ads_url, who
        assert len(self.alice_browser.walks) == walks, "the browser was needed again"
        after = storage.tokens
        assert after.access_token != before.access_token, "no new access token"
        assert after.refresh_token and after.refresh_token != before.refresh_token, "the refresh token was not rotated"
        # The replaced refresh token used again within the 30 s grace for a lost response
        # (this process cannot move the gateway's clock; past the grace a reuse ends the
        # family: the Rust tests and the rmcp client test move the clock for that): the
        # gateway answers it once more and the successor the SDK holds is dead.
        async with httpx2.AsyncClient(timeout=30) as http:
            form = {"grant_type": "refresh_token", "refresh_token": before.refresh_token,
                    "client_id": self.alice["client_info"].client_id}
            replay = await http.post(f"{stack.gateway_url}/oauth/token", data=form)
            dead = await http.post(f"{stack.gateway_url}/oauth/token",
                                   data={**form, "refresh_token": after.refresh_token})
        assert replay.status_code == 200, replay.text
        assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant", dead.text
        self.note = "new access token, refresh token rotated, no browser; a reuse within the grace replaces the SDK's token"

    async def case_client_metadata_document(self):
        """the SDK with client_metadata_url (CIMD): no registration, the document's URL is the client id"""
        stack = self.stack
        url = stack.serve_client_document(self.redirect_uri)
        redirect_handler, callback_handler = self.alice_browser.handlers(self.redirect_uri, None)
        storage = MemoryStorage()
        provider = OAuthClientProvider(stack.ads_url, self.metadata, storage, redirect_handler,
                                       callback_handler, client_metadata_url=url)
        await self.sign_in_as(ALICE)
        who = await self.whoami(stack.ads_url, provider)
        assert who["email"] == ALICE and who["client_id"] == url, who
        walk = self.alice_browser.walks[-1]
        assert walk.start["client_id"] == url, walk.start
        assert not walk.google_requests, "alice is signed in and her grant covers the server"
        assert len(walk.consent_pages) == 1 and "127.0.0.1" in walk.consent_pages[0], walk.hops
        self.note = "client_id = the document URL; no Google trip; consent names the document's host"

    async def case_rust_server(self):
        """our google-ads-mcp (rmcp, MCP_AUTH=gateway): no user_email, each user sees their own accounts"""
        stack = self.stack
        url = stack.rust_ads_url
        seen = {}
        for email, browser, choose in [(ALICE, self.alice_browser, None), (BOB, Browser(stack.emulator_url), BOB)]:
            await self.sign_in_as(email if choose is None else None)
            provider = self.provider(url, MemoryStorage(self.alice["client_info"]), browser, choose=choose)
            async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
                async with Client(streamable_http_client(url, http_client=http)) as client:
                    tools = await client.list_tools()
                    for tool in tools.tools:
                        assert "user_email" not in json.dumps(tool.input_schema), tool.name
                    result = await client.call_tool("list_accounts", {})
                    text = "".join(getattr(block, "text", "") for block in result.content)
                    assert not result.is_error, text[:500]
                    seen[email] = text
            if choose is not None:
                await browser.aclose()
        # (The emulator gives these two the same sample accounts; that each user gets only
        # their own is tested in Rust, google-ads-mcp's gateway-mode tests.)
        assert all("Customer ID" in text for text in seen.values()), seen
        self.note = "alice and bob each list their accounts through token exchange; no user_email in any schema"

    async def browser_case(self, artifacts: Path):
        self.note = await browser_check.check(self, artifacts)


async def main(gateway_bin: str, emulator_bin: str, ads_bin: str, artifacts: str) -> int:
    stack = Stack(gateway_bin, emulator_bin)
    try:
        stack.start()
        stack.start_rust_ads(ads_bin)
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        print("gateway log (last lines):")
        print(redacted_tail(stack.gateway_log))
        stack.stop(keep_logs=True)
        print("0 passed, 1 failed")
        return 1
    interop = Interop(stack)
    cases = [
        ("1. ads: discovery, DCR, sign-in, consent, token, whoami", interop.case_first_server),
        ("2. analytics: same client and browser, incremental Google trip", interop.case_second_server),
        ("3. audience and signature: wrong-audience and altered tokens get 401", interop.case_audience),
        ("4. bob in a fresh browser gets his own identity", interop.case_second_user),
        ("5. RFC 8414 metadata validates in mcp; RFC 9207 iss", interop.case_metadata),
        ("6. the SDK's token refresh", interop.case_refresh),
        ("7. our rmcp Google Ads server as a protected resource", interop.case_rust_server),
        ("8. a client metadata document (CIMD) instead of registration", interop.case_client_metadata_document),
        ("9. real browser (headless Chromium, Playwright): chooser, consent, /account revoke",
         lambda: interop.browser_case(Path(artifacts))),
    ]
    passed = failed = 0
    try:
        for name, case in cases:
            try:
                interop.note = ""
                await asyncio.wait_for(case(), 60)
                passed += 1
                print(f"ok      {name}" + (f" ({interop.note})" if interop.note else ""), flush=True)
            except BaseException:  # noqa: BLE001 - report every failure and go on
                failed += 1
                print(f"FAILED  {name}", flush=True)
                traceback.print_exc()
        if failed:
            for name in ["gateway", "emulator", "ads", "analytics", "rust-ads"]:
                print(f"{name} log (last lines):")
                print(redacted_tail(stack.dir / f"{name}.log", 30 if name == "gateway" else 10))
    finally:
        await interop.alice_browser.aclose()
        stack.stop(keep_logs=failed > 0)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4])))
