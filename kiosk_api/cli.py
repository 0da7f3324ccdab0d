"""`lotse`: operate the kiosk API (migrations, site set-up, slots, staff, retention,
translations, server)."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import secrets
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path

from sqlalchemy import select

from kiosk_api import clock
from kiosk_api.config import PROJECT_ROOT, get_settings
from kiosk_api.db import get_engine, session_scope
from kiosk_api.errors import LotseError

log = logging.getLogger("lotse")


def migrate(_: argparse.Namespace) -> None:
    from alembic import command

    from kiosk_api.migrations import alembic_config

    url = get_settings().database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # not begun: the migrations open (and on SQLite, with foreign keys off, check) their own
    with get_engine().connect() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    print("database at the newest schema")


def write_secret_file(path: Path, content: str) -> None:
    """`content` in `path`, readable by this user only from its first byte on: the folder is made
    0700, the file created 0600 with O_EXCL under a temporary name (never an existing file or
    link), then moved into place."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sites_to_apply(sites_dir: Path, only: list[str] | None) -> list[str]:
    from kiosk_api.sites.service import site_codes

    codes = site_codes(sites_dir)
    if not codes:
        sys.exit(f"no site: {sites_dir} has no <site>/site.yml")
    unknown = sorted(set(only or []) - set(codes))
    if unknown:
        sys.exit(f"no such site in {sites_dir}: {', '.join(unknown)}")
    return [code for code in codes if not only or code in only]


def init(args: argparse.Namespace) -> None:
    """Idempotent first-run set-up: schema, every site under sites/, the area table, a first admin,
    slots for the coming days."""
    from kiosk_api.sites.service import (
        apply_areas,
        apply_site,
        plan_slots,
        read_area_file,
        read_site_file,
    )
    from kiosk_api.staff.service import ensure_admin

    migrate(args)
    settings = get_settings()
    password = os.environ.get("LOTSE_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    with session_scope(write=True) as session:
        for code in _sites_to_apply(settings.sites_dir, args.site):
            config = read_site_file(settings.sites_dir, code)
            site, created = apply_site(session=session, config=config)
            print(f"site {site.code}: {'created' if created else 'already set up'}")
            _, created_admin = ensure_admin(
                session=session, site=site, username="admin", password=password
            )
            if created_admin:
                if "LOTSE_ADMIN_PASSWORD" not in os.environ:
                    secret_file = PROJECT_ROOT / "var" / "admin-password.txt"
                    write_secret_file(secret_file, password + "\n")
                    print(f"first admin: user 'admin', password written to {secret_file}")
                else:
                    print("first admin: user 'admin', password from LOTSE_ADMIN_PASSWORD")
            today = clock.today_in(site.timezone)
            count = plan_slots(
                session=session, site=site, plan=config.slots, start=today, days=args.days
            )
            print(f"slots of {site.code}: {count} new for the next {args.days} days")
        areas = read_area_file(settings.sites_dir)
        if areas is not None:
            print(f"area table: {apply_areas(session=session, areas=areas)} lines")


def generate_slots(args: argparse.Namespace) -> None:
    from kiosk_api.models import Site
    from kiosk_api.sites.service import plan_slots, read_site_file

    settings = get_settings()
    with session_scope(write=True) as session:
        for code in _sites_to_apply(settings.sites_dir, args.site):
            config = read_site_file(settings.sites_dir, code)
            site = session.scalar(select(Site).where(Site.code == code))
            if site is None:
                sys.exit(f"site {code} not set up: run `lotse init` first")
            start = date.fromisoformat(args.start) if args.start else clock.today_in(site.timezone)
            new_slots = plan_slots(
                session=session, site=site, plan=config.slots, start=start, days=args.days
            )
            print(f"slots of {code}: {new_slots} new")


def create_staff(args: argparse.Namespace) -> None:
    from kiosk_api.models import Site
    from kiosk_api.models.enums import StaffRole
    from kiosk_api.sites.access import default_site
    from kiosk_api.staff.schemas import StaffCreate
    from kiosk_api.staff.service import create_staff as create

    password = (
        sys.stdin.readline().rstrip("\n")
        if args.password_stdin
        else getpass.getpass("password (12+ characters): ")
    )
    with session_scope(write=True) as session:
        if args.site:
            sites = list(session.scalars(select(Site).where(Site.code.in_(args.site))))
            if len(sites) != len(set(args.site)):
                sys.exit("site not set up: run `lotse init` first, or check the site codes")
        else:
            try:
                sites = [default_site(session, get_settings().default_site)]
            except LotseError:
                sys.exit("which site? name it with --site CODE (repeat for several)")
        staff = create(
            session=session,
            site=sites[0],
            payload=StaffCreate(
                username=args.username,
                display_name=args.name or args.username,
                role=StaffRole(args.role),
                password=password,
            ),
            actor_id=None,
        )
        if staff.role is not StaffRole.deployment_admin:
            staff.sites = sites
        names = ", ".join(site.code for site in staff.sites) or "all sites, no records"
        print(f"staff user {staff.username} ({staff.role.value}) created: {names}")


def device_code(args: argparse.Namespace) -> None:
    """A one-time enrolment code for a kiosk or call display of a site, as the admin page makes."""
    from kiosk_api.devices.schemas import DeviceCreate
    from kiosk_api.devices.service import create_device
    from kiosk_api.sites.access import site_by_code

    with session_scope(write=True) as session:
        try:
            site = site_by_code(session, args.site, active_only=True)
        except LotseError:
            sys.exit(f"no active site {args.site}: run `lotse init` first, or check the code")
        made = create_device(
            session=session,
            site=site,
            payload=DeviceCreate(name=args.name, kind=args.kind),
            actor_id=None,
        )
    print(
        f"{args.kind} '{args.name}' of {site.code}: enrolment code {made.enrolment_code_display}"
        f" (valid until {made.expires_at:%Y-%m-%d %H:%M} UTC, once)"
    )


def purge(args: argparse.Namespace) -> None:
    from kiosk_api.models import utcnow
    from kiosk_api.retention.service import purge as run_purge

    with session_scope(write=True) as session:
        report = run_purge(session=session, now=utcnow(), dry_run=args.dry_run)
    print(json.dumps({"dry_run": args.dry_run, **asdict(report)}))


def translations_install(args: argparse.Namespace) -> None:
    from kiosk_api.translation.provider import PackageInstallError
    from kiosk_api.translation.service import install_packages

    try:
        pairs = install_packages(Path(args.path))
    except (PackageInstallError, FileNotFoundError) as error:
        sys.exit(f"not installed: {error}")
    for pair in pairs:
        print(f"installed {pair.model_dump_json()}")


def translations_list(_: argparse.Namespace) -> None:
    from kiosk_api.translation.service import installed_pairs

    for pair in installed_pairs():
        print(pair.model_dump_json())


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "kiosk_api.main:app",
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        access_log=False,
        log_level="info",
        proxy_headers=False,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lotse", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="upgrade the database to the newest schema").set_defaults(
        func=migrate
    )
    init_parser = commands.add_parser("init", help="first-run set-up (idempotent)")
    init_parser.add_argument("--days", type=int, default=14)
    init_parser.add_argument("--site", action="append", help="only this site (repeatable)")
    init_parser.set_defaults(func=init)
    seed = commands.add_parser("seed-demo", help="same as init")
    seed.add_argument("--days", type=int, default=14)
    seed.add_argument("--site", action="append", help="only this site (repeatable)")
    seed.set_defaults(func=init)
    slots = commands.add_parser("slots", help="appointment slots").add_subparsers(
        dest="slots_command", required=True
    )
    slots_generate = slots.add_parser(
        "generate", help="slots for the coming days from the site's plan"
    )
    slots_generate.add_argument("--days", type=int, default=14)
    slots_generate.add_argument("--start", help="first day, YYYY-MM-DD (default today)")
    slots_generate.add_argument("--site", action="append", help="only this site (repeatable)")
    slots_generate.set_defaults(func=generate_slots)
    staff = commands.add_parser("staff", help="staff accounts").add_subparsers(
        dest="staff_command", required=True
    )
    staff_create = staff.add_parser("create")
    staff_create.add_argument("username")
    staff_create.add_argument(
        "--role", choices=["desk", "caseworker", "admin", "deployment_admin"], default="desk"
    )
    staff_create.add_argument("--site", action="append", help="a site it works for (repeatable)")
    staff_create.add_argument("--name")
    staff_create.add_argument("--password-stdin", action="store_true")
    staff_create.set_defaults(func=create_staff)
    devices = commands.add_parser("devices", help="kiosks and call displays").add_subparsers(
        dest="devices_command", required=True
    )
    code_parser = devices.add_parser("code", help="a one-time enrolment code for a device")
    code_parser.add_argument("--site", required=True)
    code_parser.add_argument("--kind", choices=["kiosk", "display"], default="kiosk")
    code_parser.add_argument("--name", default="Kiosk")
    code_parser.set_defaults(func=device_code)
    purge_parser = commands.add_parser(
        "purge", help="erase records past the retention period (cron-safe)"
    )
    purge_parser.add_argument("--dry-run", action="store_true")
    purge_parser.set_defaults(func=purge)
    translations = commands.add_parser(
        "translations", help="offline machine translation packages"
    ).add_subparsers(dest="translations_command", required=True)
    install = translations.add_parser(
        "install", help="install .argosmodel files from a file or directory"
    )
    install.add_argument("path")
    install.set_defaults(func=translations_install)
    translations.add_parser("list", help="installed language pairs").set_defaults(
        func=translations_list
    )
    serve_parser = commands.add_parser("serve", help="run the kiosk API")
    serve_parser.add_argument("--workers", type=int, default=1)
    serve_parser.set_defaults(func=serve)
    return parser


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
