"""More sites and their staff in a running web test server's database: a copy of
sites/dortmund/site.yml under another code, so the tests depend on no other example site.

Run in its own process with the server's LOTSE_DATABASE_URL (harness.WebServer.add_site):
`python -m tests.web.sites --site CODE:NAME --staff USER:ROLE:PASSWORD:SITE,SITE`."""

from __future__ import annotations

import argparse

from sqlalchemy import select

from kiosk_api.config import get_settings
from kiosk_api.models import ServiceArea, Site
from kiosk_api.models.enums import StaffRole
from kiosk_api.sites.service import apply_site, read_site_file
from tests.support.seeding import add_staff, default_site

TEMPLATE = "dortmund"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site", action="append", default=[], metavar="CODE:NAME")
    parser.add_argument("--staff", action="append", default=[], metavar="USER:ROLE:PASSWORD:SITES")
    parser.add_argument("--area", action="append", default=[], metavar="SITE:POSTCODE")
    args = parser.parse_args()

    from kiosk_api.db import get_engine, session_scope

    settings = get_settings()
    template = read_site_file(settings.sites_dir, TEMPLATE)
    with session_scope(write=True) as session:
        for spec in args.site:
            code, name = spec.split(":", 1)
            # the copy has no folder of its own: it routes by the template's rules
            rules = settings.sites_dir / TEMPLATE / template.routing_rules
            apply_site(
                session=session,
                config=template.model_copy(
                    update={"code": code, "name": name, "routing_rules": str(rules.resolve())}
                ),
            )
        for spec in args.staff:
            username, role, password, codes = spec.split(":", 3)
            staff = add_staff(
                session, site=default_site(session), username=username, role=role, password=password
            )
            wanted = [code for code in codes.split(",") if code]
            staff.sites = (
                []
                if staff.role is StaffRole.deployment_admin
                else list(session.scalars(select(Site).where(Site.code.in_(wanted))))
            )
            session.flush()
        for spec in args.area:
            code, postcode = spec.split(":", 1)
            site = session.scalars(select(Site).where(Site.code == code)).one()
            session.add(ServiceArea(site_id=site.id, postcode_from=postcode, postcode_to=postcode))
    get_engine().dispose()


if __name__ == "__main__":
    main()
