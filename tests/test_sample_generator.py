"""The project's own sample corpus: deterministic, realistic, and covering what the platform must handle."""

import inspect
from collections import Counter

from cms.demo import sample
from cms.demo.sample import generate_sample
from content_models import identifiers, vocabularies
from content_models.record import REQUIRED_FIELDS


def test_same_arguments_give_the_same_records_and_other_seeds_differ():
    assert list(generate_sample(docs=80, seed=3, edits=10)) == list(generate_sample(docs=80, seed=3, edits=10))
    assert list(generate_sample(docs=80, seed=3)) != list(generate_sample(docs=80, seed=4))
    assert len(list(generate_sample(docs=80, seed=3))) == 80


def test_sample_covers_departments_topics_categories_and_identifiers():
    records = list(generate_sample(docs=300, seed=1))
    assert all(all(r.get(k) for k in REQUIRED_FIELDS if k != "body_html") for r in records)
    assert len({r["id"] for r in records}) == 300
    assert len({r["site"] for r in records}) >= 12
    assert {r["topic"] for r in records} == set(vocabularies.TOPICS)
    assert {r["category"] for r in records} == set(sample.SAMPLE_CATEGORIES)
    assert all(r["organ"].startswith("南安市") for r in records)

    formal = [r for r in records if r["category"] in sample.FORMAL]
    assert formal and all(r["doc_no"] for r in formal)
    assert all(r["doc_no"] is None for r in records if r["category"] not in sample.FORMAL)
    normalized = [identifiers.normalize_doc_no(r["doc_no"]) for r in formal]
    assert any(n != r["doc_no"] for n, r in zip(normalized, formal, strict=True))  # legacy spellings occur

    numbered = [r["index_no"] for r in records if r["index_no"]]
    assert len(numbered) == len(set(numbered)) and len(numbered) < len(records)  # some come without
    for number in numbered:
        identifiers.parse_index_no(number)
    assert any(r["attachments"] for r in records)


def test_interpretations_and_replacements_point_at_real_policies():
    records = {r["id"]: r for r in generate_sample(docs=400, seed=2)}
    interpretations = [r for r in records.values() if r["interprets"]]
    assert interpretations and all(r["category"] == vocabularies.INTERPRETATION_CATEGORY for r in interpretations)
    for r in interpretations:
        policy = records[r["interprets"]]
        assert policy["category"] in ("政策文件", "法规规章")
        assert policy["published"] <= r["published"]
    replaced = [r for r in records.values() if r["replaced_by"]]
    assert replaced and all(r["validity"] in (vocabularies.EXPIRED, vocabularies.REPEALED) for r in replaced)
    assert all(records[r["replaced_by"]]["published"] >= r["published"] for r in replaced)


def test_some_bodies_are_dirty_legacy_html():
    bodies = [r["body_html"] for r in generate_sample(docs=300, seed=1)]
    for trap in ("<script", "<iframe", "onclick=", "javascript:", "mso-", "<o:p>", "style="):
        assert any(trap in b for b in bodies), trap
    assert sum("<script" in b or "<iframe" in b or "javascript:" in b for b in bodies) < len(bodies) / 2


def test_edits_append_change_records_for_known_ids():
    records = list(generate_sample(docs=200, seed=1, edits=60))
    base, changes = records[:200], records[200:]
    assert all("op" not in r for r in base) and len(changes) == 60
    assert set(Counter(r["op"] for r in changes)) == {"create", "update", "withdraw"}
    ids = {r["id"] for r in base}
    assert all(r["id"] in ids for r in changes if r["op"] in ("update", "withdraw"))
    assert all(r["id"] not in ids for r in changes if r["op"] == "create")
    numbers = [r["index_no"] for r in records if r.get("index_no")]
    assert len(numbers) == len(set(numbers))  # created documents do not reuse a number


def test_generator_is_self_contained():
    source = inspect.getsource(sample)
    assert "/work/shared" not in source.replace("never reads /work/shared", "")
    assert "django" not in source.lower().replace("no django", "")
