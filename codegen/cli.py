"""Command line of the generator: ``python -m codegen specs|regen|check-regen``."""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from codegen import drift, spec
from codegen.families import FAMILIES, TRADE, Family, pinned_families
from codegen.ir import IRError
from codegen.render import Project, write_package

ROOT = Path(__file__).resolve().parent.parent


def _family_locations(source: str, families: Iterable[Family]) -> list[tuple[Family, dict[str, str]]]:
    """(family, its spec locations by kind) for each family ``source`` has (``drift.new_locations``): a
    source without a family's part skips that family, loudly; a single file is a trade spec of its kind."""
    found = []
    for family in families:
        locations = drift.new_locations(source, family)
        if not locations:
            print(f"note: {source} has no {family.name} specs ({family.subdir}/): kept the pinned ones")
            continue
        found.append((family, locations))
    return found


def _specs(args: argparse.Namespace, project: Project) -> int:
    source = args.source or spec.default_source(project.root)
    for family, locations in _family_locations(source, FAMILIES):
        for kind, location in locations.items():
            pinned = spec.pin(location, kind, family.pinned_dir(project.root, kind))
            lock = pinned.lock
            written = family.pinned(project.root, kind).relative_to(project.root).as_posix()
            print(f"{written}: {lock['title']} {lock['version']} sha256 {lock['sha256']}")
            for note in pinned.notes:
                print(f"note: {note}")
    return 0


def _regen(args: argparse.Namespace, project: Project) -> int:
    started = time.perf_counter()
    rendered = write_package(project, Path(args.out) if args.out else project.generated)
    for note in rendered.notes:
        print(f"note: {note}")
    print(f"regen: {len(rendered.files)} files in {time.perf_counter() - started:.2f}s")
    return 0


def _bump(args: argparse.Namespace, project: Project) -> int:
    """A spec bump as one step: the drift report, the new pinned specs, a regen, and CHANGES.md.
    ``--openapi``/``--asyncapi`` name single files of the trade family; a source directory or URL base
    bumps every family it has."""
    source = args.source or spec.default_source(project.root)
    new = drift.new_locations(source)
    for kind, given in (("openapi", args.openapi), ("asyncapi", args.asyncapi)):
        if given:
            new[kind] = given
    bumps = {TRADE: new}
    for family in pinned_families(project.root)[1:]:
        bumps[family] = drift.new_locations(source, family)  # none from a single file
    reports = {family: drift.report_for(found, family) for family, found in bumps.items() if found}
    report = drift.merged(reports)
    pinned = [
        family.pinned_dir(project.root, kind) / name
        for family, found in bumps.items()
        for kind in found
        for name in (spec.SPEC_FILES[kind], "spec.lock")
    ]
    before = {path: path.read_bytes() for path in pinned}
    try:
        for family, found in bumps.items():
            for kind, location in sorted(found.items()):
                spec.write_pinned(location, kind, family.pinned_dir(project.root, kind))
        rendered = write_package(project, project.generated)
    except BaseException:
        for path, data in before.items():  # a failed bump leaves the pins as they were
            path.write_bytes(data)
        raise
    changes = project.root / "openapi" / "CHANGES.md"
    previous = changes.read_text(encoding="utf-8") if changes.exists() else ""
    entry = report.markdown().rstrip() + "\n"
    changes.write_text(entry + ("\n---\n\n" + previous if previous else ""), encoding="utf-8")
    print(report.markdown())
    for note in rendered.notes:
        print(f"note: {note}")
    breaking, additive = report.counts()
    where = changes.relative_to(project.root)
    print(f"bump: {breaking} breaking, {additive} additive changes; report prepended to {where}")
    return 0


def _check_upstream(args: argparse.Namespace, project: Project) -> int:
    """Fail, with the drift report, when a pinned spec's lock no longer matches the upstream file."""
    source = args.source or spec.default_source(project.root)
    stale: dict[Family, dict[str, str]] = {}
    for family, locations in _family_locations(source, pinned_families(project.root)):
        for kind, location in locations.items():
            lock = spec.read_lock(family.pinned_dir(project.root, kind) / "spec.lock")
            upstream = hashlib.sha256(spec.read_upstream(location)).hexdigest()
            if upstream != lock["sha256"]:
                stale.setdefault(family, {})[kind] = location
                label = f"{family.subdir}/{kind}" if family.subdir else kind
                print(
                    f"{label}: pinned sha256 {lock['sha256']} but {location} has {upstream}", file=sys.stderr
                )
    if not stale:
        print(f"pinned specs match {source}")
        return 0
    reports = {family: drift.report_for(found, family) for family, found in stale.items()}
    print(drift.merged(reports).markdown(), file=sys.stderr)
    print("The upstream spec changed: review the report above, then `make bump`.", file=sys.stderr)
    return 1


def tree_differences(expected: Path, actual: Path) -> list[str]:
    """Relative paths that differ between two trees (missing on either side, or different bytes)."""
    differences: list[str] = []

    def walk(cmp: filecmp.dircmp[str], prefix: str) -> None:
        differences.extend(f"{prefix}{n} (only in fresh regen)" for n in cmp.left_only)
        differences.extend(f"{prefix}{n} (not produced by regen)" for n in cmp.right_only)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        differences.extend(f"{prefix}{n} (differs)" for n in mismatch + errors)
        for name, sub in sorted(cmp.subdirs.items()):
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(expected, actual, ignore=["__pycache__"]), "")
    return sorted(differences)


def _check_regen(args: argparse.Namespace, project: Project) -> int:
    differences: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for root in write_package(project, Path(tmp)).roots:  # the package and the reference
            committed = project.generated / root
            if not committed.is_dir():
                print(f"generated/{root} is missing: run `make regen`", file=sys.stderr)
                return 1
            differences += [f"{root}/{line}" for line in tree_differences(Path(tmp) / root, committed)]
    if differences:
        print("generated/ differs from a fresh `make regen`:", file=sys.stderr)
        for line in differences:
            print(f"  generated/{line}", file=sys.stderr)
        print("Run `make regen` and commit the result.", file=sys.stderr)
        return 1
    print("generated/ matches a fresh regen")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen")
    commands = parser.add_subparsers(dest="command", required=True)
    specs = commands.add_parser("specs", help="normalize the upstream specs into openapi/ and asyncapi/")
    specs.add_argument(
        "--source", help="directory, URL base or file (default: ../shared/specs, else docs.kalshi.com)"
    )
    regen = commands.add_parser(
        "regen", help="regenerate generated/kalshi_api and generated/docs from the pinned specs"
    )
    regen.add_argument("--out", help="write the package and docs under this directory instead of generated/")
    commands.add_parser("check-regen", help="fail when generated/ differs from a fresh regen")
    bump = commands.add_parser(
        "bump", help="specs from a new source + regen + drift report in openapi/CHANGES.md"
    )
    bump.add_argument("--source", help="directory, URL base or single spec file (default: as `specs`)")
    bump.add_argument("--openapi", help="the new OpenAPI file or URL (overrides --source for it)")
    bump.add_argument("--asyncapi", help="the new AsyncAPI file or URL (overrides --source for it)")
    upstream = commands.add_parser("check-upstream", help="fail when the pinned locks differ from upstream")
    upstream.add_argument("--source", help="directory or URL base (default: as `specs`)")
    args = parser.parse_args(argv)
    project = Project(ROOT)
    os.chdir(project.root)  # relative sources (and the lock's record of them) are relative to the project
    handlers = {
        "specs": _specs,
        "regen": _regen,
        "check-regen": _check_regen,
        "bump": _bump,
        "check-upstream": _check_upstream,
    }
    try:
        return handlers[args.command](args, project)
    except (spec.SpecError, IRError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
