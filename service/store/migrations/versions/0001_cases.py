"""Cases and their decisions (the schema the first release created).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("title", sa.String(200)),
        sa.Column("channel", sa.String(16)),
        sa.Column("region", sa.JSON()),
        sa.Column("petitioner_key", sa.String(64)),
        sa.Column("petitioner_masked", sa.JSON()),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("rules_version", sa.String(64), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
    )
    op.create_index("ix_cases_received_at", "cases", ["received_at"])
    op.create_index("ix_cases_petitioner_key", "cases", ["petitioner_key"])
    op.create_index("ix_cases_category", "cases", ["category"])
    op.create_index("ix_cases_level", "cases", ["level"])
    op.create_index("ix_cases_category_received", "cases", ["category", "received_at"])


def downgrade() -> None:
    op.drop_table("cases")
