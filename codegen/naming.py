"""Python names for spec names: classes in PascalCase, fields as valid, non-shadowing identifiers."""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable

# Field names that would shadow a keyword, a builtin or a pydantic BaseModel attribute get a trailing "_";
# the wire name is kept as the alias.
_RESERVED = (
    frozenset(keyword.kwlist)
    | frozenset(keyword.softkwlist)
    | frozenset(n for n in dir(builtins) if not n.startswith("_"))
    | frozenset(
        {"model_config", "model_fields", "model_computed_fields", "model_extra", "model_fields_set",
         "schema", "schema_json", "json", "dict", "copy", "construct", "validate", "parse_obj", "parse_raw",
         "parse_file", "from_orm", "update_forward_refs"}
    )
)  # fmt: skip


def pascal_case(name: str) -> str:
    """``orderbookSnapshotPayload`` -> ``OrderbookSnapshotPayload``; ``user_orders`` -> ``UserOrders``."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", name) if p]
    result = "".join(p[0].upper() + p[1:] for p in parts)
    if not result or result[0].isdigit():
        result = "N" + result
    return result


# Names a models module imports (the runtime's types and base classes, pydantic's, typing's): no model may
# take one of them.
_IMPORTED = frozenset(
    {"StrictInt", "StrictFloat", "StrictBool", "RequestModel", "ResponseModel", "AwareDatetime", "Field",
     "JsonValue", "ConfigDict", "Annotated", "Literal", "TypeAlias", "Any", "date"}
)  # fmt: skip


def class_name(component: str, override_types: Iterable[str] = ()) -> str:
    """The model name of a component schema: PascalCase, with ``Model`` after a name the models module
    imports (a 3.8.0 spec has a ``PriceLevel`` schema, and ``PriceLevel`` is an override type)."""
    name = pascal_case(component)
    return name + "Model" if name in _IMPORTED or name in set(override_types) else name


def snake_case(name: str) -> str:
    """``GetMarketOrderbook`` -> ``get_market_orderbook``; ``GetRFQs`` -> ``get_rfqs``."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_").lower()
    return s or "_"


def field_name(wire_name: str) -> str:
    """A Python attribute name for a wire field name."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", wire_name)
    if not name or name[0].isdigit():
        name = "f_" + name
    if name in _RESERVED or keyword.iskeyword(name):
        name += "_"
    return name
