"""Chinese personal names in petition text, found by the words around them.

A surname followed by one or two characters is a name only where the text
says a name comes: after a label or an introduction (姓名：, 联系人, 我叫,
本人), after an official's title (村支书, 经理), before a form of address
(先生, 老师, 同志), at a clause's start before a reporting verb (张建国反映…)
or in a letter's signature (此致 敬礼 …). Without such a
cue nothing is masked: 高峰期, 张家界 and 黄河 begin with surnames too.
Where the cue is weaker, the given name must be made of characters that
names commonly use, and weak cues also want a word boundary after the name.
jieba's `nr` tag was measured as a signal and left out: on the test snippets
seven in ten of its `nr` words are names, the rest places (张家界, 石家庄,
王府井), titles (刘女士) and words (高三, 黄金周, 养老金).

Input is folded text (NFKC, simplified characters); output spans are in it.
Each cue is looked at once and only a few characters on from it, so the
time is linear in the text's length.
"""

from __future__ import annotations

import re
from typing import NamedTuple

COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 南宫 独孤 轩辕 钟离 闻人 澹台 "
    "万俟 申屠 呼延 赫连 百里 东郭 西门 太史 公羊 濮阳 淳于 单于 仲孙 微生 左丘 拓跋 完颜 爱新".split()
)
# The common single surnames, less a few that are mostly other words in running text (和, 来, 都, 司, 车, 查 …).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温"
    "康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成"
    "苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农卓古吉缪简项连芦麦褚娄窦戚岑景党宫费"
    "卜冷晏席卫米柏宗瞿桂全佟臧闵苟邬边卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池麻苑迟邝官封谈匡鞠惠荆冀郁"
    "胥南储栗燕楚鄢劳谌奚皮粟冼蔺楼盘闻厉伊仝郜阚朴祖丰卿鹿邸雍辜裘诸慕嵇湛揭檀"
)
# Characters common in given names. Outside a label, a given name must be made of these.
NAME_CHARS = frozenset(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂芬燕华红玉萍梅鹏飞辉宇浩凯建国民文斌波宁峰林海亮鑫俊晨雪"
    "琳婷欣慧颖倩玲莉佳琪嘉子轩涵怡思雨梓睿博泽然晓小大志永春秋冬东金银福寿贵财发德仁义礼智忠孝勤庆祥瑞荣昌盛"
    "兴旺康泰顺利成胜凤龙虎鹰鹤松柏竹菊莲荷桃彩云雷清洁青翠丹彤紫珍珠宝琴瑶璐璇瑾瑜琦琛琼珊莎妮娇媛婧婕妍娅姗"
    "婉嫣妙蓉芸茜菲萱蕾薇蕊芝芹茹莹萌菁卫兵武锋钢铭锦钰铮锐洪源淼森根岭岩川洲禾光耀晖晶晗昊昕晟曦旭阳昭景晴辰"
    "天乾坤正长远升进启立业振达宏鸿展翔腾扬跃卓凡三四五六生贤良善美喜乐欢爱恩惠淑贞娴雅悦灵巧豪雄威健壮坚毅"
    "彬学书诗章彦毓育培伦伯叔季孟宗继承传隆鼎旋亚艾珂柯克沛澜潇湘淳润滨澄渊溪帆航锡钧益权增贺花香枝叶茂富裕馨"
    "蕙莺鹃鸣月娥禄琰珏璋瑛萃芮苒茵蓓菡娣妹姝妤婵雯霖霏霓雁鸥斐佑祯祺禧麟骏驰骥宽恒栋"
)
# Never in a given name, or where they stand the name has ended (temporal words: 于今日, 向前).
_STOP = frozenset("的了在是说和与等及或但也都就还又已曾被把将给向从对于因为所而且很太最更再不没未这那此其该每各们么"
                  "吗呢吧啊呀哦嗯我你他她它您咱俺自某今昨去本近当前后")
# Surnames that are also prepositions or adverbs (向领导反映, 于本月, 曾报警): a name
# there is made of name characters and, unless it has two of them, followed by a word boundary.
_PREPOSITIONS = frozenset("向于曾")
# A place or an institution goes on with one of these: 王家村, 李庄镇, 向贵局.
_PLACE_SUFFIX = frozenset("村庄镇乡县市省区街路巷楼栋号室园苑湾屯寨坝沟营铺店厂场局所院校站队组部处科办社司行馆寺庙桥界岭坡塘堡集港")
# Ordinary words and places made of a surname and name characters.
LOOKALIKES = frozenset(
    "张家界 张家口 张家港 石家庄 王府井 高峰 高峰期 黄河 黄山 马路 江苏 江西 江南 江北 湖南 湖北 河南 河北 广东 广西 "
    "金华 温州 常州 常德 宁波 贵州 贵阳 武汉 武昌 南京 南宁 南昌 南方 许昌 岳阳 白云 高新 高中 高考 高兴 高度 高层 "
    "高温 高龄 高血压 高级 高额 高压 方面 方便 方向 于是 全体 全部 全家 全国 全面 全市 全县 全镇 全村 安全 安排 安保 "
    "安康 安心 安静 金额 时间 明天 明年 明显 明确 明白 常年 严重 严格 华为 龙头 文化 文明 武警 关于 关心 陆续 连续 "
    "包括 司法 党委 纪委 黎明 康复 曾经 齐全 季度 盛夏 游客 项目 卫生 荣誉 惠民 丰富 江湖 成功 成立 成员 成为 成年 "
    "阳光 谷底 燕子 明星 金钱 钟点 林业 程度 温度 房屋 车辆 黄金 石油 白天 夏天 雷雨 毛病 钱财 华丽 韩国 宋体 "
    "贺卡 康乐 龙凤 凤凰 孔雀 牛奶 马克思 包子 关爱 胡同 宁静 易于 乐园 万一 毕业 周末 周一 周二 周三 周四 周五 周六 周日 "
    "周天 高一 高二 高三 班子".split()
)
# Labels and self-introductions: a name follows, though it may use rare characters.
_STRONG_CUES = (
    "姓名 名字叫 名字是 名叫 我叫 本人叫 联系人 信访人 来信人 来访人 来电人 反映人 投诉人 举报人 申诉人 控告人 "
    "被举报人 被投诉人 被反映人 签名 署名 具名 落款"
).split()
# Introductions, roles and officials' titles.
_TITLE_CUES = (
    "本人 村支书 支书 村主任 主任 书记 村长 组长 队长 镇长 乡长 所长 站长 局长 科长 处长 院长 校长 厂长 部长 县长 "
    "经理 老板 老总 会计 出纳 包工头 工头 班主任 老师 医生 护士 民警 警官 律师 法官 城管 网格员 干部 主管 董事长 股长 "
    "社长 店长 园长 教练 村医 举报 控告 揭发 状告 当事人 申请人 代理人 委托人 承包人 出租人 承租人 借款人 担保人 "
    "监护人 户主 经办人 原告 被告 嫌疑人 受害人 死者 伤者 肇事者 法定代表人 法人代表 老板娘 护士长 家属 司机 负责人 代表 助理 秘书 科员 专员 "
    "交警 协警 辅警 保安 门卫 店员 营业员 服务员 收银员 业务员 销售员 管理员 技术员 工作人员 职员 承包商 中介"
).split()
# Kinship and roles: also want a word boundary after the name.
_WEAK_CUES = (
    "我是 村民 居民 业主 员工 工人 老人 患者 病人 学生 孩子 儿子 女儿 丈夫 妻子 老公 老婆 爱人 父亲 母亲 爸爸 妈妈 "
    "爷爷 奶奶 外婆 外公 哥哥 姐姐 弟弟 妹妹 侄子 女婿 儿媳 邻居 同事 同学 朋友 租户 房东 家长 领导 反映 投诉 叫 联系 联系了"
).split()
# Forms of address and closings after a name; a surname alone before them (王老师, 刘女士) is kept as it is.
HONORIFICS = (
    "先生 女士 小姐 老师 师傅 同志 阿姨 大爷 大妈 大姐 大哥 老人 老先生 医生 律师 警官 书记 主任 经理 村长 局长 所长 "
    "校长 院长 镇长 县长 敬上 谨上 拜上"
).split()
# What may follow a name after a weak cue, besides punctuation and the end.
_AFTER = frozenset((
    "在 是 的 等 和 与 及 说 称 也 都 还 就 又 已 曾 被 把 将 给 向 从 对 于 因 今年 现年 家住 住 男 女 反映 投诉 举报 "
    "表示 要求 认为 经常 多次 一直 去年 今天 昨天 前 后 私自 带 找 让 叫 打 骂 不 没 岁 出生 身份证 电话 手机 "
    "联系 夫妇 一家 父子 母子 父女 母女 等人 家 有 患有"
).split() + HONORIFICS)

_CUE_SUFFIX = r"(?:是|叫|为)?:?[ \t]{0,2}"  # folded text: NFKC made ： a colon


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_CUES = re.compile(
    rf"(?P<strong>{_alternation(_STRONG_CUES)})|(?P<title>{_alternation(_TITLE_CUES)})|(?P<weak>{_alternation(_WEAK_CUES)})"
)
_CUE_TAIL = re.compile(_CUE_SUFFIX)
_BEFORE = re.compile(_alternation(HONORIFICS))
_HONORIFICS = frozenset(HONORIFICS)
# A clause that opens with a name and a reporting verb: the subject line 「张建国反映村支书…」.
_REPORTS = re.compile(r"反映|投诉|举报|来电|来信|来访|诉称|求助|咨询")
_SIGNATURE = re.compile(r"此致[^\u4e00-\u9fff]{0,8}敬礼[^\u4e00-\u9fff]{1,12}")
_CHAIN = "、和与及"
_LONGEST_WORD = max(len(w) for w in (*LOOKALIKES, *_STRONG_CUES, *_TITLE_CUES, *_WEAK_CUES, *HONORIFICS, *_AFTER))


class Name(NamedTuple):
    start: int
    end: int
    surname_end: int


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _starts_word(text: str, at: int, words: frozenset[str]) -> bool:
    return any(text[at:at + n] in words for n in range(1, _LONGEST_WORD + 1))


def _surname(text: str, at: int) -> int:
    """Length of the surname starting at `at` (2 for 欧阳, 1 for 王), 0 if none."""
    if text[at:at + 2] in COMPOUND_SURNAMES:
        return 2
    return 1 if text[at:at + 1] in SURNAMES else 0


def _given_char(text: str, at: int) -> bool:
    return at < len(text) and _han(ch := text[at]) and ch not in _STOP and not _starts_word(text, at, _HONORIFICS)


def _ends_word(text: str, at: int) -> bool:
    return at >= len(text) or not _han(text[at]) or _starts_word(text, at, _AFTER)


def _name_at(text: str, at: int, kind: str) -> Name | None:
    """The name that starts at `at`, if the cue of `kind` (label, strong, title, weak) allows one there.

    A given name of name characters will do after a strong or a title cue; after a
    strong cue any characters will, if punctuation or the end follows. Weak cues
    want name characters and a word boundary. A label (a cue and a colon: 申请人：高峰)
    is a strong cue that is sure enough to name 高峰 though it is a word too.
    """
    surname = _surname(text, at)
    if not surname or (kind != "label" and _starts_word(text, at, LOOKALIKES)):
        return None
    given = at + surname
    for end in (given + 2, given + 1):
        if not all(_given_char(text, i) for i in range(given, end)) or _continues(text, end):
            continue
        common = all(text[i] in NAME_CHARS for i in range(given, end))
        needs_boundary = kind == "weak" or (text[at] in _PREPOSITIONS and end - given == 1)
        if common and (not needs_boundary or _ends_word(text, end)):
            return Name(at, end, given)
        if kind in ("strong", "label") and text[at] not in _PREPOSITIONS and (end == len(text) or not _han(text[end])):
            return Name(at, end, given)
    return None


def _continues(text: str, end: int) -> bool:
    """The characters so far are the start of a place's name, or of an anonymised one (张某某)."""
    return end < len(text) and (text[end] in _PLACE_SUFFIX or text[end] == "某")


def _name_before(text: str, end: int) -> Name | None:
    """The name that ends at `end`, just before a form of address: 王建国老师, 欧阳娜娜女士."""
    for start in range(max(0, end - 4), end - 1):
        for surname in (2, 1):
            given = start + surname
            if not 1 <= end - given <= 2 or _surname(text, start) != surname:
                continue
            # 向明华老师 is "to teacher 明华" far more often than a 向 named 明华
            if _starts_word(text, start, LOOKALIKES) or (text[start] in _PREPOSITIONS and start == end - 3):
                continue
            if all(_given_char(text, i) and text[i] in NAME_CHARS for i in range(given, end)):
                return Name(start, end, given)
    return None


def find_names(text: str) -> list[Name]:
    """Personal names in folded text, in order, not overlapping."""
    found: list[Name] = []
    for cue in _CUES.finditer(text):
        tail = _CUE_TAIL.match(text, cue.end())
        kind = "label" if ":" in tail.group() else cue.lastgroup
        name = _name_at(text, tail.end(), kind)
        while name:
            found.append(name)
            if name.end >= len(text) or text[name.end] not in _CHAIN:
                break
            name = _name_at(text, name.end + 1, kind)
    for honorific in _BEFORE.finditer(text):
        if name := _name_before(text, honorific.start()):
            found.append(name)
    for report in _REPORTS.finditer(text):
        if (name := _name_before(text, report.start())) and (name.start == 0 or not _han(text[name.start - 1])):
            found.append(name)
    for closing in _SIGNATURE.finditer(text):
        if (name := _name_at(text, closing.end(), "strong")) and _ends_word(text, name.end):
            found.append(name)
    names: list[Name] = []
    for name in sorted(set(found)):
        if not names or name.start >= names[-1].end:
            names.append(name)
    return names
