"""A FastMCP 4.x server protected by the gateway, as a third party would write one: it
verifies the gateway's ES256 JWTs against the published JWKS (issuer and audience pinned)
and publishes RFC 9728 metadata naming the gateway as its authorization server.
With `--require-scope` the verifier also requires the gateway's scope for this server
(`mcp:` + the URL without its scheme), which the metadata then lists in `scopes_supported`,
so the MCP client asks for it; without, the metadata lists no scope and clients send none.
Usage: python resource_server.py NAME PORT GATEWAY_URL [--require-scope]
(serves http://127.0.0.1:PORT/mcp)
"""

import sys

from fastmcp import FastMCP
from fastmcp.server.auth import RemoteAuthProvider
from fastmcp.server.auth.providers.jwt import JWTVerifier
from fastmcp.server.dependencies import CurrentAccessToken
from mcp.server.auth.provider import AccessToken


def build(name: str, port: int, gateway: str, require_scope: bool) -> FastMCP:
    base_url = f"http://127.0.0.1:{port}"
    scope = f"mcp:127.0.0.1:{port}/mcp"
    verifier = JWTVerifier(
        jwks_uri=f"{gateway}/oauth/jwks",
        issuer=gateway,
        audience=f"{base_url}/mcp",
        algorithm="ES256",
        required_scopes=[scope] if require_scope else None,
    )
    auth = RemoteAuthProvider(
        token_verifier=verifier,
        authorization_servers=[gateway],
        base_url=base_url,
        resource_name=name,
    )
    server = FastMCP(name, auth=auth)

    @server.tool
    async def whoami(token: AccessToken = CurrentAccessToken()) -> dict:
        """The verified caller, from the access token's claims."""
        claims = token.claims or {}
        return {key: claims.get(key) for key in ("sub", "email", "client_id", "aud", "scope", "iss")}

    return server


if __name__ == "__main__":
    name, port, gateway = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    build(name, port, gateway, "--require-scope" in sys.argv[4:]).run(
        transport="http", host="127.0.0.1", port=port, show_banner=False, log_level="warning"
    )
