"""ORM tables. Petitioner identity is kept only as a keyed hash and a masked form.

The schema is owned by the Alembic migrations in `service/store/migrations/`;
these classes must match the newest one (a test compares them).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """Timestamps stored as UTC and read back with their offset, on every backend.

    SQLite keeps no offset: without this, a case read back from SQLite came out
    as a naive UTC time, 8 hours off for a client that reads it as Shanghai time,
    and `since`/`until` filters compared local times with UTC ones.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime reached the store; give it an offset")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime}


class CaseRecord(Base):
    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    stored_at: Mapped[dt.datetime]
    content: Mapped[str] = mapped_column(Text)  # redacted: phone, ID numbers and names masked
    request_hash: Mapped[str | None] = mapped_column(String(64))  # what was sent, to tell a retry from a clash
    title: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(16))
    region: Mapped[dict | None] = mapped_column(JSON)
    intake: Mapped[dict | None] = mapped_column(JSON)  # headcount, visited level, age: what a replay needs
    petitioner_key: Mapped[str | None] = mapped_column(String(64), index=True)
    petitioner_masked: Mapped[dict | None] = mapped_column(JSON)
    area_county: Mapped[str | None] = mapped_column(String(64))
    area_township: Mapped[str | None] = mapped_column(String(64))
    area_village: Mapped[str | None] = mapped_column(String(64))
    copy_cluster: Mapped[str | None] = mapped_column(String(64), index=True)  # case_id of the first copy
    category: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(8), index=True)
    flags: Mapped[str] = mapped_column(String(200), default="")  # ",collective,repeat," for LIKE filters
    model_version: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(64))
    decision: Mapped[dict] = mapped_column(JSON)
    history: Mapped[dict | None] = mapped_column(JSON)  # the history facts it was decided with (None before 0005)

    __table_args__ = (
        Index("ix_cases_category_received", "category", "received_at"),
        Index("ix_cases_township_category_received", "area_township", "category", "received_at"),
        Index("ix_cases_village_category_received", "area_village", "category", "received_at"),
        Index("ix_cases_petitioner_received", "petitioner_key", "received_at"),
    )


class CopyBand(Base):
    """One locality-sensitive-hashing band of a case's text signature: equal bands = candidate copies."""

    __tablename__ = "copy_bands"

    band: Mapped[str] = mapped_column(String(48), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id", ondelete="CASCADE"), primary_key=True)


class AlertRecord(Base):
    """A cluster that crossed a threshold: recorded once per cluster, its case list kept current."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))  # the id of the rule that raised it (ids are at most 64)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    updated_at: Mapped[dt.datetime]
    area: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    case_ids: Mapped[list] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("key", name="uq_alerts_key"),)


class FeedbackRecord(Base):
    """A handler's correction of a decision, with who and when."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.case_id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime]
    by: Mapped[str] = mapped_column(String(64))
    category: Mapped[str | None] = mapped_column(String(32))
    subcategory: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str | None] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(64))
    flags: Mapped[list | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
