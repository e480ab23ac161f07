"""Personal data on everything public is masked (issue 14, item 3): names by rule, against a list
of tricky cases, and personal numbers in free text; a letter is public only after staff review."""

import pytest

from services.letters.models import Letter
from services.masking import is_id_card, mask_name, mask_text

TRICKY_NAMES = [
    # people: never shown whole, whatever they end with or however long they are
    ("王会", "王*"), ("李部", "李*"), ("张局", "张*"), ("王文会", "王*会"), ("李明", "李*"), ("许文华", "许*华"),
    ("欧阳文华", "欧阳*华"), ("司马光", "司马*"), ("诸葛亮", "诸葛*"), ("上官婉儿", "上官*儿"),
    ("阿不都热合曼", "阿****曼"), ("买买提明", "买**明"), ("阿卜杜拉·买买提", "阿***·***"),
    ("迪丽热巴•迪力木拉提", "迪***•*****"), ("John Smith", "J*** S****"), ("MARY O'NEIL", "M*** O*****"),
    ("Li Ming", "L* M***"), ("张", "*"),
    # organisations: in full
    ("南安市某某建材有限公司", "南安市某某建材有限公司"), ("某某商行", "某某商行"), ("南安市财政局", "南安市财政局"),
    ("教育局", "教育局"), ("溪美街道办事处", "溪美街道办事处"), ("ABC Trading Co., Ltd.", "ABC Trading Co., Ltd."),
    ("南安市医院", "南安市医院"), ("某某小区业委会", "某某小区业委会"),
]


@pytest.mark.parametrize("name,masked", TRICKY_NAMES)
def test_tricky_names(name, masked):
    assert mask_name(name) == masked


def test_id_card_numbers_are_checksum_validated():
    assert is_id_card("11010519491231002X") and is_id_card("110105194912310021") is False
    assert mask_text("号码110105194912310021") == "号码110105194912310021"  # not an ID card: kept
    assert mask_text("身份证11010519491231002x。") == "身份证110105********002x。"


LETTER = ("本人王会，身份证号 11010519491231002X，手机 13800138000（也可打 138-0013-8000），"
          "办公电话 0595-86381234，邮箱 zhang.san@example.com，工资卡 4111 1111 1111 1111，"
          "文号南政〔2024〕12号，金额 123456789 元，日期 2024-03-01。")


def test_a_letter_full_of_personal_numbers():
    masked = mask_text(LETTER)
    for secret in ("11010519491231002X", "13800138000", "138-0013-8000", "86381234", "zhang.san",
                   "4111 1111 1111 1111", "4111111111111111"):
        assert secret not in masked, secret
    # what is not personal stays as written
    for kept in ("南政〔2024〕12号", "123456789 元", "2024-03-01", "@example.com", "0595-"):
        assert kept in masked, kept


@pytest.mark.django_db
def test_a_letter_is_public_only_after_review_and_then_masked(client):
    letter = Letter.objects.create(name="王会", phone="13800138000", subject="电话13900139000请回电", text=LETTER,
                                   wants_public=True)
    letter.answer = "已联系王会（13800138000），问题已解决。"
    letter.save()
    assert letter.status == Letter.Status.ANSWERED
    assert client.get("/api/services/letters/public").json()["count"] == 0  # not reviewed yet
    letter.publish_approved = True
    letter.save()
    item = client.get("/api/services/letters/public").json()["items"][0]
    text = " ".join(str(v) for v in item.values())
    assert item["name"] == "王*"
    for secret in ("13800138000", "13900139000", "11010519491231002X", "zhang.san", "4111 1111 1111 1111"):
        assert secret not in text, secret
    detail = client.get(f"/api/services/letters/public/{letter.number}").json()
    assert "13800138000" not in detail["answer"] and "11010519491231002X" not in detail["text"]
