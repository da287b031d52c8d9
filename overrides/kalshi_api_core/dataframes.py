"""DataFrame export of pages and auto-paging iterators: ``to_pandas()`` and ``to_polars()``.

One row per item and one column per model field under its wire name: the declared fields in model order, then
any field the spec does not list yet. Nested models stay whole, as dicts (pandas: an object column; polars: a
struct column; free-form JSON whose types vary from row to row is a polars ``Object`` column), so nothing is
renamed or dropped. Date-times become timezone-aware (UTC) datetime columns.
``Decimal`` values stay exact ``Decimal`` objects (pandas: object dtype; polars: ``Decimal`` dtype) unless
``decimals="float"`` or ``decimals="str"`` converts them, nested values included. An empty page still has
the model's columns.

pandas and polars are optional: ``pip install 'kalshi-api[pandas]'`` or ``'kalshi-api[polars]'``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from kalshi_api_core.decimals import to_wire
from kalshi_api_core.errors import ConfigurationError, MissingExtraError

if TYPE_CHECKING:
    import pandas
    import polars

DecimalMode = Literal["decimal", "float", "str"]
_CONVERTERS: dict[str, Callable[[Decimal], Any]] = {"float": float, "str": to_wire}


@dataclass(frozen=True)
class Table:
    """Rows as dicts that all have every column, in column order."""

    columns: list[str]
    rows: list[dict[str, Any]]


def table(items: Sequence[Any], item_type: type[Any] | None, decimals: str) -> Table:
    """The rows and columns of ``items``; ``item_type`` (the items' model) names the columns of no rows."""
    convert = _decimal_converter(decimals)
    records = [_record(item) for item in items]
    names: dict[str, None] = {}
    if isinstance(item_type, type) and issubclass(item_type, BaseModel):
        names.update(dict.fromkeys(_wire_names(item_type)))
    for record in records:
        names.update(dict.fromkeys(record))
    columns = list(names)
    rows = [{name: convert(record.get(name)) for name in columns} for record in records]
    return Table(columns, rows)


def require(library: Literal["pandas", "polars"], decimals: str) -> None:
    """Refuse a bad ``decimals`` or a missing library before any page is fetched."""
    _decimal_converter(decimals)
    try:
        importlib.import_module(library)
    except ImportError:
        raise MissingExtraError(f"to_{library}()", library) from None


def to_pandas(items: Sequence[Any], item_type: type[Any] | None, decimals: str) -> pandas.DataFrame:
    require("pandas", decimals)
    import pandas as pd

    data = table(items, item_type, decimals)
    series = {name: _pandas_series([row[name] for row in data.rows]) for name in data.columns}
    frame: pandas.DataFrame = pd.DataFrame(series, columns=data.columns)  # the stubs' constructor is untyped
    return frame


def to_polars(items: Sequence[Any], item_type: type[Any] | None, decimals: str) -> polars.DataFrame:
    require("polars", decimals)
    import polars as pl

    data = table(items, item_type, decimals)
    return pl.DataFrame([_polars_series([row[name] for row in data.rows], name) for name in data.columns])


def _polars_series(values: list[Any], name: str) -> polars.Series:
    import polars as pl  # imported by to_polars already

    try:
        # from rows, so every value is scanned: a struct gets the fields of all rows, not the first row's
        return pl.from_dicts([{name: v} for v in values], schema=[name], infer_schema_length=None)[name]
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        # free-form JSON whose values differ in type from row to row: kept as the Python objects they are
        return pl.Series(name, values, dtype=pl.Object)


def _pandas_series(values: list[Any]) -> pandas.Series[Any]:
    import pandas as pd  # imported by to_pandas already

    present = [v for v in values if v is not None]
    series: pandas.Series[Any]
    if present and all(isinstance(v, datetime) for v in present):
        series = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
    elif present and len(present) < len(values) and all(type(v) is int for v in present):
        series = pd.Series(values, dtype="Int64")  # a missing integer is not a float NaN
    else:
        series = pd.Series(values)  # Decimal, dict and list values stay as they are, in an object column
    return series


def _decimal_converter(decimals: str) -> Callable[[Any], Any]:
    if decimals == "decimal":
        return _unchanged
    convert = _CONVERTERS.get(decimals) if isinstance(decimals, str) else None
    if convert is None:
        raise ConfigurationError(f"decimals must be 'decimal', 'float' or 'str', got {decimals!r}")

    def converted(value: Any) -> Any:
        if isinstance(value, Decimal):
            return convert(value)
        if isinstance(value, dict):
            return {k: converted(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(converted(v) for v in value)
        return value

    return converted


def _unchanged(value: Any) -> Any:
    return value


def _record(item: Any) -> dict[str, Any]:
    if isinstance(item, BaseModel):
        return item.model_dump(by_alias=True)
    if isinstance(item, Mapping):
        return dict(item)
    raise TypeError(f"a DataFrame row needs a model or a mapping, got {type(item).__name__}")


def _wire_names(model: type[BaseModel]) -> list[str]:
    return [info.serialization_alias or info.alias or name for name, info in model.model_fields.items()]
