"""Which required fields response models decode as optional: the spec is a claim about the server.

Live servers stop sending a field once the spec deprecates it, and leave out required fields that may be
null anyway. A response model that insists on them makes a whole page or stream frame unusable for one
missing field, so the rule is:

- a required field the spec marks ``deprecated`` is optional in response models (servers drop those first);
- a required field that is ``nullable`` decodes a missing value as ``None`` (the value it may have anyway);
- a required field marked ``x-omitempty`` is optional: the server's own encoder leaves it out when empty;
- any other required field the servers are seen to omit is listed, with its reason, under
  ``optional_response_fields`` in ``overrides/config/departures.yaml``.

Request models keep every required field required. The model pass, the drift report and the contract tests
all ask this module, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from codegen.ir import Property, Schema

Relaxation = Literal["deprecated", "nullable", "omitempty", "departure"]


def nullable(schema: Schema, schemas: Mapping[str, Schema]) -> bool:
    """Whether a value may be null: the schema says so, or the component it references does."""
    target = schemas.get(schema.ref or "") if schema.kind == "ref" else None
    return schema.nullable or (target is not None and target.nullable)


def relaxation(
    prop: Property,
    location: str,
    departures: Mapping[str, frozenset[str]],
    schemas: Mapping[str, Schema] | None = None,
) -> Relaxation | None:
    """Why the required ``prop`` of the object at ``location`` is optional when received; None when it stays
    required (and for fields that are optional anyway). ``schemas`` resolves a reference's nullability."""
    if not prop.required:
        return None
    if prop.schema.deprecated:
        return "deprecated"
    if nullable(prop.schema, schemas or {}):
        return "nullable"
    if dict(prop.schema.extensions).get("x-omitempty") is True:
        return "omitempty"
    if prop.name in departures.get(location, frozenset()):
        return "departure"
    return None


def required_when_received(
    prop: Property,
    location: str,
    departures: Mapping[str, frozenset[str]],
    schemas: Mapping[str, Schema] | None = None,
) -> bool:
    """Whether a response model requires ``prop``."""
    return prop.required and relaxation(prop, location, departures, schemas) is None
