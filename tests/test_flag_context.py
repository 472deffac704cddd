"""Flag context: the sentence around a lexicon hit decides whether the hit means its flag.

The lexicon finds the words; a sentence classifier per flag (fitted by `triage train` on
training/flag_sentences/) gives `<signal>_context`, and the rules flag only at 0.4 or more.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.errors import ModelError
from service.pipeline.flag_context import MAX_SCORED_HITS, MAX_SIDE, FlagContext, scored_hits, sentence_around, surest
from service.pipeline.normalize import normalize_text
from service.pipeline.signals import Evidence
from training.flag_context import read_sentences


def test_the_sentence_around_a_hit_is_its_own_sentence():
    text = "尊敬的领导：您好！我是幸福里小区的业主。小区全体业主的维修基金被物业挪用了，至今没有公开账目。请领导督促。"
    start = text.index("全体业主")
    assert sentence_around(text, start, start + 4) == "小区全体业主的维修基金被物业挪用了，至今没有公开账目。"


def test_a_short_sentence_is_read_with_its_neighbours():
    text = "物业费涨了一倍，业主们都不同意。我们联名了。下周还要开会。"
    start = text.index("联名")
    around = sentence_around(text, start, start + 2)
    assert "我们联名了。" in around and len(around) >= 20


def test_a_letter_without_punctuation_is_cut_either_side_of_the_hit():
    text = "一" * 50_000 + "全体业主联名" + "二" * 50_000
    start = text.index("全体业主")
    around = sentence_around(text, start, start + 6)
    assert "全体业主联名" in around and len(around) <= 2 * MAX_SIDE + 6


class Scores(FlagContext):
    """A stand-in classifier: the score is given per sentence, to test how hits are chosen."""

    def __init__(self, by_word: dict[str, float]):
        super().__init__({})
        self.by_word, self.calls = by_word, []

    def scores(self, flag, sentences):
        self.calls.append(len(sentences))
        return [max((p for w, p in self.by_word.items() if w in s), default=0.0) for s in sentences]


def test_of_several_hits_the_surest_is_the_evidence():
    text = "物业公司擅自出租公共车位，损害全体业主利益的事情已经持续了好几年。这一次我们全体业主联名，要求公开收益账目。"
    hits = [Evidence("全体业主", text.index("全体业主")), Evidence("全体业主", text.rindex("全体业主"))]
    scores = scored_hits(text, {"group": ("collective", hits)}, Scores({"损害": 0.1, "联名": 0.9}))["group"]
    evidence, sure = surest(hits, scores, lambda e: -e.start)
    assert evidence.start == text.rindex("全体业主") and sure == 0.9


def test_without_a_classifier_the_first_hit_counts_fully():
    hits = [Evidence("联名", 3), Evidence("联名", 10)]
    assert scored_hits("x" * 20, {"joint": ("collective", hits)}, None) == {"joint": None}
    assert surest(hits, None, lambda e: -e.start) == (hits[0], 1.0)


def test_a_text_of_thousands_of_hits_scores_a_bounded_number_of_them():
    text = "联名，" * 10_000
    context = Scores({"联名": 0.7})
    hits = [Evidence("联名", i * 3) for i in range(10_000)]
    scores = scored_hits(text, {"joint": ("collective", hits), "group": ("collective", hits)}, context)
    assert surest(hits, scores["joint"], lambda e: -e.start)[1] == 0.7
    assert context.calls == [2 * MAX_SCORED_HITS]  # one call for the flag, whatever the number of its signals


def test_a_signal_may_not_take_the_name_of_the_lexicon_s_own_facts(rules_copy):
    from service.errors import RulebookError
    from service.rulebook.loader import load_rulebook

    lexicon = rules_copy / "lexicons" / "signals.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8").replace("\n  group:\n", "\n  repeat:\n", 1), encoding="utf-8")
    with pytest.raises(RulebookError, match=r"signals\.yaml:\d+:\d+: .*signal name 'repeat' is taken"):
        load_rulebook(rules_copy)


def test_a_context_must_name_a_flag_of_the_rulebook(rules_copy):
    from service.errors import RulebookError
    from service.rulebook.loader import load_rulebook

    lexicon = rules_copy / "lexicons" / "signals.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8").replace("context: organized", "context: organised"),
                       encoding="utf-8")
    with pytest.raises(RulebookError, match=r"signals\.yaml:\d+:\d+: .*context 'organised' is not a flag of rulebook\.yaml"):
        load_rulebook(rules_copy)


def test_lexicon_facts_carry_the_context_beside_the_evidence(rulebook):
    text = normalize_text("我是业主，小区全体业主的公共收益被物业公司挪用了好几年。后来我们全体业主联名写信给街道办。")
    facts = rulebook.lexicon.text_facts(text, Scores({"联名": 0.8, "挪用": 0.2}))
    assert facts["group_evidence"] == "全体业主" and facts["group_context"] == 0.8
    assert facts["joint_context"] == 0.8
    plain = rulebook.lexicon.text_facts(text)
    assert plain["group_context"] == plain["joint_context"] == 1.0


@pytest.mark.parametrize(("flag", "positive", "look_alike"), [
    ("collective",
     "尊敬的领导：我们锦绣华庭小区一百二十多户业主已经签名联名，准备下周一起到区住建局当面反映开发商延期交房的问题。",
     "尊敬的领导：锦绣华庭小区延期交房，损害了全体业主的合法权益，我作为其中一名业主，恳请住建局督促开发商尽快交房。"),
    ("skip_level",
     "来电人称征地补偿拖了三年，镇里县里都去过了没人管，再不解决就去北京上访。",
     "来电人称其儿子在北京打工，户口在本村，想咨询在北京缴纳的社保能否转回县里。"),
])
def test_the_shipped_model_tells_a_flag_from_its_look_alike(client, flag, positive, look_alike):
    def flags(text):
        response = client.post("/v1/triage", json={"content": text, "channel": "online"})
        assert response.status_code == 200, response.text
        return {f["code"] for f in response.json()["risk"]["flags"]}

    assert flag in flags(positive)
    assert flag not in flags(look_alike)


def write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_bad_sentence_file_names_the_file_and_row(tmp_path):
    write(tmp_path / "repeat.jsonl", [{"flag": "repeat", "label": 1, "text": "第三次反映"},
                                      {"flag": "repeat", "label": "yes", "text": "又来反映"}])
    with pytest.raises(ModelError, match=r"repeat\.jsonl: row 2: 'label' must be 1"):
        read_sentences(tmp_path)


def test_a_flag_needs_both_labels_to_learn_from(tmp_path):
    write(tmp_path / "repeat.jsonl", [{"flag": "repeat", "label": 1, "text": f"第{i}次反映"} for i in range(30)])
    with pytest.raises(ModelError, match="repeat has 30 sentences labelled 1 and 0 labelled 0"):
        read_sentences(tmp_path)


def test_train_rejects_a_missing_sentence_directory(tmp_path):
    data = write(tmp_path / "data.jsonl", [{"text": "小区电梯坏了", "label": "城乡建设"}])
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--out", str(tmp_path / "m"),
                                      "--flag-sentences", str(tmp_path / "nowhere")])
    assert result.exit_code != 0 and "no .jsonl files of labelled flag sentences" in result.output
