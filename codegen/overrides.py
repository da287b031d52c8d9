"""Read the declarative override data in overrides/config/ (the generator never imports the SDK)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from codegen.ir import IRError
from codegen.model_schema import TypeOverrides


def load_type_overrides(config_dir: Path, spec: str) -> TypeOverrides:
    """The type overrides for ``spec`` ("openapi" or "asyncapi") from ``types.yaml``."""
    path = config_dir / "types.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    kinds = data.get("override_types") or {}
    section = data.get(spec) or {}
    unknown = sorted(set(section) - {"components", "field_suffixes", "fields", "formats"})
    if unknown:
        raise IRError(str(path), f"unknown key(s) under {spec}: {', '.join(unknown)}")
    return TypeOverrides(
        kinds=dict(kinds),
        components=dict(section.get("components") or {}),
        field_suffixes=dict(section.get("field_suffixes") or {}),
        fields=dict(section.get("fields") or {}),
        formats=dict(section.get("formats") or {}),
        optional_fields=_optional_fields(config_dir / "departures.yaml", spec),
        filled_fields=_located_fields(config_dir / "departures.yaml", "sdk_filled_request_fields", spec),
    )


def _optional_fields(path: Path, spec: str) -> dict[str, frozenset[str]]:
    """Schema location -> response fields decoded as optional although the spec requires them."""
    return _located_fields(path, "optional_response_fields", spec)


def _located_fields(path: Path, key: str, spec: str) -> dict[str, frozenset[str]]:
    """Schema location -> field names, from one section of departures.yaml."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    result: dict[str, frozenset[str]] = {}
    for location, entry in ((data.get(key) or {}).get(spec) or {}).items():
        if not isinstance(entry, dict) or not entry.get("fields") or not entry.get("reason"):
            raise IRError(f"{path}: {location}", "each entry needs a list of fields and a reason")
        result[str(location)] = frozenset(str(f) for f in entry["fields"])
    return result
