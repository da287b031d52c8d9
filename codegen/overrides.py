"""Read the declarative override data in overrides/config/ (the generator never imports the SDK)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from codegen.ir import IRError
from codegen.models import TypeOverrides


def load_type_overrides(config_dir: Path, spec: str) -> TypeOverrides:
    """The type overrides for ``spec`` ("openapi" or "asyncapi") from ``types.yaml``."""
    path = config_dir / "types.yaml"
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    kinds = data.get("override_types") or {}
    section = data.get(spec) or {}
    unknown = sorted(set(section) - {"components", "field_suffixes", "fields"})
    if unknown:
        raise IRError(str(path), f"unknown key(s) under {spec}: {', '.join(unknown)}")
    return TypeOverrides(
        kinds=dict(kinds),
        components=dict(section.get("components") or {}),
        field_suffixes=dict(section.get("field_suffixes") or {}),
        fields=dict(section.get("fields") or {}),
    )
