"""Drives google-analytics-mcp with the Python `mcp` client (2.3): the built binary over
stdio and the server of `examples/analytics_test_stack.rs` over streamable HTTP, in both protocol
eras (mode="legacy" -> 2025-11-25, default "auto" -> 2026-07-28). Tool results are
checked against the Google emulator's own answers. Prints one line per case and
`N passed, M failed`.
"""

import asyncio
import json
import subprocess
import sys
import traceback

import httpx2
import mcp_types as types
from mcp import Client, StdioServerParameters

WEB, BAKERY = "312345678", "398765432"
START, END = "2025-06-01", "2025-06-14"
TOOLS = {"list_properties", "get_page_views", "get_active_users", "get_traffic_sources", "run_report"}


async def follow(url: str) -> int:
    """A person's browser: keeps cookies, follows redirects through the sign-in."""
    async with httpx2.AsyncClient(follow_redirects=True) as browser:
        return (await browser.get(url)).status_code


def text_of(result) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def link_in(text: str, stack) -> str:
    links = [w for w in text.split() if w.startswith(stack["gateway_url"] + "/connect/")]
    assert len(links) == 1, text
    return links[0]


class Emulator:
    """The Google emulator, asked directly for what the server should have shown."""

    def __init__(self, stack):
        self.url = stack["emulator_url"]

    async def _control(self, method, path, body=None):
        async with httpx2.AsyncClient() as http:
            response = await http.request(method, self.url + "/__emulator" + path, json=body)
            response.raise_for_status()
            return response.json()

    async def analytics_requests(self) -> int:
        return (await self._control("GET", "/counters"))["analytics_requests"]

    async def run_report(self, email, property_id, body):
        tokens = await self._control("POST", "/tokens", {"email": email})
        async with httpx2.AsyncClient() as http:
            response = await http.post(
                f"{self.url}/v1beta/properties/{property_id}:runReport",
                json=body,
                headers={"Authorization": "Bearer " + tokens["latest_access_token"]},
            )
            response.raise_for_status()
            return response.json()


def same_report(structured, expected):
    dims = [h["name"] for h in expected.get("dimensionHeaders", [])]
    mets = [h["name"] for h in expected.get("metricHeaders", [])]
    rows = expected.get("rows", [])
    assert len(structured["rows"]) == len(rows), (structured["rows"], rows)
    for got, want in zip(structured["rows"], rows):
        for i, name in enumerate(dims):
            assert got[name] == want["dimensionValues"][i]["value"], (name, got, want)
        for i, name in enumerate(mets):
            assert abs(got[name] - float(want["metricValues"][i]["value"])) < 1e-9, (name, got, want)
    assert structured["rowCount"] == expected.get("rowCount", 0), structured["rowCount"]
    for i, name in enumerate(mets):
        total = float(expected["totals"][0]["metricValues"][i]["value"])
        assert abs(structured["totals"][name] - total) < 1e-9, (name, structured["totals"])


def stdio_server(stack, binary, user=None):
    env = {
        "AUTH_GATEWAY_URL": stack["gateway_url"],
        "AUTH_GATEWAY_API_KEY": stack["api_key"],
        "GOOGLE_ANALYTICS_DATA_URL": stack["emulator_url"],
        "GOOGLE_ANALYTICS_ADMIN_URL": stack["emulator_url"],
        "RUST_LOG": "warn",
    }
    if user:
        env["MCP_USER_EMAIL"] = user
    return StdioServerParameters(command=binary, args=[], env=env)


def connect(target, mode, **options):
    return Client(target, **options) if mode is None else Client(target, mode=mode, **options)


async def link_then_data(stack, target, mode, email):
    """Tools are listed; not signed in -> the link; after following it, every report
    tool answers with the emulator's numbers."""
    emulator = Emulator(stack)
    async with connect(target, mode) as client:
        tools = (await client.list_tools()).tools
        assert {tool.name for tool in tools} == TOOLS, tools
        assert all(tool.annotations.read_only_hint for tool in tools), tools
        scope = {"property_id": WEB, "start_date": START, "end_date": END, "user_email": email}
        first = await client.call_tool("get_page_views", scope)
        assert first.is_error, text_of(first)
        assert "Sign-in required" in text_of(first), text_of(first)
        assert await follow(link_in(text_of(first), stack)) == 200

        pages = await client.call_tool("get_page_views", scope)
        assert not pages.is_error, text_of(pages)
        expected = await emulator.run_report(email, WEB, {
            "dateRanges": [{"startDate": START, "endDate": END}],
            "dimensions": [{"name": "pagePath"}],
            "metrics": [{"name": "screenPageViews"}, {"name": "activeUsers"}],
            "limit": "10000", "metricAggregations": ["TOTAL"],
            "orderBys": [{"metric": {"metricName": "screenPageViews"}, "desc": True}],
        })
        same_report(pages.structured_content, expected)
        assert f"Showing 8 of 8 rows." in text_of(pages), text_of(pages)

        report = await client.call_tool("run_report", {
            **scope, "metrics": ["sessions", "engagementRate"], "dimensions": ["deviceCategory"],
        })
        assert not report.is_error, text_of(report)
        expected = await emulator.run_report(email, WEB, {
            "dateRanges": [{"startDate": START, "endDate": END}],
            "dimensions": [{"name": "deviceCategory"}],
            "metrics": [{"name": "sessions"}, {"name": "engagementRate"}],
            "limit": "10000", "metricAggregations": ["TOTAL"],
        })
        same_report(report.structured_content, expected)

        for tool in ("get_active_users", "get_traffic_sources"):
            result = await client.call_tool(tool, scope)
            assert not result.is_error, text_of(result)
            assert result.structured_content["rowCount"] > 0, result.structured_content


async def elicited_sign_in(stack, target, mode, email):
    """With URL elicitation the client opens the link and the same call completes."""
    elicited, browsers = [], []

    async def on_elicit(context, params):
        assert params.mode == "url", params
        elicited.append(params.url)
        browsers.append(asyncio.create_task(follow(params.url)))
        return types.ElicitResult(action="accept")

    async with connect(target, mode, elicitation_callback=on_elicit) as client:
        result = await client.call_tool("list_properties", {"user_email": email})
        assert not result.is_error, text_of(result)
        assert len(elicited) == 1, elicited
        assert [await task for task in browsers] == [200]
        accounts = result.structured_content["accounts"]
        assert [a["displayName"] for a in accounts] == ["Blue Harbor Coffee", "Northwind Bakery"], accounts
        assert result.structured_content["propertyCount"] == 3


async def readable_errors(stack, target, mode, email):
    """Unknown metric and forbidden property: Google's refusal, readable; a bad date:
    refused before any call to Google."""
    emulator = Emulator(stack)
    async with connect(target, mode) as client:
        link = text_of(await client.call_tool("list_properties", {"user_email": email}))
        assert await follow(link_in(link, stack)) == 200
        scope = {"property_id": BAKERY, "start_date": START, "end_date": END, "user_email": email}
        bad_metric = await client.call_tool("run_report", {**scope, "metrics": ["fooBar"]})
        assert bad_metric.is_error and "Field fooBar is not a valid metric" in text_of(bad_metric), text_of(bad_metric)
        forbidden = await client.call_tool("get_active_users", {**scope, "property_id": "properties/1"})
        assert forbidden.is_error and "PERMISSION_DENIED" in text_of(forbidden), text_of(forbidden)
        before = await emulator.analytics_requests()
        bad_date = await client.call_tool("get_active_users", {**scope, "start_date": "2025-13-01"})
        assert bad_date.is_error and "not a real calendar date" in text_of(bad_date), text_of(bad_date)
        assert await emulator.analytics_requests() == before


async def single_user(stack, binary, mode, email):
    """MCP_USER_EMAIL: another person's email is refused."""
    async with connect(stdio_server(stack, binary, user=email), mode) as client:
        refused = await client.call_tool("list_properties", {"user_email": "someone.else@example.com"})
        assert refused.is_error and f"acts only for {email}" in text_of(refused), text_of(refused)


async def main(stack_binary: str, server_binary: str) -> int:
    stack_process = subprocess.Popen([stack_binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        stack = json.loads(stack_process.stdout.readline())
        http = stack["mcp_url"]
        stdio = stdio_server(stack, server_binary)
        cases = [
            ("stdio legacy (2025-11-25): link, then every tool", link_then_data, stdio, "legacy"),
            ("stdio default (2026-07-28): link, then every tool", link_then_data, stdio, None),
            ("http legacy (2025-11-25): link, then every tool", link_then_data, http, "legacy"),
            ("http default (2026-07-28): link, then every tool", link_then_data, http, None),
            ("http legacy (2025-11-25): URL elicitation", elicited_sign_in, http, "legacy"),
            ("stdio default (2026-07-28): URL elicitation", elicited_sign_in, stdio, None),
            ("http default: readable errors", readable_errors, http, None),
            ("stdio legacy: readable errors", readable_errors, stdio, "legacy"),
        ]
        passed = failed = 0
        for index, (name, case, target, mode) in enumerate(cases):
            try:
                await asyncio.wait_for(case(stack, target, mode, f"py{index}@example.com"), 90)
                passed += 1
                print(f"ok      {name}")
            except BaseException:  # noqa: BLE001 - report every failure and go on
                failed += 1
                print(f"FAILED  {name}")
                traceback.print_exc()
        try:
            await asyncio.wait_for(single_user(stack, server_binary, None, "solo@example.com"), 60)
            passed += 1
            print("ok      stdio: MCP_USER_EMAIL refuses another user")
        except BaseException:  # noqa: BLE001
            failed += 1
            print("FAILED  stdio: MCP_USER_EMAIL refuses another user")
            traceback.print_exc()
        print(f"{passed} passed, {failed} failed")
        return 0 if failed == 0 else 1
    finally:
        stack_process.stdin.close()
        stack_process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
