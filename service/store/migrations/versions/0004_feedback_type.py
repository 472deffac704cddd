"""A handler's correction may name the third-level type of the standard taxonomy.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("type", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("type")
