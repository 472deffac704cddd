"""Personal data out of stored text; a fingerprint per case so a reused case_id is told from a retry.

Each stored case gets the fingerprint of what was sent (computed from the row,
which still holds the raw text), then its title, text and region names are
redacted with the redactor of this release (phone numbers, ID numbers, names).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from service.privacy import redact
from service.store.fingerprint import request_fingerprint

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("request_hash", sa.String(64)))
    cases = sa.table("cases", sa.column("case_id", sa.String), sa.column("content", sa.Text),
                     sa.column("title", sa.String), sa.column("channel", sa.String), sa.column("region", sa.JSON),
                     sa.column("intake", sa.JSON), sa.column("petitioner_key", sa.String),
                     sa.column("request_hash", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(cases.c.case_id, cases.c.content, cases.c.title, cases.c.channel,
                                        cases.c.region, cases.c.intake, cases.c.petitioner_key)).all()
    for row in rows:
        fingerprint = request_fingerprint(content=row.content, title=row.title, channel=row.channel, region=row.region,
                                          intake=row.intake, petitioner_key=row.petitioner_key)
        region = {k: redact(v) if isinstance(v, str) else v for k, v in (row.region or {}).items()} or None
        connection.execute(cases.update().where(cases.c.case_id == row.case_id).values(
            request_hash=fingerprint, content=redact(row.content), title=redact(row.title) if row.title else None,
            region=region))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("request_hash")
