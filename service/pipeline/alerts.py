"""Which alert a rule's `alert:` action opens or grows: one per cluster, later cases join it.

A copies alert belongs to its copy cluster (keyed by the cluster's first case). An
area alert has no fixed root: it is the open alert of the same category that
already holds one of the place's cases of the week, else a new one.
"""

from __future__ import annotations

from service.domain import Decision, RaisedAlert
from service.pipeline.history import HistoryReading
from service.store.unit import UnitOfWork


def record_alerts(work: UnitOfWork, raised: tuple[RaisedAlert, ...], decision: Decision, reading: HistoryReading) -> None:
    category, case_id = decision.category.label, decision.case_id
    area = reading.history.area_name or None
    for alert in raised:
        if alert.scope == "copies" and reading.copy_cluster:
            root = reading.copy_cluster
            members = [m.case_id for m in work.cluster_members(root)] + [case_id]
            work.upsert_alert(key=f"copies|{root}", kind=alert.rule, area=area, category=category,
                              reason=alert.reason, case_ids=members)
        else:
            work.upsert_alert(key=f"area|{category}|{case_id}", kind=alert.rule, area=area, category=category,
                              reason=alert.reason, case_ids=[*reading.same_place_week, case_id], joins=f"area|{category}|")
