"""Drives the rmcp tool server of `examples/test_stack.rs` with the Python `mcp` client
(2.3) in both protocol eras (mode="legacy" -> 2025-11-25, default "auto" -> 2026-07-28),
with and without URL-mode elicitation. Prints one line per case and `N passed, M failed`.
"""

import asyncio
import json
import subprocess
import sys
import traceback

import httpx2
import mcp_types as types
from mcp import Client


async def follow(url: str) -> int:
    """A person's browser: keeps cookies, follows redirects through the sign-in."""
    async with httpx2.AsyncClient(follow_redirects=True) as browser:
        response = await browser.get(url)
        return response.status_code


def text_of(result) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def connect(stack, mode, **options):
    if mode is None:
        return Client(stack["mcp_url"], **options)
    return Client(stack["mcp_url"], mode=mode, **options)


async def with_url_elicitation(stack, mode, expected_version, email):
    """The tool call completes after the elicited link is followed: no "done" message."""
    elicited, browsers = [], []

    async def on_elicit(context, params):
        assert params.mode == "url", params
        elicited.append(params.url)
        # The person opens the link in a browser; "accept" only means they agreed to.
        browsers.append(asyncio.create_task(follow(params.url)))
        return types.ElicitResult(action="accept")

    async with connect(stack, mode, elicitation_callback=on_elicit) as client:
        assert client.protocol_version == expected_version, client.protocol_version
        result = await client.call_tool("whoami", {"user_email": email})
        assert not result.is_error, text_of(result)
        assert text_of(result).startswith(f"Google access for {email}"), text_of(result)
        assert len(elicited) == 1, elicited
        assert elicited[0].startswith(stack["gateway_url"] + "/connect/"), elicited
        assert [await task for task in browsers] == [200]


async def without_elicitation(stack, mode, expected_version, email):
    """The tool result is an error carrying the link; after signing in, a retry works."""
    progress = []

    async def on_progress(done, total, message):
        progress.append(message or "")

    async with connect(stack, mode) as client:
        assert client.protocol_version == expected_version, client.protocol_version
        result = await client.call_tool(
            "whoami", {"user_email": email}, progress_callback=on_progress
        )
        assert result.is_error, text_of(result)
        message = text_of(result)
        links = [w for w in message.split() if w.startswith(stack["gateway_url"] + "/connect/")]
        assert len(links) == 1, message
        assert "Sign-in required" in message, message
        assert any(links[0] in note for note in progress), progress
        assert await follow(links[0]) == 200
        again = await client.call_tool("whoami", {"user_email": email})
        assert not again.is_error, text_of(again)


async def main(binary: str) -> int:
    server = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        stack = json.loads(server.stdout.readline())
        cases = [
            ("legacy (2025-11-25), URL elicitation", with_url_elicitation, "legacy", "2025-11-25"),
            ("default (2026-07-28), URL elicitation", with_url_elicitation, None, "2026-07-28"),
            ("legacy (2025-11-25), no elicitation", without_elicitation, "legacy", "2025-11-25"),
            ("default (2026-07-28), no elicitation", without_elicitation, None, "2026-07-28"),
        ]
        passed = failed = 0
        for index, (name, case, mode, version) in enumerate(cases):
            try:
                await asyncio.wait_for(case(stack, mode, version, f"py{index}@example.com"), 60)
                passed += 1
                print(f"ok      {name}")
            except BaseException:  # noqa: BLE001 - report every failure and go on
                failed += 1
                print(f"FAILED  {name}")
                traceback.print_exc()
        print(f"{passed} passed, {failed} failed")
        return 0 if failed == 0 else 1
    finally:
        server.stdin.close()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1])))
