"""An alert's kind is the id of the rule that raised it (any rule, since alerts are a rule action): 64 characters, as rule ids.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("kind", type_=sa.String(64), existing_type=sa.String(32))


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.alter_column("kind", type_=sa.String(32), existing_type=sa.String(64))
