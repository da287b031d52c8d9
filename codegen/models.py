"""The pydantic models of one spec, rendered by datamodel-code-generator.

``model_schema.prepare`` takes every decision (names, directions, open enums, Decimal and strict types,
relaxed response fields, aliases) and writes it into a JSON Schema document; datamodel-code-generator turns
that document into the models module through the templates in ``templates/datamodel/`` (the base class of
each direction carries the configuration). What the rest of the generator needs to know about the models
(each class's fields and their types, for signatures and the reference) comes back from
datamodel-code-generator's own model metadata, so the code and what is said about it can't disagree.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.directions import Direction
from codegen.ir import MISSING, IRError, Schema
from codegen.model_schema import PlannedField, PlannedModel, TypeOverrides, prepare
from codegen.response_fields import Relaxation

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "datamodel"


@dataclass(frozen=True)
class FieldDef:
    name: str
    wire_name: str
    type_expr: str  # the field's type as the generated module spells it (limits aside)
    default_expr: str | None  # None: required
    relaxed: Relaxation | None = None  # why a field the spec requires is optional here (response models)
    schema: Schema | None = None  # the property's schema (the reference lists a request field's limits)


@dataclass(frozen=True)
class ClassDef:
    name: str
    base: str  # RequestModel / ResponseModel
    fields: tuple[FieldDef, ...]
    location: str


@dataclass(frozen=True)
class AliasDef:
    name: str
    type_expr: str
    location: str


Definition = ClassDef | AliasDef


@dataclass
class ModelPlan:
    code: str  # the models module as datamodel-code-generator renders it (imports and definitions)
    definitions: list[Definition]  # in the module's order
    request_names: dict[str, str]  # component name -> request class/alias name
    response_names: dict[str, str]  # component name -> response class/alias name
    stale: list[str] = field(default_factory=list)  # override entries this spec no longer calls for
    notes: list[str] = field(default_factory=list)  # choices the model pass made that regen reports

    def fields_of(self, class_name: str) -> dict[str, FieldDef]:
        """A class's fields by wire name."""
        for definition in self.definitions:
            if definition.name == class_name and isinstance(definition, ClassDef):
                return {f.wire_name: f for f in definition.fields}
        raise KeyError(class_name)


def _options(base_classes: Mapping[str, str], aliases: Mapping[str, str]) -> dict[str, Any]:
    """datamodel-code-generator's options: pydantic v2 models with annotated limits, Literal enums and
    ``X: TypeAlias = ...`` aliases, for Python 3.10."""
    from datamodel_code_generator import PythonVersion
    from datamodel_code_generator.model import pydantic_v2, type_alias

    return {
        "data_model_type": pydantic_v2.BaseModel,
        "data_model_root_type": type_alias.TypeAlias,
        "data_model_field_type": pydantic_v2.DataModelField,
        "data_type_manager_type": pydantic_v2.DataTypeManager,
        "target_python_version": PythonVersion.PY_310,
        "enum_field_as_literal": "all",
        "use_annotated": True,
        "field_constraints": True,
        "use_schema_description": True,
        "use_union_operator": True,
        "strict_nullable": True,  # a field with a default takes None only where the spec says it may be null
        "use_standard_collections": True,
        "base_class_map": dict(base_classes),
        "aliases": dict(aliases),
        "custom_template_dir": TEMPLATES,
        "formatters": [],  # ruff formats every generated file afterwards
    }


def _render(document: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    from datamodel_code_generator.parser.openapi import OpenAPIParser

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its notices about future defaults: every option here is explicit
        parser = OpenAPIParser(json.dumps(document), **options)
        code = parser.parse(collect_model_metadata=True)
    models: list[Any] = list(parser.model_metadata["models"]) if parser.model_metadata else []
    return str(code), models


def _default_expr(planned: PlannedField) -> str | None:
    if planned.required:
        return None
    return "None" if planned.default is MISSING or planned.default is None else repr(planned.default)


def _definition(model: PlannedModel, rendered: Mapping[str, Any]) -> Definition:
    types = {f["alias"] or f["name"]: (f["name"], f["type"]) for f in rendered["fields"]}
    if model.kind == "alias":
        return AliasDef(model.name, str(rendered["fields"][0]["type"]), model.location)
    fields = []
    for planned in model.fields:
        if planned.wire_name not in types:
            raise IRError(model.location, f"{model.name}.{planned.wire_name} was not rendered")
        name, type_expr = types[planned.wire_name]
        if name != planned.name:
            raise IRError(
                model.location, f"{model.name}.{planned.wire_name} rendered as {name!r}, not {planned.name!r}"
            )
        default = _default_expr(planned)
        fields.append(
            FieldDef(name, planned.wire_name, str(type_expr), default, planned.relaxed, planned.schema)
        )
    base = "RequestModel" if model.direction == "request" else "ResponseModel"
    return ClassDef(model.name, base, tuple(fields), model.location)


def plan_models(
    schemas: Mapping[str, Schema],
    directions: Mapping[str, frozenset[Direction]],
    overrides: TypeOverrides,
    extra: Iterable[tuple[str, Schema, Direction]] = (),
) -> ModelPlan:
    """Every component schema in its direction(s), plus ``extra`` named inline schemas, rendered."""
    plan = prepare(schemas, directions, overrides, extra)
    code, rendered = _render(plan.document, _options(plan.base_classes, plan.aliases))
    by_name = {model["class_name"]: model for model in rendered}
    missing = sorted(set(plan.models) - set(by_name))
    unplanned = sorted(set(by_name) - set(plan.models))
    if (
        missing or unplanned
    ):  # the generator renamed, merged or added a definition: the SDK's names would move
        raise IRError(
            "datamodel-code-generator",
            f"rendered definitions differ from the plan: missing {missing}, not planned {unplanned}",
        )
    definitions = [_definition(plan.models[model["class_name"]], model) for model in rendered]
    return ModelPlan(code, definitions, plan.request_names, plan.response_names, plan.stale, plan.notes)
