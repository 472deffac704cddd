"""诉求类型 from the text: the opening states the kind; the same words further down do not."""

from __future__ import annotations

import pytest

from service.config import PROJECT_ROOT
from service.pipeline.normalize import normalize_text
from service.rulebook.loader import load_rulebook

KINDS = load_rulebook(PROJECT_ROOT / "rules").lexicon.request_kinds

CASES = [
    # (title, body, kind) — message-board posts, hotline notes and letters as intake writes them
    ("咨询A市公积金贷款政策", "您好，本人在A3区工作五年，公积金连续缴存，想问一下二套房贷款额度是多少？", "咨询"),
    ("", "尊敬的领导：您好！请问孩子在K8县上学，户口在A市，中考能不能在K8县报名？", "咨询"),
    ("", "来电人咨询：退休人员异地就医备案如何办理，需要什么材料。", "咨询"),
    ("港澳通行证签注可以自助办理吗", "我要去香港出差，通行证是有效的，只需要办签注。A市哪些地方有自助签注机？", "咨询"),
    ("凭什么物业费一涨再涨", "小区物业去年涨了一次，今年又要涨，服务却越来越差，这合理吗？", "投诉"),
    ("关于在城东新区增设公交线路的建议", "城东新区入住的人越来越多，只有一条公交线路，早晚高峰根本挤不上。", "建议"),
    ("", "各位领导好：建议在A7县城区主干道增设非机动车道，现在电动车和汽车混行太危险。", "建议"),
    ("投诉某驾校乱收费", "报名时说好全包价3800元，现在科目二每次补考收400元。", "投诉"),
    ("A2区***路段路灯坏了半年没人修", "晚上出门黑漆漆的，老人摔倒过两次，打了好几次电话都没人管。", "投诉"),
    ("", "小区楼下烧烤店营业到凌晨三点，噪音油烟让人没法睡觉，请问这合理吗？建议有关部门尽快处理。", "投诉"),
    ("实名举报某村支书", "我实名举报我们村支书，他把五保户的低保金领了三年。", "举报"),
    ("", "尊敬的县纪委领导：我们村的账目三年不公开，村主任在征地款上做了手脚，现举报如下：一、……", "举报"),
    ("", "市民来电反映：城郊有黑作坊用工业酒精勾兑白酒，要求查处。来电人表示如不处理将向媒体举报。", "投诉"),
    ("求助：孩子白血病无力医治", "我家孩子今年六岁，查出白血病，已经花了四十多万，亲戚朋友都借遍了。", "求助"),
    ("", "我是一个走投无路的母亲，丈夫车祸去世，婆家把我们母子赶出了家门，恳请政府救助。", "求助"),
    ("表扬县人民医院急诊科医护人员", "上周我父亲突发心梗，急诊科的医生护士连夜抢救，非常负责。", "表扬"),
    ("", "非常感谢A3区城管中队的工作人员，我们反映的占道经营问题两天就解决了！", "表扬"),
    ("", "感谢领导百忙之中看我的信。我家的宅基地被邻居占了一米多，村里调解了三次都没用。", "投诉"),
    ("關於小區電梯頻繁故障的投訴", "電梯一個月壞了五次，物業說要等維保公司。", "投诉"),
]


@pytest.mark.parametrize(("title", "body", "kind"), CASES, ids=[c[2] + ":" + (c[0] or c[1])[:12] for c in CASES])
def test_kind_of_realistic_messages(title, body, kind):
    read = KINDS.read(normalize_text(title), normalize_text(body))
    assert read.kind == kind, read


def test_without_any_cue_the_kind_is_the_default_and_cites_nothing():
    read = KINDS.read("", "楼上邻居装修每天早上七点开始打电钻，已经持续两个月了。")
    assert (read.kind, read.evidence) == ("投诉", None)


def test_the_kind_is_read_in_linear_time_on_a_very_long_letter():
    body = "尊敬的领导：" + "我们小区的问题一直没有解决，" * 5000 + "现举报如下。"
    assert KINDS.read("", body).kind == "举报"
