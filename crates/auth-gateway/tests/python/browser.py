"""A person's browser for the OAuth flow: an httpx2 client with a cookie jar that follows
the authorization URL hop by hop (gateway -> Google emulator -> gateway callback ->
consent page), answers the consent form, and stops at the redirect to the MCP client's
loopback redirect URI, which nothing listens on. Every hop is recorded."""

import html
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import httpx2
from mcp.shared.auth import AuthorizationCodeResult, OAuthClientInformationFull, OAuthToken


def form_fields(page: str) -> dict:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[html.unescape(name.group(1))] = html.unescape(value.group(1)) if value else ""
    return fields


def form_action(page: str) -> str | None:
    found = re.search(r'<form[^>]*action="([^"]*)"', page)
    return html.unescape(found.group(1)) if found else None


@dataclass
class Walk:
    """What one trip through the flow saw."""

    start: dict = field(default_factory=dict)  # the authorization request's query
    hops: list = field(default_factory=list)  # (method, url, status)
    google_requests: list = field(default_factory=list)  # query dicts sent to Google's authorize
    account_chooser: bool = False
    consent_pages: list = field(default_factory=list)
    final: dict | None = None  # the client's redirect parameters


class Browser:
    def __init__(self, emulator_url: str, decision: str = "allow"):
        self.http = httpx2.AsyncClient(follow_redirects=False, timeout=30)
        self.emulator_url = emulator_url
        self.decision = decision
        self.walks: list[Walk] = []

    async def aclose(self):
        await self.http.aclose()

    async def walk(self, url: str, redirect_uri: str, choose: str | None = None) -> Walk:
        walk = Walk(start={k: v[0] for k, v in parse_qs(urlsplit(url).query).items()})
        self.walks.append(walk)
        method, data = "GET", None
        for _ in range(20):
            if url.startswith(redirect_uri):
                walk.final = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
                return walk
            if url.startswith(self.emulator_url) and urlsplit(url).path.endswith("/auth"):
                walk.google_requests.append({k: v[0] for k, v in parse_qs(urlsplit(url).query).items()})
            response = await self.http.request(method, url, data=data)
            walk.hops.append((method, url.split("?")[0], response.status_code))
            method, data = "GET", None
            if response.is_redirect:
                url = urljoin(url, response.headers["location"])
                continue
            page = response.text
            if response.status_code == 200 and "Choose an account" in page:
                walk.account_chooser = True
                if choose is None:
                    raise AssertionError("Google's account chooser was shown and no account was chosen")
                links = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page) if choose in unquote(html.unescape(h))]
                assert links, f"{choose} is not in the account chooser"
                url = urljoin(url, links[0])
                continue
            fields = form_fields(page)
            if response.status_code == 200 and "request" in fields and "csrf" in fields:
                walk.consent_pages.append(page)
                action = urljoin(url, form_action(page) or urlsplit(url).path)
                url, method = action, "POST"
                data = {"request": fields["request"], "csrf": fields["csrf"], "decision": self.decision}
                continue
            raise AssertionError(f"{method} {url.split('?')[0]} -> {response.status_code}: {page[:600]}")
        raise AssertionError(f"more than 20 hops: {walk.hops}")

    def handlers(self, redirect_uri: str, choose: str | None = None):
        """The redirect and callback handlers of mcp's OAuthClientProvider."""
        state = {}

        async def redirect_handler(authorization_url: str) -> None:
            state["walk"] = await self.walk(authorization_url, redirect_uri, choose)

        async def callback_handler() -> AuthorizationCodeResult:
            final = state.pop("walk").final
            if "code" not in final:
                raise AssertionError(f"the authorization ended without a code: {final}")
            return AuthorizationCodeResult(code=final["code"], state=final.get("state"), iss=final.get("iss"))

        return redirect_handler, callback_handler


class MemoryStorage:
    """mcp's TokenStorage protocol, in memory."""

    def __init__(self, client_info: OAuthClientInformationFull | None = None):
        self.tokens: OAuthToken | None = None
        self.client_info = client_info

    async def get_tokens(self):
        return self.tokens

    async def set_tokens(self, tokens):
        self.tokens = tokens

    async def get_client_info(self):
        return self.client_info

    async def set_client_info(self, client_info):
        self.client_info = client_info
