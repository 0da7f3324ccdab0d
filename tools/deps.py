"""The hashed dependency locks in requirements/ and their audit (mk/deps.mk runs this).

`stamp` writes into each lock the sha256 of the spec it was compiled from; `check` fails when a spec
changed since, or when the kiosk API's torch is not the CPU build; `audit` runs pip-audit over every
lock, and an advisory fails it unless requirements/pip-audit-allowlist.toml says why it is accepted.
Standard library only (tomli below Python 3.11), so it runs in the small tools environment.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # a tools environment on Python 3.10: pip-audit brings tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements"
ALLOWLIST = REQUIREMENTS / "pip-audit-allowlist.toml"
ALLOWLIST_FIELDS = ("id", "package", "environment", "reason", "issue", "reviewed")
STAMP = re.compile(r"^# spec-sha256 of (?P<spec>\S+): (?P<digest>[0-9a-f]{64})$", re.MULTILINE)
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)", re.MULTILINE)
LOCAL_LABEL = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*==[^\s+;\\]+)\+[^\s;\\]+", re.MULTILINE)


@dataclass(frozen=True)
class Lock:
    environment: str
    path: Path
    spec: Path
    # Files besides the spec that shape the resolution (uv --overrides, --excludes).
    also: tuple[Path, ...] = ()

    @property
    def specs(self) -> tuple[Path, ...]:
        return (self.spec, *self.also)


# The tools lock first: it is the smallest, so a vulnerability service that gives no answer shows
# within seconds.
LOCKS = (
    Lock("tools", REQUIREMENTS / "tools.lock", REQUIREMENTS / "tools.txt"),
    Lock("kiosk-api", REQUIREMENTS / "kiosk-api.lock", ROOT / "pyproject.toml"),
    Lock(
        "bot",
        REQUIREMENTS / "bot.lock",
        ROOT / "bot" / "requirements.txt",
        also=(ROOT / "bot" / "overrides.txt", ROOT / "bot" / "excludes.txt"),
    ),
)
# Packages whose lock must hold the CPU build (docs/developing.md: never a CUDA torch).
CPU_BUILDS = {"kiosk-api": "torch"}


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    id: str
    aliases: frozenset[str]
    fix_versions: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class AuditResult:
    audited: int
    findings: tuple[Finding, ...]
    skipped: tuple[str, ...]  # packages the service had no answer for, with its reason
    no_answer: str | None  # set when the audit could not run at all


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def spec_digest(spec: Path) -> str:
    """sha256 of what a lock is compiled from: pyproject's dependency tables, or a requirements
    file's requirement lines (comments and blank lines do not count)."""
    if spec.suffix == ".toml":
        project = tomllib.loads(spec.read_text("utf-8"))["project"]
        keys = ("requires-python", "dependencies", "optional-dependencies")
        text = json.dumps({key: project.get(key) for key in keys}, sort_keys=True)
    else:
        lines = (line.split("#", 1)[0].strip() for line in spec.read_text("utf-8").splitlines())
        text = "\n".join(line for line in lines if line)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamps(lock: Lock) -> dict[str, str]:
    """What a lock made now would be stamped with: each spec file and its digest."""
    return {relative(spec): spec_digest(spec) for spec in lock.specs}


def stamp(lock: Lock) -> None:
    """Each spec file's digest goes right below uv's header, replacing older stamps."""
    lines = [line for line in lock.path.read_text("utf-8").splitlines() if not STAMP.match(line)]
    header_end = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    lines[header_end:header_end] = [
        f"# spec-sha256 of {spec}: {digest}" for spec, digest in stamps(lock).items()
    ]
    lock.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def lock_problems(lock: Lock) -> list[str]:
    """Why this lock cannot be installed as it stands; empty when it matches its spec."""
    if not lock.path.exists():
        return [f"{relative(lock.path)} is missing: run `make lock`"]
    text = lock.path.read_text("utf-8")
    found = {match["spec"]: match["digest"] for match in STAMP.finditer(text)}
    if not found:
        return [f"{relative(lock.path)} has no spec-sha256 line: run `make lock`"]
    changed = [spec for spec, digest in stamps(lock).items() if found.get(spec) != digest]
    if changed or set(found) - set(stamps(lock)):
        return [
            f"{', '.join(changed) or 'its specs'} changed since {relative(lock.path)} was made: "
            "run `make lock`"
        ]
    cpu_package = CPU_BUILDS.get(lock.environment)
    pins = {canonical(pin["name"]): pin["version"] for pin in PIN.finditer(text)}
    if cpu_package and not pins.get(cpu_package, "").endswith("+cpu"):
        return [f"{relative(lock.path)}: {cpu_package} is not pinned to its CPU build (+cpu)"]
    return []


def read_allowlist(path: Path) -> list[dict]:
    entries = tomllib.loads(path.read_text("utf-8")).get("advisory", [])
    for entry in entries:
        missing = [field for field in ALLOWLIST_FIELDS if not entry.get(field)]
        if missing:
            raise SystemExit(f"{relative(path)}: entry {entry.get('id')!r} lacks {missing}")
        if not isinstance(entry["reviewed"], datetime.date):
            raise SystemExit(f"{relative(path)}: {entry['id']}: `reviewed` must be a date")
        if entry["environment"] not in {lock.environment for lock in LOCKS}:
            raise SystemExit(f"{relative(path)}: {entry['id']}: unknown environment")
    return entries


def audit_lock(lock: Lock, pip_audit: str, service: str) -> AuditResult:
    """pip-audit over the lock's pins. Local version labels (torch's +cpu) are dropped: an advisory
    names the release, and the service knows no local builds."""
    text = LOCAL_LABEL.sub(r"\1", lock.path.read_text("utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.txt"
        report = Path(scratch) / "report.json"
        requirements.write_text(text, encoding="utf-8")
        command = [pip_audit, "-r", str(requirements), "--require-hashes", "--disable-pip"]
        command += ["--progress-spinner", "off", "-s", service, "-f", "json", "-o", str(report)]
        run = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if run.returncode not in (0, 1) or not report.exists():
            last_line = (run.stderr.strip().splitlines() or ["no output"])[-1]
            return AuditResult(0, (), (), f"pip-audit stopped with {run.returncode}: {last_line}")
        dependencies = json.loads(report.read_text("utf-8"))["dependencies"]
    skipped = tuple(dep["skip_reason"] for dep in dependencies if "skip_reason" in dep)
    if dependencies and len(skipped) == len(dependencies):
        return AuditResult(0, (), skipped, f"no answer for any of its {len(skipped)} packages")
    findings = tuple(
        Finding(
            package=canonical(dep["name"]),
            version=dep["version"],
            id=vuln["id"],
            aliases=frozenset(vuln.get("aliases", [])),
            fix_versions=tuple(vuln.get("fix_versions", [])),
            summary=" ".join((vuln.get("description") or "").split())[:120],
        )
        for dep in dependencies
        for vuln in dep.get("vulns", [])
    )
    return AuditResult(len(dependencies) - len(skipped), findings, skipped, None)


def allowing_entry(entries: list[dict], environment: str, finding: Finding) -> dict | None:
    """The allow-list entry that names this advisory (by its id or an alias) for this package and
    environment."""
    for entry in entries:
        if (
            entry["environment"] == environment
            and canonical(entry["package"]) == finding.package
            and entry["id"] in finding.aliases | {finding.id}
        ):
            return entry
    return None


def judge(environment: str, result: AuditResult, entries: list[dict], used: set) -> int:
    """Prints each finding with its verdict; returns how many fail (not allowed, or not audited)."""
    failures = 0
    for reason in result.skipped:
        print(f"{environment}: FAILED, a package was not audited: {reason}")
        failures += 1
    for finding in result.findings:
        entry = allowing_entry(entries, environment, finding)
        where = f"{finding.package} {finding.version} {finding.id}"
        if entry is None:
            fixed = ", ".join(finding.fix_versions) or "no release yet"
            print(
                f"{environment}: FAILED, not in the allow-list: {where} (fixed in {fixed}): "
                f"{finding.summary}"
            )
            failures += 1
        else:
            used.add((entry["environment"], entry["id"]))
            print(f"{environment}: allowed {where} (issue {entry['issue']}): {entry['reason']}")
    print(f"{environment}: {result.audited} packages audited, {len(result.findings)} advisories")
    return failures


def audit(pip_audit: str, service: str, required: bool) -> int:
    entries = read_allowlist(ALLOWLIST)
    used: set[tuple[str, str]] = set()
    failures = 0
    audited: list[str] = []
    no_answer: str | None = None
    for lock in LOCKS:
        if no_answer is not None:
            print(f"{lock.environment}: NOT AUDITED (the same service gave no answer above)")
            continue
        result = audit_lock(lock, pip_audit, service)
        if result.no_answer is not None:
            no_answer = f"{lock.environment}: {result.no_answer}"
            example = f' ("{result.skipped[0]}")' if result.skipped else ""
            print(f"{lock.environment}: NOT AUDITED: {result.no_answer}{example}")
            continue
        audited.append(lock.environment)
        failures += judge(lock.environment, result, entries, used)
    for entry in entries:
        if entry["environment"] in audited and (entry["environment"], entry["id"]) not in used:
            print(
                f"allow-list: {entry['id']} ({entry['package']}, {entry['environment']}) "
                "matched no finding: remove the entry if the advisory no longer applies"
            )
    if no_answer is not None:
        print(
            f"\n*** The dependency audit could NOT run: the '{service}' vulnerability service "
            f"gave no answer ({no_answer}).\n*** Nothing above that says NOT AUDITED was "
            "checked. DEPS_AUDIT_REQUIRED=1 turns this into a failure.\n"
        )
        failures += 1 if required else 0
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("stamp", help="write each spec's sha256 into its lock")
    commands.add_parser("check", help="fail when a lock no longer matches its spec")
    audit_parser = commands.add_parser(
        "audit", help="pip-audit over every lock, with the allow-list"
    )
    audit_parser.add_argument("--pip-audit", default="pip-audit")
    audit_parser.add_argument("--service", choices=("pypi", "osv"), default="pypi")
    audit_parser.add_argument("--required", action="store_true", help="fail when it cannot run")
    args = parser.parse_args()
    if args.command == "stamp":
        for lock in LOCKS:
            stamp(lock)
    if args.command in ("stamp", "check"):
        problems = [problem for lock in LOCKS for problem in lock_problems(lock)]
        for problem in problems:
            print(problem)
        if not problems:
            print(f"locks: {len(LOCKS)} match their specs")
        return 1 if problems else 0
    return audit(args.pip_audit, args.service, args.required)


if __name__ == "__main__":
    sys.exit(main())
