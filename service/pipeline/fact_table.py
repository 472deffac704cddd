"""Every fact the rules may read: one table, from which the rest is made.

A fact is declared once, here, with its type, its default, the stage that
produces it and what it means. From this table come the typed fact model the
engine's input is validated with (`facts.FactSchema`), the history facts the
store's unit of work fills (`history.History`), the stage outputs a rule may
read only after the stage that sets them (the loader's readability check), and
the list of facts in rules/README.md (`triage rules facts`, kept current by a
test). A rulebook adds families of its own (a fact per lexicon signal, per flag,
per text test); they are declared here too, as patterns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, create_model

Scalar = bool | int | float | str
Source = Literal["intake", "classifier", "text", "model", "store", "rules"]
REQUIRED = object()  # a fact with no default: every case must have it


@dataclass(frozen=True)
class Fact:
    name: str
    type: type
    default: Any
    source: Source
    doc: str


FACTS: tuple[Fact, ...] = (
    Fact("channel", str, "", "intake", "letter, visit, online, phone or hotline; \"\" when not sent"),
    Fact("visited_level", str, "", "intake", "where the case was lodged: village … province, national"),
    Fact("visited_rank", int, 0, "intake", "rank of `visited_level`: village 1 … province 5, national 6"),
    Fact("petitioner_age", int, 0, "intake", "the petitioner's age; 0 when not sent"),
    Fact("region_code", str, "", "intake", "行政区划代码 of the intake region"),
    Fact("sensitive_period", str, "", "intake", "the sensitive period of the arrival day (`calendar.yaml`)"),
    Fact("headcount", int, 1, "intake", "people: the intake's headcount, or a larger number the text states"),
    Fact("headcount_from_field", bool, False, "intake", "the headcount is the intake's field, not the text's"),
    Fact("headcount_evidence", str, "", "intake", "the words or field the headcount comes from"),
    Fact("category", str, REQUIRED, "classifier", "first level of `taxonomy.yaml`"),
    Fact("subcategory", str, "", "classifier", "second level; \"\" when unknown"),
    Fact("type", str, "", "classifier", "third level; \"\" when the model is not sure enough"),
    Fact("confidence", float, 0.0, "classifier", "the calibrated probability of `category`"),
    Fact("needs_review", bool, False, "classifier", "the category goes to a person (low confidence, not petition text)"),
    Fact("text_length", int, 0, "text", "characters of title and body"),
    Fact("target_level", str, "", "text", "the highest level the petitioner says they will go to (去北京 → national)"),
    Fact("target_rank", int, 0, "text", "rank of `target_level`"),
    Fact("target_evidence", str, "", "text", "the words of `target_level`"),
    Fact("repeat_count", int, 0, "text", "times the matter was raised before, as the text says (第三次 → 2)"),
    Fact("repeat_evidence", str, "", "text", "the words of `repeat_count`"),
    Fact("amount_yuan", int, 0, "text", "the largest amount of money the text names"),
    Fact("amount_evidence", str, "", "text", "the words of `amount_yuan`"),
    Fact("request_kind", str, "", "text", "诉求类型 from the opening: 咨询, 建议, 投诉, 求助, 举报, 表扬"),
    Fact("request_kind_evidence", str, "", "text", "the words of `request_kind`"),
    Fact("petitioner_cases_30d", int, 0, "store", "the petitioner's earlier cases within 30 days"),
    Fact("petitioner_cases_90d", int, 0, "store", "… within 90 days"),
    Fact("petitioner_cases_365d", int, 0, "store", "… within 365 days"),
    Fact("petitioner_same_category_365d", int, 0, "store", "… within 365 days, of this case's category"),
    Fact("petitioner_first_seen_days", int, 0, "store", "days since the petitioner's first case"),
    Fact("area_name", str, "", "store", "the village/community or township the case comes from"),
    Fact("area_cases_7d", int, 1, "store", "cases of this place and category within 7 days, this one included"),
    Fact("area_petitioners_7d", int, 1, "store", "their distinct petitioners"),
    Fact("area_petitioners_30d", int, 1, "store", "distinct petitioners of this place and category within 30 days"),
    Fact("copy_cluster_size", int, 1, "store", "near-copies of this text, this case included"),
    Fact("copy_cluster_petitioners", int, 1, "store",
         "their distinct senders (one person sending a letter five times is a repeat, not a joint letter)"),
    Fact("tier", str, "", "rules", "the tier set or raised so far: village … province"),
    Fact("tier_rank", int, 0, "rules", "rank of `tier`"),
    Fact("agency", str, "", "rules", "the agency set so far"),
    Fact("procedure", str, "", "rules", "the procedure set so far (petition, litigation, discipline, …, answer)"),
    Fact("risk_score", int, 0, "rules", "the 0–100 score so far"),
    Fact("flag_count", int, 0, "rules", "flags raised so far"),
    Fact("level", str, "", "rules", "the colour raised so far: blue, yellow, orange, red"),
)

# Facts a rulebook adds, one per signal, context, flag or text test it declares.
FAMILIES: tuple[Fact, ...] = (
    Fact("<signal>_signal", bool, False, "text", "a signal of `lexicons/signals.yaml` is in the text (not negated)"),
    Fact("<signal>_evidence", str, "", "text", "its words"),
    Fact("<signal>_context", float, 0.0, "model",
         "for a signal with `context:` (and `target_context`, `repeat_context`), how surely the sentence of its "
         "evidence means the flag, 0–1 (1.0 with no model)"),
    Fact("flag_<code>", bool, False, "rules", "an earlier stage raised the flag"),
)


def facts_from(*sources: Source) -> tuple[Fact, ...]:
    return tuple(f for f in FACTS if f.source in sources)


def fact_model(name: str, facts: tuple[Fact, ...], base: type[BaseModel] | None = None, **extra: tuple[type, Any]
               ) -> type[BaseModel]:
    """A strict, frozen pydantic model with one field per fact (and any `extra` fields)."""
    fields = {f.name: (f.type, ... if f.default is REQUIRED else f.default) for f in facts}
    config = None if base else ConfigDict(strict=True, frozen=True, extra="forbid")
    return create_model(name, __base__=base, __config__=config, **fields, **extra)


def markdown() -> str:
    """The facts as the table rules/README.md shows."""
    lines = ["| fact | type | default | from | meaning |", "|---|---|---|---|---|"]
    for fact in (*FACTS, *FAMILIES):
        default = "(always set)" if fact.default is REQUIRED else f"`{fact.default!r}`".replace("'", '"')
        lines.append(f"| `{fact.name}` | {fact.type.__name__} | {default} | {fact.source} | {fact.doc} |")
    return "\n".join(lines)
