"""Place from text: labelled cases with an accuracy floor, the look-alikes that must name no place, and the bounds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from service.pipeline import area
from service.pipeline.area import Area, areas_of
from service.pipeline.normalize import normalize_text

CASES = yaml.safe_load((Path(__file__).parent / "area_cases.yaml").read_text(encoding="utf-8"))
FLOOR = 0.95  # share of labelled cases each field must get right (0.996 / 0.996 / 1.0 when written)


def _read(text: str) -> Area:
    return areas_of([(normalize_text(text), None, None)])[0]  # the caller passes normalised text


def test_labelled_cases_meet_the_accuracy_floor_for_county_township_and_village():
    got = areas_of([(normalize_text(case["text"]), None, None) for case in CASES])
    for field in ("county", "township", "village"):
        misses = [f"{case['text'][:40]}…: want {case[field]!r}, got {getattr(found, field)!r}"
                  for case, found in zip(CASES, got, strict=True) if getattr(found, field) != case[field]]
        share = 1 - len(misses) / len(CASES)
        assert share >= FLOOR, f"{field}: {len(misses)} of {len(CASES)} wrong\n" + "\n".join(misses)


@pytest.mark.parametrize("text, expected", [
    ("我是枣阳市吴店镇村民，承包地被强占。", Area("420683", "吴店镇", "")),
    ("湖北省枣阳市吴店镇钟郢村村民反映征地补偿款没发。", Area("420683", "吴店镇", "钟郢村")),
    ("湖北枣阳吴店镇钟郢村的饮水工程水质浑浊。", Area("420683", "吴店镇", "钟郢村")),  # 枣阳 short, after 湖北
    ("我在北京打工，老家是河南省周口市郸城县钱店镇的。", Area("411625", "钱店镇", "")),
    ("我是湖北省枣阳市吴店镇钟郢村村民，多次到枣阳市信访局上访。", Area("420683", "吴店镇", "钟郢村")),
    ("來電人反映：其係河南省周口市鄲城縣汲冢鎮劉莊村村民。", Area("411625", "汲冢镇", "刘庄村")),
    ("江苏省徐州市沛县龙固镇的教师工资被拖欠。", Area("320322", "龙固镇", "")),  # 沛县 with its province
    ("我在北京市朝阳区某工地打工，老板拖欠工资。", Area("110105", "", "")),  # a workplace, when nothing else
    ("尊敬的襄阳市领导：我是枣阳市琚湾镇居民。", Area("420683", "琚湾镇", "")),  # the most specific
], ids=["home-county", "full-chain", "short-name-after-province", "home-after-workplace", "home-before-destination",
        "traditional", "one-character-county-with-parent", "workplace-fallback", "county-over-city"])
def test_home_places_are_read(text, expected):
    assert _read(text) == expected


@pytest.mark.parametrize("text", [
    "我不会去北京上访，只希望问题能解决。",
    "如果再不解决，我们就去北京打工了。",
    "我在北京打工十几年，户口一直在老家。",
    "我是北京人，今年退休。",
    "湖北省信访局的领导：我们的问题拖了十年了。",
    "我已经到县里反映过三次了。",
    "县信访局的工作人员态度冷漠。",
    "县城的出租车乱收费，区政府和市里都不管。",
    "我于2022年3月到枣阳市信访局上访，至今没有答复。",
    "我到海南省三亚市旅游时被强制购物。",
    "家住K8县A2镇B3村，房屋被拆。",
    "祝您工作顺利，身体安康！",
    "我们小区在沿海城市的新区。",
    "东方市场的商户反映摊位费太高。",
    "城区的老旧小区改造进度太慢。",
    "滑县的一所民办学校停办了。",  # one character before 县 and nothing before it: 河南 or 安阳 would say which
    "朝阳区的一位业主反映。",  # 北京 and 长春 both have one
], ids=["not-going-to-beijing", "going-to-work-in-beijing", "working-in-beijing", "bare-province", "province-office",
        "to-the-county", "county-office", "generic-county-district-city", "destination-county", "destination-city",
        "anonymised", "安康-in-a-greeting", "海城-inside-沿海城市", "东方-inside-东方市场", "城区-generic",
        "one-character-county-alone", "ambiguous-district"])
def test_destinations_mentions_and_generic_words_name_no_county(text):
    assert _read(text).county == ""


@pytest.mark.parametrize("text, village", [
    ("名举报柳湾村支书挪用补偿款。", "柳湾村"),
    ("我实名举报柳湾村会计伪造签名。", "柳湾村"),
    ("我是钟郢村民，房子被冲垮了。", "钟郢村"),
    ("柳湾村委会不公开账目。", "柳湾村"),
    ("市农业农村局推广的种子有问题。", ""),
    ("乡村振兴项目资金被挪用。", ""),
    ("新农村建设的时候村里统一盖了房。", ""),
    ("我们村的村干部不在村里办公。", ""),
    ("本村村民反映村委会卖了林地。", ""),
    ("该村书记霸占鱼塘，全村群众意见很大。", ""),
    ("邻村的养猪场臭气熏天。", ""),
    ("到村委反映没人管。", ""),
    ("城中村的出租屋没有消防设施。", ""),
    ("全体村民要求罢免现任村主任。", ""),
    ("某小区的业主反映物业乱收费。", ""),
], ids=["name-after-a-cut-word", "name-after-a-verb", "村民-after-the-name", "村委会-after-the-name", "department",
        "乡村", "新农村", "我们村", "本村", "该村", "邻村", "村委", "城中村", "现任村", "某小区"])
def test_village_names_stop_at_the_words_before_them(text, village):
    assert _read(text).village == village


@pytest.mark.parametrize("text, township", [
    ("K8县丁字湾街道的村民反映集体资产被低价出租。", "丁字湾街道"),
    ("福建省宁德市福鼎市点头镇的茶农反映。", "点头镇"),
    ("大石桥乡的村民反映学校撤并。", "大石桥乡"),
    ("城乡居民医保报销比例太低。", ""),
    ("乡镇干部作风粗暴。", ""),
    ("向镇政府反映了很多次，镇长说没钱。", ""),
    ("美丽乡村建设搞形式主义。", ""),
    ("区农业农村局的工作人员下乡检查时吃拿卡要。", ""),
], ids=["street", "after-its-county", "a-county-city-name-as-township", "城乡", "乡镇", "镇政府", "美丽乡村", "下乡"])
def test_township_names(text, township):
    assert _read(text).township == township


def test_the_intake_region_wins_over_the_text():
    cases = [("我是湖北省枣阳市吴店镇村民。", "411625", None),
             ("我是湖北省枣阳市吴店镇村民。", None, "河南省安阳市滑县"),
             ("县里不管。", None, "滑县")]  # the intake's own names are trusted as they are
    assert [a.county for a in areas_of(cases)] == ["411625", "410526", "410526"]


def test_one_division_lookup_serves_a_whole_batch(monkeypatch):
    cpca = area._cpca()
    calls = []
    real = cpca.transform
    monkeypatch.setattr(cpca, "transform", lambda strings, **kw: calls.append(1) or real(strings, **kw))
    found = areas_of([(normalize_text(case["text"]), None, None) for case in CASES[:50]])
    assert len(found) == 50 and len(calls) == 1


@pytest.mark.parametrize("text", [
    "村" * 20_000, "县" * 20_000, "镇乡" * 10_000, "老旧小区的" * 4_000, "我们村" * 6_667,
    ("实名举报柳湾村去北京打工的县里" * 1_500)[:20_000], ("湖北省枣阳市吴店镇钟郢村" * 2_000)[:20_000],
], ids=["村", "县", "镇乡", "小区", "我们村", "mixed", "chains"])
def test_twenty_thousand_characters_are_decided_within_a_second(text):
    areas_of([("湖北省枣阳市吴店镇钟郢村", None, None)])  # the division table and dictionaries load once per process
    started = time.perf_counter()
    areas_of([(text, None, None)])
    assert time.perf_counter() - started < 1.0
