"""Reading specs as YAML 1.2 (core schema) with PyYAML, which only knows YAML 1.1.

In YAML 1.1 `yes`/`no`/`on`/`off`/`y`/`n` are booleans (a property called `yes` would become the key True),
`1:20` is a base-60 integer, `010` is octal, `1_000` is 1000 and `2026-03-06` is a date. In 1.2 core those
are strings (or, for `010`, the decimal 10); only true/false in three spellings are booleans. The reader
also says where a 1.1 reader would have read a value differently, so a spec bump shows what changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_STR_TAG = "tag:yaml.org,2002:str"
# (tag, pattern, the first characters PyYAML indexes it by: "" is the empty scalar)
CORE_RESOLVERS: tuple[tuple[str, str, str | tuple[str, ...]], ...] = (
    ("tag:yaml.org,2002:null", r"^(?:null|Null|NULL|~|)$", ("n", "N", "~", "")),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    # Merge keys are not in 1.2 core, but spec files written for PyYAML-era tools use them; keeping `<<` as
    # a merge reads them as their authors meant.
    ("tag:yaml.org,2002:merge", r"^<<$", "<"),
)


class SpecLoader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema's implicit types instead of YAML 1.1's."""

    def construct_core_int(self, node: ScalarNode) -> int:
        # 1.2 core: decimal, 0o octal, 0x hex; a leading 0 is decimal, not octal as SafeConstructor reads it.
        text = str(self.construct_scalar(node))
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text, 10)

    def construct_core_float(self, node: ScalarNode) -> float:
        text = str(self.construct_scalar(node)).lower()
        if text.lstrip("+-") == ".inf":
            return -math.inf if text.startswith("-") else math.inf
        if text == ".nan":
            return math.nan
        return float(text)


SpecLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in CORE_RESOLVERS:
    SpecLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))
SpecLoader.add_constructor("tag:yaml.org,2002:int", SpecLoader.construct_core_int)
SpecLoader.add_constructor("tag:yaml.org,2002:float", SpecLoader.construct_core_float)
# An explicit `!!timestamp` still has its constructor; implicit dates are strings in 1.2 core.


def _implicit_tag(resolvers: Mapping[Any, list[tuple[str, re.Pattern[str]]]], text: str) -> str:
    """The tag a plain scalar gets from a set of implicit resolvers (as yaml.resolver.Resolver picks it)."""
    for tag, pattern in [*resolvers.get(text[:1], []), *resolvers.get(None, [])]:
        if pattern.match(text):
            return tag
    return _STR_TAG


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    kind = {bool: "the boolean", int: "the integer", float: "the number"}.get(type(value))
    return f"{kind} {value!r}" if kind else f"a {type(value).__name__} ({value})"


# Constructors only read the node they are given, so one instance of each reader serves every scalar.
_READER_12 = SpecLoader("")
_READER_11 = yaml.SafeLoader("")


def _read_as(loader: yaml.SafeLoader, tag: str, text: str) -> str:
    """What a plain scalar becomes under one reader's constructor for `tag`, in words."""
    construct = loader.yaml_constructors.get(tag)
    try:
        if construct is None:
            raise yaml.constructor.ConstructorError(None, None, f"no constructor for {tag}")
        return _describe(construct(loader, ScalarNode(tag, text)))
    except (yaml.YAMLError, ValueError):
        return f"a {tag.rsplit(':', 1)[-1]}"  # 1.1's `=` value type, say, which SafeLoader cannot build


def _yaml11_difference(node: ScalarNode) -> str | None:
    """How YAML 1.1 would have read a plain scalar the 1.2 core schema read differently, else None."""
    text = node.value
    tag12 = _implicit_tag(SpecLoader.yaml_implicit_resolvers, text)
    tag11 = _implicit_tag(yaml.SafeLoader.yaml_implicit_resolvers, text)
    if node.style is not None or node.tag != tag12 or tag11 == tag12 == _STR_TAG:
        return None  # quoted, explicitly tagged, or a string either way
    read12, read11 = _read_as(_READER_12, tag12, text), _read_as(_READER_11, tag11, text)
    if read12 == read11:
        return None
    return f"read as {read12} (YAML 1.2; YAML 1.1 would read {read11})"


def _pointer(path: tuple[str, ...]) -> str:
    return "#" + "".join("/" + segment.replace("~", "~0").replace("/", "~1") for segment in path)


def _yaml11_notes(node: Node, path: tuple[str, ...], seen: set[int], prose: frozenset[str]) -> Iterator[str]:
    """A note for every plain scalar (key or value) whose 1.2 reading differs from the 1.1 one.

    The scalar text of a prose key is skipped: it is dropped by normalization, so how it reads never matters.
    """
    if id(node) in seen:  # an alias: its anchor was walked already
        return
    seen.add(id(node))
    if isinstance(node, ScalarNode):
        difference = _yaml11_difference(node)
        if difference:
            yield f"{_pointer(path)}: {node.value!r} {difference}"
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            yield from _yaml11_notes(item, (*path, str(index)), seen, prose)
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            difference = _yaml11_difference(key) if isinstance(key, ScalarNode) else None
            if difference:
                yield f"{_pointer(path)}: key {key.value!r} {difference}"
            if isinstance(value, ScalarNode) and key.value in prose:
                continue
            yield from _yaml11_notes(value, (*path, str(key.value)), seen, prose)


def read_yaml_text(raw: bytes | str, prose: frozenset[str] = frozenset()) -> tuple[Any, tuple[str, ...]]:
    """Parse YAML (or JSON) with the 1.2 core schema; also the notes where YAML 1.1 would read differently
    (the values of ``prose`` keys, which normalization drops, are not looked at)."""
    loader = SpecLoader(raw)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, ()
        notes = tuple(dict.fromkeys(_yaml11_notes(node, (), set(), prose)))
        return loader.construct_document(node), notes
    finally:
        loader.dispose()
