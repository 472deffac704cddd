"""Cases remembered, on SQLite and PostgreSQL: repeat petitioners, emerging clusters, copied letters, alerts, migrations."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
import sqlalchemy
import sqlalchemy.exc

from service.domain import SHANGHAI, Case
from service.errors import CaseConflict
from service.config import PROJECT_ROOT, Settings
from service.runtime import build_pipeline
from service.store.fingerprint import request_fingerprint
from service.store.migrate import upgrade
from service.store.engine import make_engine

MODEL = PROJECT_ROOT / "models" / "default"
RULES = PROJECT_ROOT / "rules"
JOINT_LETTER = ("尊敬的县领导：我们是城关镇幸福里小区的业主，小区旁边规划建设的垃圾焚烧发电厂距离住宅楼不足三百米，"
                "选址前没有公示，也没有听取居民意见。焚烧厂一旦投产，二噁英和臭气将严重影响周边两千多户居民和幸福里小学"
                "四百多名孩子的健康。我们强烈要求：一、公开项目环评报告；二、重新论证选址；三、在问题解决前暂停施工。")


@pytest.fixture
def pipeline(database_url, tmp_path):
    return build_pipeline(Settings(data_dir=tmp_path / "data", database_url=database_url, model_dir=MODEL, rules_dir=RULES))


def day(n: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 6, 1, hour, tzinfo=SHANGHAI) + dt.timedelta(days=n)


def codes(decision) -> dict[str, str]:
    return {flag.code: flag.reason for flag in decision.risk.flags}


def test_the_fifth_visit_of_one_petitioner_raises_repeat(pipeline):
    visits = ["我家的征地补偿款到现在还没有拿到，请领导帮忙过问一下。",
              "上次反映的征地补偿款问题还是没有结果，村里说镇上没拨款。",
              "征地补偿款的事一直拖着，镇里让我等，我等了半年了。",
              "再说一次，我家被征的两亩地补偿款一分都没到账。",
              "征地补偿款问题第四次来问了，到底什么时候解决？"]
    decisions = [pipeline.triage(Case(case_id=f"visit-{i}", content=text, received_at=day(i * 14),
                                               petitioner={"id_number": "420683197001011234", "phone": "13812345678"}))
                 for i, text in enumerate(visits)]
    assert "repeat" not in codes(decisions[1])
    fifth = codes(decisions[4])
    assert "repeat" in fifth and "一年内已就同类问题反映4次" in fifth["repeat"]
    stored = pipeline.store.record("visit-4")
    assert "420683197001011234" not in json.dumps(stored.petitioner_masked) and stored.petitioner_key
    assert stored.petitioner_masked["phone"] == "138****5678"


def test_three_villagers_in_a_week_are_an_emerging_collective_visit_with_one_alert(pipeline):
    letters = ["我是吴店镇钟郢村三组村民，去年修路征了我家一亩二分地，说好的征地补偿款到现在一分没给。",
               "钟郢村五组村民反映：村里修路占了我家的承包地，征地补偿款拖了一年多还没发。",
               "吴店镇钟郢村村民来电，称其家中土地被征用修路，补偿款至今未到位，要求尽快发放。",
               "我也是钟郢村的，征地补偿的钱还没拿到，家里等着用钱。"]
    decisions = [pipeline.triage(Case(case_id=f"village-{i}", content=text, received_at=day(i * 2),
                                               petitioner={"id": f"villager-{i}"}))
                 for i, text in enumerate(letters)]
    assert "collective" not in codes(decisions[0]) and "collective" not in codes(decisions[1])
    third = codes(decisions[2])
    assert "collective" in third and "3名信访人" in third["collective"] and "钟郢村" in third["collective"]
    assert "cluster.emerging_collective" in decisions[3].rules_fired
    alerts = pipeline.store.alerts()
    assert len(alerts) == 1
    assert alerts[0].case_ids == ["village-0", "village-1", "village-2", "village-3"]
    assert "钟郢村" in alerts[0].area and alerts[0].category == decisions[2].category.label


@pytest.mark.parametrize("rule_id", ["watch.same_village", "watch.three_petitioners_of_one_village_in_a_week_x"])
def test_an_alert_comes_from_the_rule_action_not_its_name(database_url, tmp_path, rules_copy, rule_id):
    """Renaming a rule once silently stopped its alerts (they keyed on the id prefix `cluster.`); the id, up to
    the rule schema's 64 characters, is the alert's kind (a 32-character column failed on PostgreSQL)."""
    risk = rules_copy / "risk.yaml"
    risk.write_text(risk.read_text(encoding="utf-8").replace("id: cluster.emerging_collective", f"id: {rule_id}"),
                    encoding="utf-8")
    renamed = build_pipeline(Settings(data_dir=tmp_path / "data", database_url=database_url, model_dir=MODEL,
                                      rules_dir=rules_copy))
    for i in range(3):
        renamed.triage(Case(case_id=f"renamed-{i}", content="钟郢村村民反映：修路占了承包地，征地补偿款一直没发。",
                                     received_at=day(i), petitioner={"id": f"villager-{i}"}))
    alerts = renamed.store.alerts()
    assert [(a.kind, a.case_ids) for a in alerts] == [(rule_id, ["renamed-0", "renamed-1", "renamed-2"])]


def test_an_alert_scope_the_store_does_not_know_is_refused_at_its_line(rules_copy):
    from service.errors import RulebookError
    from service.rulebook.loader import load_rulebook

    risk = rules_copy / "risk.yaml"
    risk.write_text(risk.read_text(encoding="utf-8").replace("alert: area", "alert: village"), encoding="utf-8")
    with pytest.raises(RulebookError, match=r"risk\.yaml:\d+:\d+: rules/0/then/alert: 'village' is not one of area, copies"):
        load_rulebook(rules_copy)


def test_copies_in_traditional_characters_join_the_simplified_letter(pipeline):
    """Copy detection reads the normalised text, as every other stage does (繁體 copies once formed their own cluster)."""
    import opencc

    traditional = opencc.OpenCC("s2t").convert(JOINT_LETTER)  # 尊敬的縣領導：我們是城關鎮幸福裏小區的業主…
    for i, text in enumerate([JOINT_LETTER, traditional, JOINT_LETTER, traditional]):
        pipeline.triage(Case(case_id=f"script-{i}", content=text, received_at=day(0, 8) + dt.timedelta(minutes=i),
                                      petitioner={"id": f"signer-{i}"}))
    assert {pipeline.store.record(f"script-{i}").copy_cluster for i in range(4)} == {"script-0"}


def test_a_single_villager_three_times_is_not_a_cluster(pipeline):
    for i in range(3):
        decision = pipeline.triage(Case(case_id=f"same-{i}", content=f"钟郢村村民第{i + 1}次反映征地补偿款没发。",
                                                 received_at=day(i), petitioner={"id": "villager-x"}))
    assert "cluster.emerging_collective" not in decision.rules_fired
    assert pipeline.store.alerts() == []


def test_thirty_copies_of_a_joint_letter_form_one_cluster_and_one_alert(pipeline):
    signers = ["张某", "李某", "王某某", "赵某", "刘某", "陈某某"]
    decisions = []
    for i in range(30):
        text = JOINT_LETTER.replace("两千多户", f"{2000 + i * 7}户") + f"联系人：{signers[i % 6]}，{i + 1}号楼{i % 4 + 1}单元。"
        decisions.append(pipeline.triage(Case(case_id=f"copy-{i:02d}", content=text, received_at=day(0, 8) +
                                                       dt.timedelta(minutes=i), petitioner={"id": f"signer-{i}"})))
    assert "organized" not in codes(decisions[3])
    assert "30名不同信访人寄来内容相同或相近的信件，共30份" in codes(decisions[29])["organized"]
    clusters = {pipeline.store.record(f"copy-{i:02d}").copy_cluster for i in range(30)}
    assert clusters == {"copy-00"}
    copy_alerts = [a for a in pipeline.store.alerts() if a.key.startswith("copies|")]
    assert len(copy_alerts) == 1 and len(copy_alerts[0].case_ids) == 30
    unrelated = pipeline.triage(Case(case_id="other", content="小区物业乱收停车费，每月三百元，请住建局管一管。",
                                              received_at=day(0, 12)))
    assert pipeline.store.record("other").copy_cluster is None and "organized" not in codes(unrelated)


def test_one_petitioner_sending_the_same_letter_five_times_is_no_joint_letter(pipeline):
    """The copy cluster counted letters: one petitioner's five copies came out collective and organized."""
    letter = JOINT_LETTER + "联系人：张某，3号楼2单元。"
    decisions = [pipeline.triage(Case(case_id=f"mine-{i}", content=letter, received_at=day(i),
                                               petitioner={"id": "P-0001"})) for i in range(5)]
    assert pipeline.store.record("mine-4").copy_cluster == "mine-0"
    assert not [rule for rule in decisions[4].rules_fired if rule.startswith("cluster.copies")]
    assert "organized" not in codes(decisions[4]) and "repeat" in codes(decisions[4])
    assert [a for a in pipeline.store.alerts() if a.key.startswith("copies|")] == []


def test_an_answered_case_id_is_answered_the_same_way_again(pipeline):
    request = Case(case_id="same-id", content="公司拖欠工资三个月，老板失联。", received_at=day(1))
    first = pipeline.triage(request)
    assert pipeline.triage(request) == first and pipeline.store.count() == 1


def test_a_batch_decides_exactly_as_the_same_cases_sent_one_by_one(database_url, tmp_path):
    """A batch is committed once, yet each case sees the cases before it in the batch: history, copies, alerts."""
    villagers = ["我是吴店镇钟郢村三组村民，去年修路征了我家一亩二分地，说好的征地补偿款到现在一分没给。",
                 "钟郢村五组村民反映：村里修路占了我家的承包地，征地补偿款拖了一年多还没发。",
                 "钟郢村村民来电：修村道征地的补偿款至今没有发放，村干部说要等镇里拨款，请督促。"]
    cases = [Case(case_id=f"v-{i}", content=text, received_at=day(0, 9 + i), petitioner={"id": f"villager-{i}"})
             for i, text in enumerate(villagers)]
    cases += [Case(case_id=f"j-{i}", content=JOINT_LETTER + f"联系人：{i + 1}号楼。", received_at=day(1, 8 + i),
                   petitioner={"id": f"signer-{i}"}) for i in range(6)]
    cases += [Case(case_id=f"r-{i}", content=f"我家的征地补偿款还没拿到，这是第{i + 1}次反映。", received_at=day(2 + i),
                   petitioner={"id_number": "420683197001011234"}) for i in range(5)]
    cases += [cases[0], cases[0].model_copy(update={"content": "同一个编号，另一件事：路灯坏了。"})]

    batch = build_pipeline(Settings(data_dir=tmp_path / "a", database_url=database_url, model_dir=MODEL, rules_dir=RULES))
    alone = build_pipeline(Settings(data_dir=tmp_path / "a", database_url=f"sqlite:///{tmp_path / 'b' / 'one.sqlite3'}",
                                    model_dir=MODEL, rules_dir=RULES))  # same data dir: the same petitioner-linking key
    together = batch.triage_many(cases)
    one_by_one = []
    for case in cases:
        try:
            one_by_one.append(alone.triage(case))
        except CaseConflict as exc:
            one_by_one.append(exc)
    assert [d for d in together if not isinstance(d, CaseConflict)] == [d for d in one_by_one if not isinstance(d, CaseConflict)]
    assert [type(d) for d in together] == [type(d) for d in one_by_one] and isinstance(together[-1], CaseConflict)
    assert "collective" in codes(together[2]) and "organized" in codes(together[8]) and "repeat" in codes(together[13])
    assert sorted((a.kind, tuple(a.case_ids)) for a in batch.store.alerts()) == \
        sorted((a.kind, tuple(a.case_ids)) for a in alone.store.alerts())
    assert batch.store.count() == alone.store.count() == 14


def test_cluster_cases_arriving_at_two_worker_processes_make_one_cluster_and_one_alert(database_url, tmp_path):
    """Two processes, each its own pipeline on one database, take turns with the cases of one cluster."""
    if database_url.startswith("sqlite"):
        pytest.skip("several API processes are a PostgreSQL deployment; SQLite serves one process")
    worker = PROJECT_ROOT / "tests" / "store_worker.py"
    cases = [{"case_id": f"w-{i:02d}", "content": JOINT_LETTER + f"签名：业主{i}号", "petitioner": {"id": f"owner-{i}"},
              "received_at": day(0, 9).isoformat()} for i in range(12)]
    env = {"TRIAGE_DATA_DIR": str(tmp_path / "data"), "TRIAGE_DATABASE_URL": database_url, "TRIAGE_MODEL_DIR": str(MODEL)}
    workers = [subprocess.Popen([sys.executable, str(worker)], stdin=subprocess.PIPE, text=True,
                                env={**__import__("os").environ, **env}) for _ in range(2)]
    for number, process in enumerate(workers):
        process.stdin.write(json.dumps(cases[number::2], ensure_ascii=False))
        process.stdin.close()
    assert [process.wait(timeout=300) for process in workers] == [0, 0]
    pipeline = build_pipeline(Settings(data_dir=tmp_path / "data", database_url=database_url, model_dir=MODEL, rules_dir=RULES))
    assert pipeline.store.count() == 12
    assert len({pipeline.store.record(c["case_id"]).copy_cluster for c in cases}) == 1
    alerts = pipeline.store.alerts()  # one per cluster: the copies, and the same 小区 within a week
    assert sorted(a.key.split("|")[0] for a in alerts) == ["area", "copies"]
    assert all(len(a.case_ids) == 12 for a in alerts)


def test_upgrading_the_schema_keeps_every_stored_case(database_url):
    engine = sqlalchemy.create_engine(database_url)
    upgrade(engine, "0001")
    decision = {"case_id": "old-1", "risk": {"level": "red", "flags": [{"code": "collective", "reason": "x", "rule": "r"}]}}
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(
            "INSERT INTO cases (case_id, received_at, stored_at, content, category, level, model_version, rules_version, "
            "decision) VALUES ('old-1', :t, :t, '旧案件内容，联系电话13812345678', '城乡建设', 'red', 'm1', 'r1', :d)"),
            {"t": dt.datetime(2026, 1, 5, tzinfo=dt.UTC), "d": json.dumps(decision)})
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(sqlalchemy.text(
            "SELECT content, level, flags, copy_cluster, request_hash, history FROM cases")).one()
        revision = connection.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    # 0003 redacts what 0001 stored raw, after fingerprinting it: a retry of the old request is still a retry.
    assert tuple(row)[:4] == ("旧案件内容，联系电话138****5678", "red", ",collective,", None) and revision == "0006"
    assert row.history is None  # decided before histories were kept: a backtest replays it as a first case
    assert row.request_hash == request_fingerprint(content="旧案件内容，联系电话13812345678", title=None, channel=None,
                                                   region=None, intake=None, petitioner_key=None)


def test_the_migrations_build_exactly_the_tables_the_code_uses(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from service.store.tables import Base

    engine = sqlalchemy.create_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_the_sqlite_file_is_readable_by_its_owner_only(tmp_path):
    """It was created 0644: any local user could read every petition."""
    data = tmp_path / "data"
    build_pipeline(Settings(data_dir=data, model_dir=MODEL, rules_dir=RULES)).triage(
        Case(content="小区电梯坏了三个月没人修。"))
    assert (data / "triage.sqlite3").stat().st_mode & 0o777 == 0o600
    assert data.stat().st_mode & 0o077 == 0


def test_a_failed_statement_carries_no_parameters_into_its_error(database_url, caplog):
    """A failed insert logged SQLAlchemy's parameter dump: raw content, 身份证号 and phone numbers."""
    engine = make_engine(database_url)
    with pytest.raises(sqlalchemy.exc.DBAPIError) as info, engine.connect() as connection:
        connection.execute(sqlalchemy.text("INSERT INTO no_such_table (x) VALUES (:x)"),
                           {"x": "我叫张建国，身份证420683198001011234，电话13812345678"})
    engine.dispose()
    assert "13812345678" not in str(info.value) and "420683198001011234" not in str(info.value)
    assert "13812345678" not in caplog.text
