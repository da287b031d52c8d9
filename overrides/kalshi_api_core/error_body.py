"""What an error response says: Kalshi's code, message and details, whatever shape the body takes.

Kalshi answers errors with its ``ErrorResponse`` (``{"code", "message", "details"}``), bare or wrapped in
``{"error": {...}}``; some endpoints send ``{"error": "text"}`` and the gateway in front of the demo sends
``{"msg": "text"}`` (the WebSocket API's word for a message). Proxies answer with plain text or an HTML page,
and some errors have no body at all. The rule: the error object is ``error`` when that is an object, else the
body itself; its message is ``message``, else ``msg``, else the text of ``error``. Anything else is shown as a
short excerpt. Every text kept is one bounded line without control characters, so an error can't flood a log
or forge lines in it; an HTML page becomes its title (or its visible text), never its markup.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

MAX_TEXT = 200  # characters of any text kept from a body
_MESSAGE_KEYS = ("message", "msg")
_KNOWN_KEYS = frozenset({"code", "details", "error", *_MESSAGE_KEYS})
_HTML_START = re.compile(rb"\s*<(!doctype\s+html|html|head|body|title)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)
_INVISIBLE = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_HTML_SCAN = 64 * 1024  # an error page's title and first words are near its start


@dataclass(frozen=True)
class ErrorBody:
    code: str | None = None
    message: str | None = None
    details: Any = None


def parse_error_body(content: bytes, content_type: str | None = None) -> ErrorBody:
    """The code, message and details of an error response's body (all None for an empty body)."""
    if not content.strip():
        return ErrorBody()
    try:
        data = json.loads(content)
    except (ValueError, RecursionError):  # not JSON, too deep, or an integer too long to convert
        return ErrorBody(message=_page_text(content, content_type))
    if isinstance(data, str):
        return ErrorBody(message=_line(data))
    if not isinstance(data, dict):  # JSON, but no object: show what it is
        return ErrorBody(message=None if data is None else _excerpt(content))
    error = data.get("error")
    fields = error if isinstance(error, dict) else data
    if not _KNOWN_KEYS.intersection(fields):
        return ErrorBody(message=_excerpt(content))
    message = next((fields[key] for key in _MESSAGE_KEYS if fields.get(key) not in (None, "")), None)
    if message is None and isinstance(error, str):
        message = error
    return ErrorBody(code=_text(fields.get("code")), message=_text(message), details=fields.get("details"))


def _text(value: Any) -> str | None:
    """A field as one line: strings as they are, any other JSON value (a numeric code, say) as its JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return _line(value)
    try:
        return _line(json.dumps(value, separators=(",", ":")))
    except (ValueError, RecursionError):
        return _line(repr(type(value)))


def _page_text(content: bytes, content_type: str | None) -> str | None:
    """A plain-text body's first words, or an HTML page's title (else its visible text)."""
    is_html = "html" in (content_type or "").lower() or _HTML_START.match(content[:1024]) is not None
    if not is_html:
        return _excerpt(content)
    page = content[:_HTML_SCAN].decode("utf-8", "replace")
    title = _TITLE.search(page)
    text = title.group(1) if title and title.group(1).strip() else _TAG.sub(" ", _INVISIBLE.sub(" ", page))
    return _line(html.unescape(_TAG.sub(" ", text)))


def _excerpt(content: bytes) -> str | None:
    return _line(content[: MAX_TEXT * 4].decode("utf-8", "replace"))


def _line(text: str) -> str | None:
    """One line of at most MAX_TEXT characters: control and format characters (newlines, bidi overrides)
    and lone surrogates are gone, whitespace runs are one space; None when nothing is left."""
    kept = []
    for char in text[: MAX_TEXT * 4]:
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp") or char.isspace():
            kept.append(" ")
        elif category not in ("Cf", "Cs"):
            kept.append(char)
    line = " ".join("".join(kept).split())
    if len(line) > MAX_TEXT:
        line = line[: MAX_TEXT - 1].rstrip() + "…"
    return line or None
