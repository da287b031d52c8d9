"""What a command prints: its JSON (``--json``), or aligned text tables and field lists.

Both forms start from the models' JSON dump (wire names, Decimals as the wire's strings), so a price reads
``0.5600`` in a table exactly as it does in ``--json`` output and on the wire.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from pydantic import BaseModel

# Cells that read as numbers are right-aligned, so the decimal points of equally scaled amounts line up.
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_MISSING = "-"


def wire(value: Any) -> Any:
    """``value`` as JSON-ready data: models dumped by wire name, Decimals as their wire strings."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, (list, tuple)):
        return [wire(item) for item in value]
    return value


@dataclass(frozen=True)
class Column:
    header: str
    key: str  # the wire name of the field the column shows


@dataclass(frozen=True)
class Table:
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]  # wire dumps


@dataclass(frozen=True)
class Fields:
    """One object as ``name  value`` lines, every field in the order the model dumps them."""

    row: Mapping[str, Any]  # a wire dump


View = Table | Fields


@dataclass(frozen=True)
class Result:
    data: Any  # what --json prints: a model, a list of models, or JSON-ready values
    views: Sequence[View]  # what the text output shows


def table(columns: Sequence[Column], items: Iterable[Any]) -> Table:
    return Table(columns, [wire(item) for item in items])


def fields(item: Any) -> Fields:
    return Fields(wire(item))


def write_json(data: Any, out: TextIO) -> None:
    out.write(json.dumps(wire(data), indent=2, ensure_ascii=False) + "\n")


def write_views(views: Sequence[View], out: TextIO) -> None:
    for number, view in enumerate(views):
        if number:
            out.write("\n")
        lines = table_lines(view) if isinstance(view, Table) else field_lines(view)
        out.writelines(line + "\n" for line in lines)


def cell(value: Any) -> str:
    """One value as table text: on one line, JSON for nested data, ``-`` when absent."""
    if value is None:
        return _MISSING
    if isinstance(value, str):
        return " ".join(value.split()) or _MISSING
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def table_lines(view: Table) -> list[str]:
    header = [c.header for c in view.columns]
    body = [[cell(row.get(c.key)) for c in view.columns] for row in view.rows]
    columns = [[texts[i] for texts in (header, *body)] for i in range(len(header))]
    widths = [max(len(text) for text in column) for column in columns]
    numeric = [_numeric(column[1:]) for column in columns]
    return [_join(texts, widths, numeric) for texts in (header, *body)]


def field_lines(view: Fields) -> list[str]:
    width = max((len(name) for name in view.row), default=0)
    return [f"{name.ljust(width)}  {cell(value)}".rstrip() for name, value in view.row.items()]


def _numeric(texts: list[str]) -> bool:
    present = [text for text in texts if text != _MISSING]
    return bool(present) and all(_NUMBER.fullmatch(text) for text in present)


def _join(texts: Sequence[str], widths: Sequence[int], right: Sequence[bool]) -> str:
    padded = [t.rjust(w) if r else t.ljust(w) for t, w, r in zip(texts, widths, right, strict=True)]
    return "  ".join(padded).rstrip()
