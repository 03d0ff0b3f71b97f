from kartoteka.duplicates.matching import Rule, find_groups, fold, make_record

SAME_PHONE = Rule("Same phone number", (("phone", "exact"),), confidence=95)
SAME_NAME_COMPANY = Rule(
    "Same name at the same company", (("name", "exact"), ("company", "exact")), confidence=90
)
SIMILAR_NAME_DOMAIN = Rule(
    "Similar name, same e-mail domain",
    (("name", "fuzzy"), ("email_domain", "exact")),
    confidence=80,
)
RULES = [SAME_PHONE, SAME_NAME_COMPANY, SIMILAR_NAME_DOMAIN]


def _ids(result) -> list[list[int]]:
    return [g.contact_ids for g in result.groups]


def test_same_phone_groups_contacts_with_reason_and_confidence():
    result = find_groups(
        [make_record(1, phones=["+34600111222"]), make_record(2, phones=["+34600111222"])], RULES
    )
    (group,) = result.groups
    assert group.contact_ids == [1, 2]
    assert group.reasons == ["Same phone number"]
    assert group.confidence == 95
    assert group.exact


def test_similar_names_with_the_same_domain_match_fuzzily():
    result = find_groups(
        [
            make_record(1, first_name="Katarzyna", last_name="Wiśniewska", emails=["k@acme.pl"]),
            make_record(2, first_name="Katarzyna", last_name="Wisniewska", emails=["kw@acme.pl"]),
            make_record(3, first_name="Katarzyna", last_name="Wisniewska", emails=["k@other.pl"]),
        ],
        RULES,
    )
    assert _ids(result) == [[1, 2]]
    assert not result.groups[0].exact


def test_swapped_first_and_last_name_still_match():
    result = find_groups(
        [
            make_record(1, first_name="García", last_name="María", emails=["a@x.es"]),
            make_record(2, first_name="Maria", last_name="Garcia", emails=["b@x.es"]),
        ],
        RULES,
    )
    assert _ids(result) == [[1, 2]]


def test_empty_names_are_no_evidence():
    records = [make_record(i, company="Acme", emails=[f"{i}@acme.com"]) for i in range(1, 50)]
    assert find_groups(records, RULES).groups == []


def test_one_letter_names_match_only_when_equal():
    result = find_groups(
        [
            make_record(1, first_name="A", last_name="B", emails=["1@x.com"]),
            make_record(2, first_name="A", last_name="C", emails=["2@x.com"]),
            make_record(3, first_name="A", last_name="B", emails=["3@x.com"]),
        ],
        RULES,
    )
    assert _ids(result) == [[1, 3]]


def test_names_in_other_scripts_are_matched():
    result = find_groups(
        [
            make_record(1, first_name="Иван", last_name="Петров", company="Рога и копыта"),
            make_record(2, first_name="иван", last_name="ПЕТРОВ", company="Рога и Копыта"),
            make_record(3, first_name="李", last_name="雷", company="公司"),
            make_record(4, first_name="李", last_name="雷", company="公司"),
            make_record(5, first_name="Ιωάννης", last_name="Παπαδόπουλος", emails=["a@gr.gr"]),
            make_record(6, first_name="Ιωαννης", last_name="Παπαδοπουλος", emails=["b@gr.gr"]),
        ],
        RULES,
    )
    assert sorted(_ids(result)) == [[1, 2], [3, 4], [5, 6]]


def test_hostile_text_does_not_break_the_finder():
    weird = ["", " ", "\u202e\u0000", "💥💥", "a" * 5000, "'; DROP TABLE--", "\u0301\u0301"]
    records = [
        make_record(i, first_name=text, last_name=text, emails=[f"{i}@x.com"], company=text)
        for i, text in enumerate(weird, 1)
    ]
    result = find_groups(records, RULES)
    assert all(len(g.contact_ids) >= 2 for g in result.groups)


def test_any_rule_matches_on_one_condition():
    rule = Rule("Phone or name", (("phone", "exact"), ("name", "exact")), combine="any")
    result = find_groups(
        [
            make_record(1, first_name="Jan", last_name="Kowalski"),
            make_record(2, first_name="Jan", last_name="Kowalski", phones=["+48601000000"]),
            make_record(3, phones=["+48601000000"]),
        ],
        [rule],
    )
    assert _ids(result) == [[1, 2, 3]]


def test_fold_drops_accents_case_and_punctuation_but_keeps_scripts():
    assert fold("  Łukasz  O'Brien-Núñez ") == "łukasz o brien nunez"
    assert fold("Пётр") == "петр"


def test_a_shared_free_mail_domain_lowers_the_confidence():
    result = find_groups(
        [
            make_record(1, first_name="Claire", last_name="Harmon", emails=["a@gmail.com"]),
            make_record(2, first_name="Claire", last_name="Harmom", emails=["b@gmail.com"]),
            make_record(3, first_name="Claire", last_name="Harmon", emails=["c@acme.com"]),
            make_record(4, first_name="Claire", last_name="Harmom", emails=["d@acme.com"]),
        ],
        [SIMILAR_NAME_DOMAIN],
    )
    by_ids = {tuple(g.contact_ids): g.confidence for g in result.groups}
    assert by_ids[(3, 4)] > by_ids[(1, 2)]
