"""No text the API accepts can stall it: long runs of numerals, digits, punctuation and mixed scripts,
up to the 20,000-character limit, are each decided within a second.

The budget is a guard against super-linear paths (a cubic numeral pattern took 79 s on
1,600 characters), not a speed goal: a linear path decides these in a few tens of milliseconds.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NUMERALS = "一二三四五六七八九十百千万亿两零〇几余多来半壹贰叁肆伍陆柒捌玖拾佰仟"
RUNS = [
    st.text(alphabet=NUMERALS, min_size=1, max_size=6000),
    st.text(alphabet="0123456789０１２３４５６７８９.,%万", min_size=1, max_size=6000),
    st.text(alphabet="，。！？、；：“”‘’（）《》【】……——·.!?;:()[]*#-~ \n", min_size=1, max_size=3000),
    st.text(alphabet="村镇乡县市区省街道社区小区非法不没未曾再又去到", min_size=1, max_size=3000),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=2000),
    st.sampled_from(["尊敬的领导：", "來電人反映：", "二十余户", "3万6", "一百多名工人", "(a+)+$", "第三次上访", "😡" * 50,
                     "ＡＢＣ１２３", "拖欠工資", "身份证号420683198001011234"]),
]
LIMIT = 20_000


@st.composite
def petition_texts(draw) -> str:
    parts = draw(st.lists(st.one_of(RUNS), min_size=1, max_size=12))
    text = ("投诉" + "".join(parts))[:LIMIT]
    return text if text.strip() else "投诉"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(text=petition_texts())
def test_any_accepted_text_is_decided_within_a_second(client, text):
    started = time.perf_counter()
    answer = client.post("/v1/triage", json={"content": text})
    elapsed = time.perf_counter() - started
    assert answer.status_code in (200, 422), answer.text[:300]
    assert elapsed < 1.0, f"{elapsed:.2f} s for {len(text)} characters starting {text[:40]!r}"


def test_the_longest_numeral_run_is_decided_within_a_second(client):
    for text in ("一" * LIMIT, "十" * LIMIT, "一万" * (LIMIT // 2), "诉" + "9" * (LIMIT - 1), "村" * LIMIT, "，" * (LIMIT - 1) + "诉"):
        started = time.perf_counter()
        assert client.post("/v1/triage", json={"content": text}).status_code == 200
        assert time.perf_counter() - started < 1.0, text[:10]
