from fullvalue.engine.returns.vocabulary import READINGS, load_vocabulary

PATHWAYS = [
    "Accommodation",
    "Education, training and employment",
    "Health",
    "Drugs and alcohol",
    "Finance, benefit and debt",
    "Children and families",
    "Attitudes, thinking and behaviour",
]


def test_the_seven_pathways_each_have_codes_and_a_scale():
    vocabulary = load_vocabulary()
    assert [p.label for p in vocabulary.pathways] == PATHWAYS
    for pathway in vocabulary.pathways:
        codes = [c for c in vocabulary.codes.values() if c.pathway == pathway.id]
        assert any(c.value == "reading" for c in codes), pathway.id
        assert any(c.value != "reading" for c in codes), pathway.id
        assert all(c.code.startswith(f"{pathway.id}.") or c.code.startswith("star.") for c in codes)


def test_versioned_and_the_issue_codes_are_there():
    vocabulary = load_vocabulary()
    assert vocabulary.version.count(".") == 2
    for code in ("accommodation.settled", "ete.job_start", "star.work"):
        assert code in vocabulary.codes


def test_every_reading_has_one_stage_of_our_own_wording():
    vocabulary = load_vocabulary()
    assert [vocabulary.stage_of(r).label for r in READINGS] == [
        s.label for s in vocabulary.stages for _ in s.readings
    ]
    # Not the Outcomes Star's Journey of Change (licensed): none of its stage names.
    words = " ".join(s.label.lower() for s in vocabulary.stages)
    for theirs in ("stuck", "accepting help", "believing", "learning", "self-reliance"):
        assert theirs not in words
