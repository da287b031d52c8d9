"""Render the generated package from the pinned specs: IR -> plans -> Jinja templates -> ruff -> files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from codegen.channels import WsPlan, plan_ws
from codegen.directions import (
    Direction,
    asyncapi_directions,
    message_direction,
    openapi_directions,
    sent_messages,
)
from codegen.facades import FACADES, facade_imports
from codegen.families import TRADE, Family, pinned_families
from codegen.ir import AsyncAPIDocument, IRError, OpenAPIDocument, Schema
from codegen.load import load_asyncapi, load_openapi, read_yaml
from codegen.models import ModelPlan, plan_models
from codegen.naming import pascal_case
from codegen.operations import (
    ClientPlan,
    OperationConfig,
    ResourcePlan,
    params_model_name,
    params_schema,
    plan_client,
)
from codegen.overrides import load_type_overrides
from codegen.reference import ReferenceSources, reference_files
from codegen.signatures import Import, SignatureTypes, TypeExpr, imports_of


@dataclass(frozen=True)
class Project:
    root: Path

    @property
    def openapi(self) -> Path:
        return self.root / "openapi" / "openapi.yaml"

    @property
    def asyncapi(self) -> Path:
        return self.root / "asyncapi" / "asyncapi.yaml"

    @property
    def templates(self) -> Path:
        return self.root / "templates"

    @property
    def hand_written(self) -> Path:
        """The root of the hand-written packages (the runtime and the application layer)."""
        return self.root / "overrides"

    @property
    def override_config(self) -> Path:
        return self.hand_written / "config"

    @property
    def generated(self) -> Path:
        return self.root / "generated"


@dataclass(frozen=True)
class SpecInfo:
    kind: str
    title: str
    version: str
    path: str  # relative to the project root
    sha256: str  # of the upstream file, from the lock


def _spec_info(project: Project, kind: str, spec_path: Path) -> SpecInfo:
    lock = json.loads((spec_path.parent / "spec.lock").read_text(encoding="utf-8"))
    return SpecInfo(
        kind, lock["title"], lock["version"], spec_path.relative_to(project.root).as_posix(), lock["sha256"]
    )


def openapi_plan(project: Project, spec: OpenAPIDocument, family: Family = TRADE) -> ModelPlan:
    """Models of every component schema, plus one ``<OperationId>Params`` model per operation with
    path or query parameters (the client validates arguments with it before sending)."""
    config_dir = family.config(project.root)
    config = OperationConfig.load(config_dir)
    extra: list[tuple[str, Schema, Direction]] = []
    for op in spec.operations:
        params = params_schema(op)
        if params is not None and config.exclusion(op) is None:
            extra.append((params_model_name(op), params, "request"))
    overrides = load_type_overrides(config_dir, "openapi")
    left_out = config.left_out_schemas(spec)
    schemas = {name: schema for name, schema in spec.schemas.items() if name not in left_out}
    directions = {name: ways for name, ways in openapi_directions(spec).items() if name not in left_out}
    plan = plan_models(schemas, directions, overrides, extra)
    for why in dict.fromkeys(left_out.values()):
        names = [name for name, reason in left_out.items() if reason == why]
        plan.notes.append(f"left out {len(names)} schema(s), {', '.join(names)}: {why}")
    return plan


def asyncapi_plan(
    project: Project, spec: AsyncAPIDocument, family: Family = TRADE
) -> tuple[ModelPlan, list[tuple[str, str]]]:
    """The WS payload models, and the registry (message key -> payload type name)."""
    sent = sent_messages(spec)
    extra: list[tuple[str, Schema, Direction]] = []
    registry: list[tuple[str, str]] = []
    for key, message in spec.messages.items():
        if message.payload.kind == "ref":
            registry.append((key, message.payload.ref or ""))
        else:
            alias = pascal_case(key) + "Payload"
            extra.append((alias, message.payload, message_direction(spec, key, sent)))
            registry.append((key, alias))
    overrides = load_type_overrides(family.config(project.root), "asyncapi")
    plan = plan_models(spec.schemas, asyncapi_directions(spec), overrides, extra)
    resolved = []
    for key, target in registry:
        if target in spec.schemas:
            names = plan.request_names if key in sent else plan.response_names
            target = names[target]
        resolved.append((key, target))
    return plan, resolved


def _package_version(project: Project) -> str:
    """The version in pyproject.toml's [project] table: the SDK's User-Agent names it. (The generator runs
    where tomllib exists, but the type check targets Python 3.10, which lacks it: one key is read by hand.)"""
    text = (project.root / "pyproject.toml").read_text(encoding="utf-8")
    table = text.split("[project]", 1)[-1].split("\n[", 1)[0]
    for line in table.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "version":
            return value.strip().strip('"')
    raise IRError("pyproject.toml", "[project] has no version")


def signature_types(
    project: Project, spec: OpenAPIDocument | AsyncAPIDocument, plan: ModelPlan, family: Family = TRADE
) -> SignatureTypes:
    """Argument types for the methods over ``spec``'s models."""
    kind, module = (
        ("openapi", f"{family.package}.models")
        if isinstance(spec, OpenAPIDocument)
        else ("asyncapi", f"{family.package}.ws.models")
    )
    overrides = load_type_overrides(family.config(project.root), kind)
    return SignatureTypes(spec.schemas, plan.request_names, overrides, module)


def _import_lines(found: dict[str, set[str]]) -> list[tuple[str, list[str]]]:
    """``from module import names`` lines (``("builtins", "")`` is the template's ``import builtins``)."""
    return [(m, sorted(n - {""})) for m, n in sorted(found.items()) if n - {""}]


def _merged(*found: dict[str, set[str]]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for imports in found:
        for module, names in imports.items():
            result.setdefault(module, set()).update(names)
    return result


def _uses_builtins(imports: Iterable[Import]) -> bool:
    return ("builtins", "") in set(imports)


class Renderer:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(project.templates),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)


@dataclass
class Rendered:
    files: dict[str, str]  # relative path -> text, before formatting
    notes: list[str]  # what a maintainer should read: exclusions, fallback names, stale table entries

    @property
    def roots(self) -> list[str]:
        """The top-level directories written: the package and the reference (``docs``)."""
        return sorted({rel.split("/", 1)[0] for rel in self.files})


@dataclass
class FamilyRender:
    """One family's package: its files, notes, and the plans the trade family's extras (the fake exchange,
    the reference) are rendered from."""

    family: Family
    files: dict[str, str]
    notes: list[str]
    openapi: OpenAPIDocument
    asyncapi: AsyncAPIDocument
    rest_plan: ModelPlan
    ws_plan: ModelPlan
    registry: list[tuple[str, str]]
    client: ClientPlan
    ws: WsPlan
    config: OperationConfig
    specs: list[SpecInfo]


def render_family(project: Project, renderer: Renderer, family: Family) -> FamilyRender:
    """The models, resources, client, WebSocket session and spec record of one family's package."""
    root, folder = project.root, family.package_dir
    openapi = load_openapi(read_yaml(family.pinned(root, "openapi")))
    asyncapi = load_asyncapi(read_yaml(family.pinned(root, "asyncapi")))
    rest_info = _spec_info(project, "openapi", family.pinned(root, "openapi"))
    ws_info = _spec_info(project, "asyncapi", family.pinned(root, "asyncapi"))
    files: dict[str, str] = {}

    rest_plan = openapi_plan(project, openapi, family)
    files[f"{folder}/models.py"] = renderer.render(
        "models.py.j2",
        specs=[rest_info],
        docstring=f"Models of every component schema of {openapi.title} {openapi.version}.",
        code=rest_plan.code,
        exports=sorted(d.name for d in rest_plan.definitions),
        registry=None,
    )
    ws_plan, registry = asyncapi_plan(project, asyncapi, family)
    files[f"{folder}/ws/models.py"] = renderer.render(
        "models.py.j2",
        specs=[ws_info],
        docstring=f"Payload models of every message of {asyncapi.title} {asyncapi.version}.",
        code=ws_plan.code,
        exports=sorted([*(d.name for d in ws_plan.definitions), "MESSAGE_PAYLOADS"]),
        registry={
            "name": "MESSAGE_PAYLOADS",
            "entries": registry,
            "doc": "The payload type of each message, by the message's key in the AsyncAPI components.",
        },
    )
    config_dir = family.config(root)
    ws_types = signature_types(project, asyncapi, ws_plan, family)
    ws = plan_ws(asyncapi, ws_plan, config_dir / "channels.yaml", ws_types)
    files.update(_ws_files(renderer, family, ws, ws_types, [ws_info]))
    config = OperationConfig.load(config_dir)
    rest_types = signature_types(project, openapi, rest_plan, family)
    client = plan_client(openapi.operations, openapi.schemas, rest_plan, config, rest_types)
    files.update(_client_files(renderer, family, client, rest_types, [rest_info]))
    ws_servers = [f"{s.protocol}://{s.host}{s.pathname}" for s in asyncapi.servers]
    files[f"{folder}/_spec.py"] = renderer.render(
        "spec_info.py.j2",
        specs=[rest_info, ws_info],
        servers=[*openapi.servers, *ws_servers],
        package_version=_package_version(project),
    )
    notes = [
        f"left out {op.operation_id} ({op.method.upper()} {op.path}): {why}" for op, why in client.excluded
    ]
    notes += [f"no name in operations.yaml for {name}: used the fallback name" for name in client.fallbacks]
    notes += [f"operations.yaml names {name}, which this spec does not have" for name in client.unused_names]
    notes += [*openapi.notes, *asyncapi.notes]  # quirks of the specs the loader handled
    notes += rest_plan.stale + ws_plan.stale + rest_plan.notes + ws_plan.notes + ws.notes
    if family is not TRADE:
        notes = [f"{family.name}: {note}" for note in notes]
        files[f"{folder}/__init__.py"] = _family_init(renderer, family, [rest_info, ws_info])
    return FamilyRender(
        family, files, notes, openapi, asyncapi, rest_plan, ws_plan, registry, client, ws, config,
        [rest_info, ws_info],
    )  # fmt: skip


def _family_init(renderer: Renderer, family: Family, specs: list[SpecInfo]) -> str:
    """A family subpackage's ``__init__``: its clients, WebSocket client and model modules, loaded lazily."""
    package = family.package
    lazy: list[tuple[str, str | None]] = [(f"{package}.{name}", None) for name in ("models", "ws")]
    lazy += [(f"{package}.client", name) for name in (f"Async{family.client}", family.client)]
    lazy += [(f"{package}.ws.session", family.websocket)]
    return renderer.render(
        "root_init.py.j2",
        specs=specs,
        package=package,
        versions_from=f"{package}._spec",
        docstring=f"Typed client of {family.exchange} API, generated from its OpenAPI and AsyncAPI specs.",
        lazy=lazy,
        exports=sorted(
            [name or module.rsplit(".", 1)[-1] for module, name in lazy]
            + ["ASYNCAPI_VERSION", "OPENAPI_VERSION"]
        ),
    )


def render_package(project: Project) -> Rendered:
    """Every generated file, and the notes about choices the generator made."""
    renderer = Renderer(project)
    families = pinned_families(project.root)
    trade, *others = [render_family(project, renderer, family) for family in families]
    files = dict(trade.files)
    notes = list(trade.notes)
    for other in others:
        files.update(other.files)
        notes += other.notes
    specs = trade.specs
    clients = [(part.family, part.client) for part in (trade, *others)]
    files["kalshi_api/testing.py"] = _testing_file(renderer, clients, specs)
    core_exports = ["AsyncPage", "Count", "DecimalInputError", "Dollars", "Page", "PriceLevel", "RawResponse"]
    lazy: list[tuple[str, str | None]] = [("kalshi_api_core", name) for name in core_exports]
    lazy += [("kalshi_api_core.auth", "KalshiAuth")]
    lazy += [("kalshi_api_core.config", name) for name in ("DEMO", "PRODUCTION", "Environment")]
    # the real submodules, so ``import kalshi_api; kalshi_api.errors.KalshiError`` works too
    submodules = ["models", "ws", "testing", *(f.module.rsplit(".", 1)[-1] for f in FACADES)]
    submodules += [f.subdir for f in families[1:]]
    lazy += [(f"kalshi_api.{name}", None) for name in submodules]
    lazy += [("kalshi_api.client", name) for name in ("AsyncKalshiClient", "KalshiClient")]
    files["kalshi_api/__init__.py"] = renderer.render(
        "root_init.py.j2",
        specs=specs,
        package="kalshi_api",
        versions_from="kalshi_api._spec",
        docstring="Typed Python SDK for Kalshi's trading API, generated from its OpenAPI and AsyncAPI specs.",
        lazy=lazy,
        exports=sorted(
            [name or module.rsplit(".", 1)[-1] for module, name in lazy]
            + ["ASYNCAPI_VERSION", "OPENAPI_VERSION"]
        ),
    )
    files["kalshi_api/py.typed"] = renderer.render("py.typed.j2", specs=specs)
    files["kalshi_api/__main__.py"] = renderer.render("main.py.j2", specs=specs)
    files.update(_facade_files(renderer, project, specs))
    for part in (trade, *others):
        reference = ReferenceSources(
            part.client, part.rest_plan, part.openapi.schemas, part.config.excluded,
            part.ws, part.ws_plan, part.asyncapi, part.registry, part.specs[0], part.specs[1],
            part.family, [o.family for o in others] if part is trade else [],
        )  # fmt: skip
        files.update(reference_files(renderer, reference))
    return Rendered(files, notes)


def _ruff(project: Project, *args: str) -> None:
    # Always the project's config, so formatting a temporary tree gives the same bytes as the real one.
    command = [sys.executable, "-m", "ruff", *args, "--config", str(project.root / "pyproject.toml")]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def write_package(project: Project, out_dir: Path) -> Rendered:
    """Render, format and atomically put the package at ``out_dir/kalshi_api`` (and the reference at
    ``out_dir/docs``)."""
    rendered = render_package(project)
    files = rendered.files
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".regen-", dir=out_dir))
    try:
        for rel, text in files.items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        python_files = [str(staging / rel) for rel in sorted(files) if rel.endswith(".py")]
        # import order, __all__ order, and imports a template's output leaves unused
        _ruff(project, "check", "--fix", "--select", "I,RUF022,F401", "--quiet", *python_files)
        _ruff(project, "format", "--quiet", *python_files)
        for root in rendered.roots:
            target = out_dir / root
            previous = out_dir / f".{root}.previous"
            if previous.exists():
                shutil.rmtree(previous)
            if target.exists():
                os.replace(target, previous)
            os.replace(staging / root, target)
            if previous.exists():
                shutil.rmtree(previous)
        return rendered
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _resource_imports(
    resource: ResourcePlan, types: SignatureTypes
) -> tuple[list[tuple[str, list[str]]], bool]:
    """Exactly the names a resource module uses, each from where it is defined; and whether it uses
    ``builtins``."""
    paged = any(m.page_items for m in resource.methods)
    used: dict[str, set[str]] = {
        "kalshi_api_core.resources": {"SyncResource", "AsyncResource"},
        "kalshi_api_core.transport": {"Operation"},
        "kalshi_api_core.raw_response": {"RawResponse"},
        "collections.abc": {"Mapping"},
        **(
            {"kalshi_api_core.pagination": {"PageIterator", "AsyncPageIterator", "AsyncPage"}}
            if paged
            else {}
        ),
    }
    found: list[Import] = []
    for m in resource.methods:
        found += m.result_imports
        found += [i for a in m.path_args + m.query_args + m.body_args for i in a.imports]
        models = [n for n in (m.response_model, m.params_model, m.body_model, m.body_alias) if n]
        found += [i for n in models for i in types.model(n).imports]
        helpers = {"build_params": m.params_model, "build_body": m.body_model, "json_body": m.body_alias}
        used["kalshi_api_core.resources"] |= {name for name, needed in helpers.items() if needed}
        if m.body_model:  # keyword and request= overloads, and extra_body
            used.setdefault("typing", set()).update({"Any", "overload"})
    return _import_lines(_merged(used, imports_of([TypeExpr("", frozenset(found))]))), _uses_builtins(found)


def _resource_modules(resource: ResourcePlan) -> dict[str, list[str]]:
    """module suffix -> the resource classes it holds: the everyday ones, and the raw-response ones in a
    module of their own that only ``with_raw_response`` loads."""
    return {
        "": [resource.async_class_name, resource.class_name],
        "_raw": [resource.async_raw_class_name, resource.raw_class_name],
    }


def _client_files(
    renderer: Renderer,
    family: Family,
    client: ClientPlan,
    types: SignatureTypes,
    specs: list[SpecInfo],
) -> dict[str, str]:
    files: dict[str, str] = {}
    package, folder = family.package, family.package_dir
    for resource in client.resources:
        variants = [
            {"class_name": resource.class_name, "base": "SyncResource", "is_async": False, "def_": "def",
             "await_": "", "iterator": "PageIterator", "page": "Page", "raw": False},
            {"class_name": resource.async_class_name, "base": "AsyncResource", "is_async": True,
             "def_": "async def", "await_": "await ", "iterator": "AsyncPageIterator", "page": "AsyncPage",
             "raw": False},
            {"class_name": resource.raw_class_name, "base": "SyncResource", "is_async": False, "def_": "def",
             "await_": "", "iterator": "PageIterator", "page": "Page", "raw": True},
            {"class_name": resource.async_raw_class_name, "base": "AsyncResource", "is_async": True,
             "def_": "async def", "await_": "await ", "iterator": "AsyncPageIterator", "page": "AsyncPage",
             "raw": True},
        ]  # fmt: skip
        imports, uses_builtins = _resource_imports(resource, types)
        module = f"{package}.resources.{resource.attribute}"
        constants = sorted(m.constant for m in resource.methods)
        for suffix, raw in (("", False), ("_raw", True)):
            # ruff's F401 fix drops the imports a module doesn't use
            files[f"{folder}/resources/{resource.attribute}{suffix}.py"] = renderer.render(
                "resource.py.j2",
                specs=specs,
                resource=resource,
                variants=[v for v in variants if v["raw"] == raw],
                imports=[*imports, (module, constants)] if raw else imports,
                define_constants=not raw,
                uses_builtins=uses_builtins,
            )
    lazy = [
        (f"{package}.resources.{r.attribute}{suffix}", name)
        for r in client.resources
        for suffix, names in _resource_modules(r).items()
        for name in names
    ]
    files[f"{folder}/resources/__init__.py"] = renderer.render(
        "root_init.py.j2",
        specs=specs,
        package=f"{package}.resources",
        versions_from=None,
        docstring="One module per spec tag, each with a sync and an async resource class (the raw-response "
        "classes in `<tag>_raw`).",
        lazy=lazy,
        exports=sorted(name for _, name in lazy),
    )
    files[f"{folder}/client.py"] = renderer.render(
        "client.py.j2",
        specs=specs,
        family=family,
        resources=client.resources,
        excluded=client.excluded,
        variants=[
            {"client": family.client, "base": "SyncClientBase", "is_async": False, "prefix": ""},
            {
                "client": f"Async{family.client}",
                "base": "AsyncClientBase",
                "is_async": True,
                "prefix": "Async",
            },
        ],
    )
    return files


def _facade_files(renderer: Renderer, project: Project, specs: list[SpecInfo]) -> dict[str, str]:
    """The modules that only re-export hand-written names (``codegen.facades``)."""
    files = {}
    for facade in FACADES:
        imports = facade_imports(facade, project.hand_written)
        files[facade.path] = renderer.render(
            "package_init.py.j2",
            specs=specs,
            docstring=textwrap.fill(facade.docstring, width=104),  # the quotes keep it within 110
            import_lines=[f"from {module} import {', '.join(names)}" for module, names in imports],
            exports=sorted(name for _, names in imports for name in names),
        )
    return files


def _testing_file(renderer: Renderer, clients: list[tuple[Family, ClientPlan]], specs: list[SpecInfo]) -> str:
    """``kalshi_api.testing``: the fake exchange with the route table of every operation the clients have
    (the perps operations too: their paths are the trade API's neighbours under the same base URL)."""
    imports: dict[str, set[str]] = {
        "kalshi_api_app.testing.fake": {"FakeExchange"},
        "kalshi_api_app.testing.limits": {"RateLimits"},
        "kalshi_api_app.testing.records": {"DEFAULT_MARKETS", "MarketSpec"},
        "kalshi_api_app.testing.routes": {"Route"},
        "kalshi_api_app.testing.service": {"Call"},
    }
    routes: list[dict[str, Any]] = []
    for family, client in clients:
        _family_routes(family, client, routes, imports)
    return renderer.render(
        "testing.py.j2",
        specs=specs,
        routes=routes,
        imports=[(module, sorted(names)) for module, names in sorted(imports.items())],
    )


def _family_routes(
    family: Family, client: ClientPlan, routes: list[dict[str, Any]], imports: dict[str, set[str]]
) -> None:
    package = family.package
    # Another family's models may share names with the trade ones (CreateOrderGroupRequest): its module is
    # imported under its own name. (Operation ids, and so the constants, never repeat across families.)
    qualifier = f"{family.subdir}_models" if family.subdir else ""
    for resource in client.resources:
        for m in resource.methods:
            success = m.operation.success_responses
            models = {"params": m.params_model, "body": m.body_model or m.body_alias}
            if qualifier:
                imports.setdefault(package, set()).add(f"models as {qualifier}")
                models = {k: v and f"{qualifier}.{v}" for k, v in models.items()}
            else:
                imports.setdefault(f"{package}.models", set()).update(n for n in models.values() if n)
            routes.append(
                {"constant": m.constant, "status": int(success[0].status) if success else 200, **models}
            )
            imports.setdefault(f"{package}.resources.{resource.attribute}", set()).add(m.constant)


def _ws_files(
    renderer: Renderer, family: Family, ws: WsPlan, types: SignatureTypes, specs: list[SpecInfo]
) -> dict[str, str]:
    package, folder = family.package, family.package_dir
    files = {
        f"{folder}/ws/protocol.py": renderer.render(
            "ws_protocol.py.j2",
            specs=specs,
            package=package,
            channels=ws.channels,
            errors=ws.errors,
            data_models=ws.data_models,
        )
    }
    args = [a for c in ws.channels for a in c.params] + [a for u in ws.updates for a in u.params]
    found = [i for a in args for i in a.imports]
    models = [m for c in ws.channels for _, m in c.messages] + [ws.subscribe_params]
    found += [i for n in models + [u.params_model for u in ws.updates] for i in types.model(n).imports]
    fixed = {
        "kalshi_api_core.errors": {"ConfigurationError"},
        "kalshi_api_core.resources": {"build_params"},
        "kalshi_api_core.ws.channels": {"Overflow"},
        "kalshi_api_core.ws.engine": {"KalshiWebSocketBase", "Protocol", "Session"},
        "kalshi_api_core.ws.subscription": {"Subscription"},
        f"{package}.ws.protocol": {"PROTOCOL"},
        f"{package}._spec": {"SERVERS"},
        family.book_feed[0]: {family.book_feed[1]},
        **({"kalshi_api_core.config": {"Environment", "environments_for"}} if family.subdir else {}),
    }
    files[f"{folder}/ws/session.py"] = renderer.render(
        "ws_session.py.j2",
        specs=specs,
        family=family,
        channels=ws.channels,
        updates=ws.updates,
        subscribe_params=ws.subscribe_params,
        imports=_import_lines(_merged(fixed, imports_of([TypeExpr("", frozenset(found))]))),
        uses_builtins=_uses_builtins(found),
    )
    files[f"{folder}/ws/__init__.py"] = renderer.render(
        "package_init.py.j2",
        specs=specs,
        docstring=f"{family.exchange} WebSocket API: the client, its channels and the payload model of every "
        "message.",
        import_lines=[
            f"from {package}.ws import models",
            f"from {package}.ws.models import MESSAGE_PAYLOADS",
            f"from {package}.ws.protocol import CHANNELS, ERROR_CLASSES",
            f"from {package}.ws.session import {family.websocket}, {family.session}",
            *(f"from {module} import {', '.join(names)}" for module, names in family.books),
            "from kalshi_api_core.ws.errors import CommandError, CommandTimeoutError, ConnectError",
            "from kalshi_api_core.ws.errors import ConnectionLostError",
            "from kalshi_api_core.ws.errors import FrameDecodeError, ResubscribeError, WebSocketError",
            "from kalshi_api_core.ws.policy import ReconnectPolicy, ResubscribePolicy",
            "from kalshi_api_core.ws.subscription import Resync, Subscription, SubscriptionClosedError",
            "from kalshi_api_core.ws.subscription import SubscriptionOverflowError",
        ],
        exports=sorted(
            [
                "MESSAGE_PAYLOADS",
                "models",
                "CHANNELS",
                "ERROR_CLASSES",
                family.websocket,
                family.session,
                *(name for _, names in family.books for name in names),
                "CommandError",
                "CommandTimeoutError",
                "ConnectError",
                "ConnectionLostError",
                "FrameDecodeError",
                "ReconnectPolicy",
                "ResubscribeError",
                "ResubscribePolicy",
                "Resync",
                "Subscription",
                "SubscriptionClosedError",
                "SubscriptionOverflowError",
                "WebSocketError",
            ]
        ),
    )
    return files
