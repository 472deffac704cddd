"""Case memory: replayable intake, area, flags and copy clusters on cases; copy bands, alerts, feedback.

Existing rows keep everything; new columns are nullable or get a default, and
`flags` is filled from each stored decision.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("intake", sa.JSON()))
        batch.add_column(sa.Column("area_county", sa.String(64)))
        batch.add_column(sa.Column("area_township", sa.String(64)))
        batch.add_column(sa.Column("area_village", sa.String(64)))
        batch.add_column(sa.Column("copy_cluster", sa.String(64)))
        batch.add_column(sa.Column("flags", sa.String(200), nullable=False, server_default=""))
        batch.create_index("ix_cases_copy_cluster", ["copy_cluster"])
        batch.create_index("ix_cases_township_category_received", ["area_township", "category", "received_at"])
        batch.create_index("ix_cases_village_category_received", ["area_village", "category", "received_at"])
        batch.create_index("ix_cases_petitioner_received", ["petitioner_key", "received_at"])
    cases = sa.table("cases", sa.column("case_id", sa.String), sa.column("decision", sa.JSON), sa.column("flags", sa.String))
    connection = op.get_bind()
    for case_id, decision in connection.execute(sa.select(cases.c.case_id, cases.c.decision)).all():
        codes = [flag["code"] for flag in (decision or {}).get("risk", {}).get("flags", [])]
        if codes:
            connection.execute(cases.update().where(cases.c.case_id == case_id).values(flags="," + ",".join(codes) + ","))

    op.create_table(
        "copy_bands",
        sa.Column("band", sa.String(48), primary_key=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("area", sa.String(200)),
        sa.Column("category", sa.String(32)),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("case_ids", sa.JSON(), nullable=False),
        sa.UniqueConstraint("key", name="uq_alerts_key"),
    )
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), sa.ForeignKey("cases.case_id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32)),
        sa.Column("subcategory", sa.String(32)),
        sa.Column("department", sa.String(64)),
        sa.Column("flags", sa.JSON()),
        sa.Column("note", sa.Text()),
    )
    op.create_index("ix_feedback_case_id", "feedback", ["case_id"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("alerts")
    op.drop_table("copy_bands")
    with op.batch_alter_table("cases") as batch:
        batch.drop_index("ix_cases_petitioner_received")
        batch.drop_index("ix_cases_village_category_received")
        batch.drop_index("ix_cases_township_category_received")
        batch.drop_index("ix_cases_copy_cluster")
        for column in ("flags", "copy_cluster", "area_village", "area_township", "area_county", "intake"):
            batch.drop_column(column)
