"""The same flow in a real browser: headless Debian Chromium driven by Playwright (the
system binary, no browser download). A new user, carol, picks her account in the
emulator's account chooser, allows the MCP client on the gateway's consent page, and
later revokes it on /account. Screenshots go to the artifacts directory."""

import asyncio
import shutil
from pathlib import Path

import httpx2
from mcp.client.auth import OAuthClientProvider
from mcp.shared.auth import AuthorizationCodeResult
from playwright.async_api import async_playwright

from browser import MemoryStorage

CAROL = "carol@example.com"


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError("chromium is not installed (apt-get install chromium)")


async def check(interop, artifacts: Path) -> str:
    """Runs the walk; returns a short note of what was seen."""
    stack = interop.stack
    artifacts.mkdir(parents=True, exist_ok=True)
    async with httpx2.AsyncClient() as http:
        (await http.post(f"{stack.emulator_url}/__emulator/accounts", json={"email": CAROL})).raise_for_status()
    await interop.sign_in_as(None)  # the chooser decides, as a person would

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page()
            shots = []

            async def shot(name):
                path = artifacts / f"{len(shots) + 1:02d}-{name}.png"
                await page.screenshot(path=str(path), full_page=True)
                shots.append(path.name)

            back = asyncio.get_running_loop().create_future()

            async def at_client(route):
                # The MCP client's loopback redirect URI: nothing listens there, the page says so.
                if not back.done():
                    back.set_result(route.request.url)
                await route.fulfill(status=200, content_type="text/html", body="<p>Back at the MCP client.</p>")

            await page.route(f"{interop.redirect_uri}**", at_client)

            async def redirect_handler(url: str) -> None:
                await page.goto(url)
                assert "Choose an account" in await page.content(), page.url
                await shot("google-account-chooser")
                await page.get_by_role("link", name=CAROL).click()
                allow = page.locator('button[name="decision"][value="allow"]')
                await allow.wait_for(timeout=15000)
                content = await page.content()
                assert "Google Ads (FastMCP)" in content and CAROL in content, content[:500]
                await shot("consent")
                await allow.click()
                await asyncio.wait_for(asyncio.shield(back), 15)
                await shot("back-at-client")

            async def callback_handler() -> AuthorizationCodeResult:
                query = dict(httpx2.URL(back.result()).params)
                return AuthorizationCodeResult(code=query["code"], state=query.get("state"), iss=query.get("iss"))

            storage = MemoryStorage(interop.alice["client_info"])
            provider = OAuthClientProvider(stack.ads_url, interop.metadata, storage, redirect_handler, callback_handler)
            who = await interop.whoami(stack.ads_url, provider)
            assert who["email"] == CAROL and who["aud"] == stack.ads_url, who

            # The user's page lists the client; Revoke removes it and its grants.
            await page.goto(f"{stack.gateway_url}/account")
            content = await page.content()
            assert CAROL in content and interop.metadata.client_name in content, content[:800]
            assert stack.ads_url in content, content[:800]
            await shot("account")
            await page.get_by_role("button", name="Revoke").click()
            await page.wait_for_load_state()
            await page.get_by_text("Applications you allowed").wait_for()
            content = await page.content()
            allowed = content.split("Applications you allowed", 1)[1].split("<h2>", 1)[0]
            assert "None." in allowed, allowed
            await shot("account-after-revoke")

            async with httpx2.AsyncClient() as http:
                refreshed = await http.post(
                    f"{stack.gateway_url}/oauth/token",
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": storage.tokens.refresh_token,
                        "client_id": storage.client_info.client_id,
                    },
                )
            assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant", (
                refreshed.status_code,
                refreshed.text[:300],
            )
            return f"chooser, consent, /account revoke; refresh token then invalid_grant; {len(shots)} screenshots in {artifacts}"
        finally:
            await browser.close()
