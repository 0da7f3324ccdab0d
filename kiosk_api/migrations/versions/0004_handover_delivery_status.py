"""handover delivery status (messenger status callbacks for the desk)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery_status",
                sa.Enum(
                    "sent",
                    "delivered",
                    "read",
                    "failed",
                    "held",
                    name="deliverystatus",
                    native_enum=False,
                    length=20,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("delivery_status_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("handovers", schema=None) as batch_op:
        batch_op.drop_column("delivery_status_at")
        batch_op.drop_column("delivery_status")
