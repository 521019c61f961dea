"""Drives google-ads-mcp with the Python `mcp` client (2.3): the built binary over stdio
in both protocol eras (mode="legacy" -> 2025-11-25, default "auto" -> 2026-07-28), and a
shared server over streamable HTTP (examples/ads_test_stack.rs, which also starts the real
gateway and the Google emulator). Prints one line per case and `N passed, M failed`.
"""

import asyncio
import json
import subprocess
import sys
import traceback

import httpx2
import mcp_types as types
from mcp import Client, StdioServerParameters

TOOLS = [
    "analytics_router",
    "execute_gaql_query",
    "get_ad_performance",
    "get_campaign_performance",
    "list_accounts",
    "resolve_customer",
]
MANAGER, BLUE_HARBOR, BLUE_RIDGE, NORTHWIND = "1234567890", "2345678901", "3456789012", "4567890123"


async def follow(url: str) -> int:
    """A person's browser: keeps cookies, follows redirects through the sign-in."""
    async with httpx2.AsyncClient(follow_redirects=True) as browser:
        return (await browser.get(url)).status_code


async def emulator_ads_customers(stack, email):
    async with httpx2.AsyncClient() as http:
        answer = await http.get(f"{stack['emulator_url']}/__emulator/ads-customers", params={"email": email})
        answer.raise_for_status()
        return answer.json()


async def emulator_control(stack, path, body):
    async with httpx2.AsyncClient() as http:
        (await http.post(f"{stack['emulator_url']}/__emulator/{path}", json=body)).raise_for_status()


def text_of(result) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


def link_in(text, stack):
    links = [w for w in text.split() if w.startswith(stack["gateway_url"] + "/connect/")]
    assert len(links) == 1, text
    return links[0]


def stdio_server(stack, server, user):
    env = {
        "AUTH_GATEWAY_URL": stack["gateway_url"],
        "AUTH_GATEWAY_API_KEY": stack["gateway_api_key"],
        "GOOGLE_ADS_API_URL": stack["emulator_url"],
        "MCP_USER_EMAIL": user,
        "RUST_LOG": "warn",
    }
    return StdioServerParameters(command=server, args=[], env=env)


async def ok(client, tool, arguments):
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, f"{tool}: {text_of(result)}"
    return result


async def check_tools(client, stack, email, extra):
    """Every tool, checked against the emulator's data for `email`."""
    customers = {c["id"]: c for c in await emulator_ads_customers(stack, email)}

    accounts = (await ok(client, "list_accounts", dict(extra))).structured_content["accounts"]
    assert sorted(a["id"] for a in accounts) == sorted(customers), accounts
    by_id = {a["id"]: a for a in accounts}
    assert by_id[BLUE_HARBOR]["via_manager"] == MANAGER, by_id
    assert by_id[MANAGER]["manager"] is True

    resolved = await ok(client, "resolve_customer", {"customer": "northwind", **extra})
    assert resolved.structured_content["customer_id"] == NORTHWIND
    ambiguous = await ok(client, "resolve_customer", {"customer": "blue", **extra})
    assert ambiguous.structured_content["status"] == "ambiguous"

    campaigns = await ok(client, "get_campaign_performance", {"customer_id": "234-567-8901", **extra})
    rows = campaigns.structured_content["rows"]
    expected = sorted(customers[BLUE_HARBOR]["campaigns"], key=lambda c: -c["metrics"]["cost_micros"])
    assert [r["campaign.name"] for r in rows] == [c["name"] for c in expected], rows
    assert [r["metrics.clicks"] for r in rows] == [c["metrics"]["clicks"] // 30 * 30 for c in expected]

    ads = await ok(client, "get_ad_performance", {"customer_id": NORTHWIND, "date_range": "LAST_7_DAYS", **extra})
    expected_ads = {
        ad["id"]: ad["metrics"]["impressions"] // 30 * 7
        for campaign in customers[NORTHWIND]["campaigns"]
        for group in campaign["ad_groups"]
        for ad in group["ads"]
    }
    got = {r["ad_group_ad.ad.id"]: r["metrics.impressions"] for r in ads.structured_content["rows"]}
    assert got == expected_ads, (got, expected_ads)

    images = await ok(client, "analytics_router", {"customer_id": BLUE_HARBOR, "intent": "images", **extra})
    assert "simgad/10000000000000000001" in text_of(images), text_of(images)

    query = "SELECT campaign.name FROM campaign ORDER BY campaign.name"
    gaql = await ok(client, "execute_gaql_query", {"customer_id": BLUE_RIDGE, "query": query, **extra})
    names = [r["campaign.name"] for r in gaql.structured_content["rows"]]
    assert names == sorted(c["name"] for c in customers[BLUE_RIDGE]["campaigns"]), names

    bad = await client.call_tool("execute_gaql_query", {"customer_id": NORTHWIND, "query": "SELECT campaign.nme FROM campaign", **extra})
    assert bad.is_error and "queryError.UNRECOGNIZED_FIELD" in text_of(bad), text_of(bad)
    denied = await client.call_tool("get_ad_performance", {"customer_id": "9999999999", **extra})
    assert denied.is_error and "PERMISSION_DENIED" in text_of(denied), text_of(denied)


async def stdio_case(stack, server, mode, email, expected_version):
    """Not signed in -> link -> sign in -> every tool; another email is refused."""
    async with Client(stdio_server(stack, server, email), mode=mode) as client:
        assert client.protocol_version == expected_version, client.protocol_version
        listed = await client.list_tools()
        assert sorted(t.name for t in listed.tools) == TOOLS
        router = next(t for t in listed.tools if t.name == "analytics_router")
        assert router.input_schema["properties"]["intent"]["enum"] == ["campaigns", "ads", "creatives", "images"]
        first = await client.call_tool("list_accounts", {})
        assert first.is_error and "Sign-in required" in text_of(first), text_of(first)
        assert await follow(link_in(text_of(first), stack)) == 200
        await check_tools(client, stack, email, {})
        refused = await client.call_tool("list_accounts", {"user_email": "mallory@example.com"})
        assert refused.is_error and f"acts only for {email}" in text_of(refused), text_of(refused)


async def http_case(stack, _server, mode, email, expected_version):
    """A shared server: user_email on every call; URL elicitation completes the call."""
    elicited = []

    async def on_elicit(context, params):
        assert params.mode == "url", params
        elicited.append(params.url)
        assert await follow(params.url) == 200
        return types.ElicitResult(action="accept")

    async with Client(stack["mcp_url"], mode=mode, elicitation_callback=on_elicit) as client:
        assert client.protocol_version == expected_version, client.protocol_version
        missing = await client.call_tool("list_accounts", {})
        assert missing.is_error and "user_email is required" in text_of(missing), text_of(missing)
        # Not signed in: the client is asked to open the link, and the call completes.
        first = await ok(client, "list_accounts", {"user_email": email})
        assert len(elicited) == 1 and elicited[0].startswith(stack["gateway_url"]), elicited
        assert "Northwind Bakery" in text_of(first)
        await check_tools(client, stack, email, {"user_email": email})


async def retry_case(stack, server, mode, email, _expected_version):
    """A Google 401 is retried once; a quota error is explained."""
    async with Client(stdio_server(stack, server, email), mode=mode) as client:
        first = await client.call_tool("list_accounts", {})
        assert await follow(link_in(text_of(first), stack)) == 200
        await ok(client, "list_accounts", {})
        await emulator_control(stack, "fail-next-api-requests", {"count": 1, "status": 401})
        await ok(client, "get_campaign_performance", {"customer_id": NORTHWIND})
        await emulator_control(stack, "fail-next-api-requests", {"count": 1, "status": 429})
        quota = await client.call_tool("get_campaign_performance", {"customer_id": NORTHWIND})
        assert quota.is_error and "RESOURCE_EXHAUSTED" in text_of(quota), text_of(quota)


async def main(stack_binary: str, server: str) -> int:
    process = subprocess.Popen([stack_binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        stack = json.loads(process.stdout.readline())
        cases = [
            ("stdio, legacy (2025-11-25): sign-in link, every tool", stdio_case, "legacy", "2025-11-25"),
            ("stdio, auto (2026-07-28): sign-in link, every tool", stdio_case, "auto", "2026-07-28"),
            ("http, legacy (2025-11-25): shared server, URL elicitation", http_case, "legacy", "2025-11-25"),
            ("http, auto (2026-07-28): shared server, URL elicitation", http_case, "auto", "2026-07-28"),
            ("stdio: Google 401 retried, quota explained", retry_case, "auto", "2026-07-28"),
        ]
        passed = failed = 0
        for index, (name, case, mode, version) in enumerate(cases):
            try:
                await asyncio.wait_for(case(stack, server, mode, f"py{index}@example.com", version), 120)
                passed += 1
                print(f"ok      {name}")
            except BaseException:  # noqa: BLE001 - report every failure and go on
                failed += 1
                print(f"FAILED  {name}")
                traceback.print_exc()
        print(f"{passed} passed, {failed} failed")
        return 0 if failed == 0 else 1
    finally:
        process.stdin.close()
        process.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
