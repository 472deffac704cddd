"""History facts: what the case store knew about a case's petitioner, place and text before it arrived.

Computed by the store (`service.store.repo`) inside the transaction that stores
the case; without a store every case is a first case. The names are the fact
names the rules read.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class History(BaseModel):
    """Counts before this case; the area and copy counts include the case itself.

    Also the history part of every case's facts: `facts.BaseFacts` extends it.
    """

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

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
    copy_cluster_petitioners: int = 1  # distinct senders of the near-copies; one without a petitioner id counts alone

    def facts(self) -> dict[str, int | str]:
        return self.model_dump()
