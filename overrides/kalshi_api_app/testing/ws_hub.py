"""The fake's WebSocket protocol: commands, subscriptions with their sids and seqs, and the streams the
exchange's events feed. Transport-free: each connection is a ``send(text)`` callable (``ws_server``).

Everything runs under the exchange's lock, so a snapshot and the deltas after it agree with the book, and a
subscription's seq numbers are assigned in the order its frames are sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from kalshi_api.ws.models import (
    ErrorResponsePayload,
    ErrorResponsePayloadMsg,
    ListSubscriptionsResponsePayload,
    ListSubscriptionsResponsePayloadMsgItem,
    OkResponsePayload,
    OkResponsePayloadMsg,
    SubscribeCommandPayloadParams,
    SubscribedResponsePayload,
    SubscribedResponsePayloadMsg,
    UnsubscribeCommandPayloadParams,
    UnsubscribedResponsePayload,
    UpdateSubscriptionCommandPayloadParams,
)
from kalshi_api.ws.protocol import CHANNELS, ERROR_CLASSES
from kalshi_api_app.testing import ws_payloads
from kalshi_api_app.testing.events import (
    BookChanged,
    Event,
    Filled,
    MarketChanged,
    OrderChanged,
    PositionChanged,
    Traded,
)
from kalshi_api_app.testing.exchange import Exchange
from kalshi_api_app.testing.records import market_id

BOOK = "orderbook_delta"
MARKET_ACTIONS = ("add_markets", "delete_markets", "get_snapshot")
# Channels whose update_subscription takes index or underlying lists: accepted, but the fake has no such feed.
KEYED = frozenset(
    name for name, spec in CHANNELS.items() if spec.update_command not in (None, "updateSubscriptionCommand")
)


class CommandFailed(Exception):
    """A command answered with an error frame: ``code`` is the spec's error code."""

    def __init__(self, code: int, **details: str) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass
class WsSubscription:
    sid: int
    channel: str
    markets: list[str] | None  # None: every market
    seq: int = 0  # the last seq sent (sequenced channels)

    def covers(self, ticker: str) -> bool:
        return self.markets is None or ticker in self.markets


@dataclass(eq=False)
class WsConnection:
    send: Callable[[str], None]  # thread-safe: queues a text frame for the connection's writer
    subscriptions: dict[int, WsSubscription] = field(default_factory=dict)
    next_sid: int = 1


class Hub:
    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self._connections: list[WsConnection] = []
        exchange.listen(self._publish)

    def connect(self, send: Callable[[str], None]) -> WsConnection:
        with self.exchange.lock:
            connection = WsConnection(send)
            self._connections.append(connection)
            return connection

    def disconnect(self, connection: WsConnection) -> None:
        with self.exchange.lock:
            if connection in self._connections:
                self._connections.remove(connection)

    # --- commands ------------------------------------------------------------------------------------

    def command(self, connection: WsConnection, raw: str | bytes) -> None:
        try:
            frame = json.loads(raw)
        except (ValueError, RecursionError):
            frame = None
        command_id = frame.get("id") if isinstance(frame, dict) else None
        if not isinstance(command_id, int) or isinstance(command_id, bool):
            self._send(connection, _error(None, CommandFailed(1)))
            return
        assert isinstance(frame, dict)
        handlers: dict[str, Callable[[WsConnection, int, dict[str, Any]], None]] = {
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "update_subscription": self._update,
            "list_subscriptions": self._list,
        }
        with self.exchange.operation():
            try:
                handler = handlers.get(frame.get("cmd"))  # type: ignore[arg-type]
                if handler is None:
                    raise CommandFailed(5)
                params = frame.get("params", {})
                if not isinstance(params, dict):
                    raise CommandFailed(2)
                handler(connection, command_id, params)
            except CommandFailed as failure:
                self._send(connection, _error(command_id, failure))

    def _subscribe(self, connection: WsConnection, command_id: int, params: dict[str, Any]) -> None:
        if not params:
            raise CommandFailed(2)
        if not isinstance(params.get("channels"), list) or not params["channels"]:
            raise CommandFailed(3)
        try:
            parsed = SubscribeCommandPayloadParams.model_validate(params)
        except ValidationError as exc:
            raise CommandFailed(
                8 if any(e["loc"][:1] == ("channels",) for e in exc.errors()) else 11
            ) from None
        markets = self._markets(
            parsed.market_ticker, parsed.market_tickers, parsed.market_id, parsed.market_ids
        )
        for channel in parsed.channels:
            try:
                if channel == BOOK and not markets:
                    raise CommandFailed(14)
                if any(
                    s.channel == channel and _overlap(s.markets, markets)
                    for s in connection.subscriptions.values()
                ):
                    raise CommandFailed(6)
            except CommandFailed as failure:
                self._send(connection, _error(command_id, failure))
                continue
            sub = WsSubscription(connection.next_sid, channel, list(markets) if markets else None)
            connection.next_sid += 1
            connection.subscriptions[sub.sid] = sub
            reply = SubscribedResponsePayload(
                id_=command_id,
                msg=SubscribedResponsePayloadMsg(channel=channel, sid=sub.sid),
                type_="subscribed",
            )
            self._send(connection, reply)
            if channel == BOOK:
                for ticker in markets:
                    self._snapshot(connection, sub, ticker)
            if channel == "ticker" and parsed.send_initial_snapshot:
                for ticker in markets or list(self.exchange.markets):
                    self._ticker(connection, sub, ticker)

    def _unsubscribe(self, connection: WsConnection, command_id: int, params: dict[str, Any]) -> None:
        try:
            sids = UnsubscribeCommandPayloadParams.model_validate(params).sids
        except ValidationError:
            raise CommandFailed(4) from None
        for sid in sids:
            sub = connection.subscriptions.pop(sid, None)
            if sub is None:
                self._send(connection, _error(command_id, CommandFailed(7)))
                continue
            reply = UnsubscribedResponsePayload(
                id_=command_id, seq=sub.seq + 1, sid=sid, type_="unsubscribed"
            )
            self._send(connection, reply)

    def _update(self, connection: WsConnection, command_id: int, params: dict[str, Any]) -> None:
        action = params.get("action")
        if not action:
            raise CommandFailed(15)
        sid, sids = params.get("sid"), params.get("sids")
        if sids is not None:
            if not isinstance(sids, list) or len(sids) != 1 or sid not in (None, sids[0]):
                raise CommandFailed(12)
            sid = sids[0]
        if not isinstance(sid, int):
            raise CommandFailed(12)
        sub = connection.subscriptions.get(sid)
        if sub is None:
            raise CommandFailed(7)
        if action not in MARKET_ACTIONS:
            if sub.channel not in KEYED:
                raise CommandFailed(13)
            self._ok(connection, command_id, sub)  # index and underlying feeds: nothing to change here
            return
        try:
            parsed = UpdateSubscriptionCommandPayloadParams.model_validate(params)
        except ValidationError:
            raise CommandFailed(11) from None
        tickers = self._markets(
            parsed.market_ticker, parsed.market_tickers, parsed.market_id, parsed.market_ids
        )
        if action == "get_snapshot":
            if sub.channel != BOOK:
                raise CommandFailed(13)
            self._ok(connection, command_id, sub)
            for ticker in tickers or sub.markets or []:
                self._snapshot(connection, sub, ticker)
            return
        if not tickers:
            raise CommandFailed(14)
        if sub.markets is None:
            raise CommandFailed(13)  # an all-markets subscription has no list to change
        if action == "delete_markets":
            sub.markets = [t for t in sub.markets if t not in tickers]
            self._ok(connection, command_id, sub)
            return
        added = [t for t in tickers if t not in sub.markets]
        sub.markets.extend(added)
        self._ok(connection, command_id, sub)
        if sub.channel == BOOK:
            for ticker in added:
                self._snapshot(connection, sub, ticker)

    def _list(self, connection: WsConnection, command_id: int, params: dict[str, Any]) -> None:
        items = [
            ListSubscriptionsResponsePayloadMsgItem(channel=s.channel, sid=s.sid)
            for s in sorted(connection.subscriptions.values(), key=lambda s: s.sid)
        ]
        self._send(connection, ListSubscriptionsResponsePayload(id_=command_id, msg=items, type_="ok"))

    def _markets(
        self, ticker: str | None, tickers: list[str] | None, one_id: str | None, ids: list[str] | None
    ) -> list[str]:
        """The markets a command names, by ticker or market id; an unknown one is error 16."""
        by_id = {market_id(t): t for t in self.exchange.markets}
        found = ([ticker] if ticker else []) + list(tickers or [])
        for given in ([one_id] if one_id else []) + list(ids or []):
            if given not in by_id:
                raise CommandFailed(16, market_id=given)
            found.append(by_id[given])
        for name in found:
            if name not in self.exchange.markets:
                raise CommandFailed(16, market_ticker=name)
        return list(dict.fromkeys(found))

    # --- streams -------------------------------------------------------------------------------------

    def _publish(self, events: Sequence[Event]) -> None:
        """Turn one exchange operation's events into frames; called under the exchange's lock."""
        positions: dict[str, None] = {}
        tickers: dict[str, None] = {}
        for event in events:
            if isinstance(event, BookChanged):
                self._fan_out(BOOK, "orderbook_delta", event.ticker, ws_payloads.delta(event))
            elif isinstance(event, Traded):
                self._fan_out("trade", "trade", event.trade.ticker, ws_payloads.trade(event.trade))
            elif isinstance(event, Filled):
                self._fan_out("fill", "fill", event.fill.trade.ticker, ws_payloads.fill(event.fill))
            elif isinstance(event, OrderChanged):
                self._fan_out(
                    "user_orders", "user_order", event.order.ticker, ws_payloads.user_order(event.order)
                )
            elif isinstance(event, PositionChanged):
                positions[event.ticker] = None
            elif isinstance(event, MarketChanged):
                tickers[event.ticker] = None
        for ticker in positions:  # one message per market and operation, with the state it ended in
            message = ws_payloads.market_position(self.exchange.position(ticker))
            self._fan_out("market_positions", "market_position", ticker, message)
        for ticker in tickers:
            self._fan_out(
                "ticker", "ticker", ticker, ws_payloads.ticker(self.exchange, self.exchange.market(ticker))
            )

    def _fan_out(self, channel: str, type_: str, ticker: str, message: BaseModel) -> None:
        for connection, sub in self._covering(channel, ticker):
            self._data(connection, sub, type_, message)

    def _covering(self, channel: str, ticker: str) -> Iterator[tuple[WsConnection, WsSubscription]]:
        for connection in self._connections:
            for sub in connection.subscriptions.values():
                if sub.channel == channel and sub.covers(ticker):
                    yield connection, sub

    def _snapshot(self, connection: WsConnection, sub: WsSubscription, ticker: str) -> None:
        message = ws_payloads.snapshot(self.exchange.market(ticker))
        self._data(connection, sub, "orderbook_snapshot", message)

    def _ticker(self, connection: WsConnection, sub: WsSubscription, ticker: str) -> None:
        self._data(connection, sub, "ticker", ws_payloads.ticker(self.exchange, self.exchange.market(ticker)))

    def _data(self, connection: WsConnection, sub: WsSubscription, type_: str, message: BaseModel) -> None:
        spec = CHANNELS[sub.channel]
        fields: dict[str, Any] = {"type_": type_, "sid": sub.sid, "msg": message}
        if spec.sequenced:
            sub.seq += 1
            fields["seq"] = sub.seq
        self._send(connection, spec.messages[type_](**fields))

    def _ok(self, connection: WsConnection, command_id: int, sub: WsSubscription) -> None:
        msg = OkResponsePayloadMsg(market_tickers=list(sub.markets)) if sub.markets is not None else None
        reply = OkResponsePayload(id_=command_id, msg=msg, seq=sub.seq or None, sid=sub.sid, type_="ok")
        self._send(connection, reply)

    @staticmethod
    def _send(connection: WsConnection, frame: BaseModel) -> None:
        connection.send(frame.model_dump_json(by_alias=True, exclude_none=True))


def _error(command_id: int | None, failure: CommandFailed) -> ErrorResponsePayload:
    # the generated error classes' docstrings carry the spec's text for each code
    text = (ERROR_CLASSES[failure.code].__doc__ or "").partition(": ")[2].rstrip(".")
    msg = ErrorResponsePayloadMsg(code=failure.code, msg=text or f"error {failure.code}", **failure.details)
    return ErrorResponsePayload(id_=command_id, msg=msg, type_="error")


def _overlap(a: list[str] | None, b: list[str]) -> bool:
    """Two selections of one channel collide: both all-markets, or a market in common."""
    return (a is None and not b) or bool(a is not None and set(a) & set(b))
