"""ORM tables. Petitioner identity is kept only as a keyed hash and a masked form."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class CaseRecord(Base):
    __tablename__ = "cases"

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    content: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(16))
    region: Mapped[dict | None] = mapped_column(JSON)
    intake: Mapped[dict | None] = mapped_column(JSON)  # headcount, visited level, age: what a replay needs
    petitioner_key: Mapped[str | None] = mapped_column(String(64), index=True)
    petitioner_masked: Mapped[dict | None] = mapped_column(JSON)
    category: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(8), index=True)
    model_version: Mapped[str] = mapped_column(String(64))
    rules_version: Mapped[str] = mapped_column(String(64))
    decision: Mapped[dict] = mapped_column(JSON)

    __table_args__ = (Index("ix_cases_category_received", "category", "received_at"),)
