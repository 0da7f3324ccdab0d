"""many sites in one deployment: staff belong to sites, site addresses, the area table

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("street", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("postcode", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("city", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    op.create_table(
        "staff_sites",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_staff_sites_site_id_sites"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_sites_staff_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("staff_id", "site_id", name=op.f("pk_staff_sites")),
    )
    with op.batch_alter_table("staff_sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_sites_site_id"), ["site_id"], unique=False)
    # Every account keeps the one site it had. Read first: SQLite's batch mode rebuilds
    # staff_users, and dropping the old table would cascade to rows already in staff_sites.
    connection = op.get_bind()
    memberships = [
        {"staff_id": staff_id, "site_id": site_id}
        for staff_id, site_id in connection.execute(sa.text("SELECT id, site_id FROM staff_users"))
    ]
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_users_site_id"))
        batch_op.drop_constraint(batch_op.f("fk_staff_users_site_id_sites"), type_="foreignkey")
        batch_op.drop_column("site_id")
    if memberships:
        connection.execute(
            sa.text("INSERT INTO staff_sites (staff_id, site_id) VALUES (:staff_id, :site_id)"),
            memberships,
        )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_site_id"), ["site_id"], unique=False)
    op.create_table(
        "service_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("postcode_from", sa.String(length=5), nullable=True),
        sa.Column("postcode_to", sa.String(length=5), nullable=True),
        sa.Column("municipality", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["sites.id"],
            name=op.f("fk_service_areas_site_id_sites"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_areas")),
    )
    with op.batch_alter_table("service_areas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_areas_site_id"), ["site_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_service_areas_postcode_from"), ["postcode_from"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_areas_municipality"), ["municipality"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("service_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_areas_municipality"))
        batch_op.drop_index(batch_op.f("ix_service_areas_postcode_from"))
        batch_op.drop_index(batch_op.f("ix_service_areas_site_id"))
    op.drop_table("service_areas")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_site_id"))
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site_id", sa.Integer(), nullable=True))
    # an account of several sites keeps the first; a deployment admin's goes to the first site
    op.execute(
        "UPDATE staff_users SET site_id = COALESCE("
        "(SELECT MIN(site_id) FROM staff_sites WHERE staff_sites.staff_id = staff_users.id),"
        " (SELECT MIN(id) FROM sites))"
    )
    op.execute("DELETE FROM staff_users WHERE site_id IS NULL")
    op.execute("UPDATE staff_users SET role = 'admin' WHERE role = 'deployment_admin'")
    with op.batch_alter_table("staff_users", schema=None) as batch_op:
        batch_op.alter_column("site_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_staff_users_site_id_sites"),
            "sites",
            ["site_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_staff_users_site_id"), ["site_id"], unique=False)
    with op.batch_alter_table("staff_sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sites_site_id"))
    op.drop_table("staff_sites")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("active")
        batch_op.drop_column("phone")
        batch_op.drop_column("city")
        batch_op.drop_column("postcode")
        batch_op.drop_column("street")
