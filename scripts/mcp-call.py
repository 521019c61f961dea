"""Calls one tool of a stdio MCP server with the Python `mcp` client and prints the result.

    python3 scripts/mcp-call.py TOOL ['{"json": "arguments"}'] -- SERVER-COMMAND [ARGS...]

The server inherits this shell's environment (the `mcp` client passes only a safe subset
by default, which would drop AUTH_GATEWAY_URL and friends). Exits 1 when the tool answers
with an error, 2 on bad usage.
"""

import asyncio
import json
import os
import sys

from mcp import Client, StdioServerParameters


def parse(argv):
    if "--" not in argv:
        sys.exit(__doc__)
    split = argv.index("--")
    ours, server = argv[:split], argv[split + 1 :]
    if not server or not 1 <= len(ours) <= 2:
        sys.exit(__doc__)
    try:
        arguments = json.loads(ours[1]) if len(ours) == 2 else {}
    except json.JSONDecodeError as error:
        sys.exit(f"the tool arguments are not JSON: {error}")
    return ours[0], arguments, server


async def call(tool, arguments, server):
    params = StdioServerParameters(command=server[0], args=server[1:], env=dict(os.environ))
    async with Client(params) as client:
        result = await client.call_tool(tool, arguments)
    for block in result.content:
        print(getattr(block, "text", block))
    return 1 if result.is_error else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(call(*parse(sys.argv[1:]))))
