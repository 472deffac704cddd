"""The issue-type taxonomy of a rules directory: the standard's three levels, and old names.

`rules/taxonomy.yaml` holds the published classification (15 first-level categories,
118 second-level and 517 third-level types) plus `renamed`, the second-level names this
service used before it followed the standard. Old names keep working where callers send
them (a handler's correction, a case filter): `resolve` reads them as their new place,
which may lie in another first-level category (buses moved to 城乡建设).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class IssueType:
    """A place in the taxonomy; `subcategory` and `type` are None when not known."""

    category: str
    subcategory: str | None = None
    type: str | None = None

    @classmethod
    def parse(cls, path: str) -> IssueType:
        parts = path.split("/")
        return cls(*(parts + [None] * (3 - len(parts)))[:3])

    def __str__(self) -> str:
        return "/".join(p for p in (self.category, self.subcategory, self.type) if p)


class TaxonomyError(ValueError):
    """A name the taxonomy does not know. The message names the level and its parent, never the value
    (it reaches API callers, and a free-text field may hold anything)."""


class Taxonomy:
    def __init__(self, categories: Mapping[str, Mapping[str, list[str]]], renamed: Mapping[str, str] | None = None):
        self.categories: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType(
            {label: MappingProxyType({sub: tuple(types) for sub, types in subs.items()}) for label, subs in categories.items()})
        self.renamed: Mapping[str, IssueType] = MappingProxyType(
            {old: IssueType.parse(new) for old, new in (renamed or {}).items()})

    def __iter__(self) -> Iterator[str]:
        return iter(self.categories)

    def __contains__(self, label: object) -> bool:
        return label in self.categories

    def subcategory_names(self) -> set[str]:
        return {sub for subs in self.categories.values() for sub in subs}

    def type_names(self) -> set[str]:
        return {t for subs in self.categories.values() for types in subs.values() for t in types}

    def knows(self, issue: IssueType) -> bool:
        subs = self.categories.get(issue.category)
        if subs is None or (issue.subcategory is not None and issue.subcategory not in subs):
            return False
        return issue.type is None or (issue.subcategory is not None and issue.type in subs[issue.subcategory])

    def new_name_of(self, subcategory: str) -> list[IssueType]:
        """Where an old second-level name now lives (under any category that had it)."""
        return [new for old, new in self.renamed.items() if old.split("/", 1)[1] == subcategory]

    def resolve(self, category: str, subcategory: str | None = None, type: str | None = None) -> IssueType:
        """The standard place for what a caller sent, old second-level names included."""
        if category not in self.categories:
            raise TaxonomyError("the category is not a first-level category of the taxonomy")
        if subcategory is None:
            if type is not None:
                raise TaxonomyError("a type needs its subcategory")
            return IssueType(category)
        issue = IssueType(category, subcategory, type)
        if self.knows(issue):
            return issue
        moved = self.renamed.get(f"{category}/{subcategory}")
        if moved is not None and type is None:
            return moved
        if subcategory not in self.categories[category]:
            raise TaxonomyError(f"the subcategory is not a second-level type of {category}")
        raise TaxonomyError(f"the type is not a third-level type of {category}/{subcategory}")
