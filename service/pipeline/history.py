"""History facts: what the case store knew about a case's petitioner, place and text before it arrived.

Computed by the store (`service.store.repo`) inside the transaction that stores
the case; without a store every case is a first case. The names are the fact
names the rules read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class History:
    """Counts before this case; the area and copy counts include the case itself."""

    petitioner_cases_30d: int = 0
    petitioner_cases_90d: int = 0
    petitioner_cases_365d: int = 0
    petitioner_same_category_365d: int = 0
    petitioner_first_seen_days: int = 0
    area_name: str = ""
    area_cases_7d: int = 1
    area_petitioners_7d: int = 1
    area_petitioners_30d: int = 1
    copy_cluster_size: int = 1

    def facts(self) -> dict[str, int | str]:
        return asdict(self)
