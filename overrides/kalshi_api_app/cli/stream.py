"""``kalshi-api stream CHANNEL``: any data channel of the WebSocket API, one line per message, until Ctrl-C
or ``--limit`` messages.

The channel table (``kalshi_api.ws.protocol.CHANNELS``) says which subscribe parameters each channel takes;
the channel's typed ``subscribe_<channel>`` method validates their values.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from kalshi_api_app.cli.arguments import UsageError, from_validation
from kalshi_api_app.cli.output import cell, wire
from kalshi_api_core.ws.channels import ChannelSpec
from kalshi_api_core.ws.subscription import Resync

if TYPE_CHECKING:
    from kalshi_api.client import KalshiClient

# Subscribe parameters with an option of their own; any other goes through --param NAME=VALUE.
LIST_OPTIONS = {
    "market_tickers": ("--market", "TICKER"),
    "market_ids": ("--market-id", "ID"),
    "index_ids": ("--index-id", "ID"),
    "underlying_tickers": ("--underlying", "TICKER"),
}


def stream(client: KalshiClient, args: argparse.Namespace) -> None:
    from kalshi_api.ws.protocol import CHANNELS

    spec = CHANNELS.get(args.channel)
    if spec is None:
        names = ", ".join(sorted(CHANNELS))
        raise UsageError("CHANNEL", f"unknown channel {args.channel!r} (choose from {names})")
    params, options = subscribe_params(spec, args)
    asyncio.run(_print_messages(client, spec, params, options, args.limit, args.json))


def subscribe_params(spec: ChannelSpec, args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, str]]:
    """The parameters to subscribe with, and the option each came from (for error messages)."""
    params: dict[str, Any] = {}
    options: dict[str, str] = {}
    for name, (option, _) in LIST_OPTIONS.items():
        values = getattr(args, name)
        if values:
            params[name], options[name] = values, option
    for name, value in args.param:
        params[name], options[name] = value, "--param"
    for name, option in options.items():
        if name not in spec.params:
            takes = ", ".join(spec.params) or "no parameters"
            raise UsageError(option, f"channel {spec.name!r} takes no {name} (it takes: {takes})")
    return params, options


async def _print_messages(
    client: KalshiClient,
    spec: ChannelSpec,
    params: dict[str, Any],
    options: Mapping[str, str],
    limit: int | None,
    as_json: bool,
) -> None:
    async with client.websocket().connect() as session:
        # The typed method of the channel: the same validation as a program calling it by name.
        subscribe = getattr(session, f"subscribe_{spec.name}")
        try:
            subscription = await subscribe(**params)
        except ValidationError as error:
            raise from_validation(error, options) from None
        printed = 0
        async for message in subscription:
            if isinstance(message, Resync):  # not a message: continuity was lost and is being restored
                print(f"resync {message.channel}: {message.reason}", file=sys.stderr)
                continue
            sys.stdout.write(line(message, as_json) + "\n")
            sys.stdout.flush()
            printed += 1
            if limit is not None and printed >= limit:
                return


def line(message: Any, as_json: bool) -> str:
    """One message: its JSON, or ``type seq=N field=value ...`` with the fields of its ``msg``."""
    data = wire(message)
    if as_json:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    words = [str(data.get("type"))]
    if data.get("seq") is not None:
        words.append(f"seq={data['seq']}")
    body = data.get("msg")
    if isinstance(body, dict):
        words += [f"{name}={cell(value)}" for name, value in body.items() if value is not None]
    return " ".join(words)
