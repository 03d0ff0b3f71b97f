"""Finding contacts that are probably the same person: blocking, then rapidfuzz inside blocks.

Pure functions over plain records so the same code serves the page, the CLI, the API and the
benchmark with a million in-memory contacts. Work grows with the sum of the squared block sizes,
not with the square of the number of contacts: exact conditions form the blocks, and fuzzy ones
add a name word and the ends of another to the key, so a common e-mail domain is no one block.
"""

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from rapidfuzz import fuzz, process

FIELDS = ("name", "phone", "email_domain", "email_user", "company", "city", "postal_code")
FUZZY_FIELDS = ("name", "company", "email_user")
EXACT, FUZZY = "exact", "fuzzy"
# Below this length a fuzzy comparison means nothing ("A" is 50% like "B"): require equality.
MIN_FUZZY_LENGTH = 4
# Blocks larger than this are not compared pair by pair (that is a data problem to report,
# e.g. thousands of contacts sharing one switchboard number and one name prefix).
MAX_FUZZY_BLOCK = 5000
PREFIX = 3
# Sharing one of these says little: a match through them keeps only part of its confidence.
FREE_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.es",
        "yahoo.co.uk",
        "hotmail.com",
        "hotmail.es",
        "outlook.com",
        "outlook.es",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "wp.pl",
        "o2.pl",
        "onet.pl",
        "interia.pl",
        "op.pl",
        "tlen.pl",
        "poczta.fm",
        "yandex.ru",
        "mail.ru",
        "telefonica.net",
    ]
)
FREE_MAIL_WEIGHT = 0.7


class Record(NamedTuple):
    """One contact as the finder sees it; every text already folded by `fold`."""

    id: int
    name: str
    phones: tuple[str, ...]
    email_domains: tuple[str, ...]
    email_users: tuple[str, ...]
    company: str
    city: str
    postal_code: str


@dataclass(frozen=True)
class Rule:
    name: str
    conditions: tuple[tuple[str, str], ...]  # (field, EXACT | FUZZY)
    combine: str = "all"
    min_similarity: int = 88
    confidence: int = 80


@dataclass
class Group:
    contact_ids: list[int]
    reasons: list[str]
    confidence: int
    # True when every link came from exact conditions only: safe for bulk merging.
    exact: bool


@dataclass
class Result:
    groups: list[Group]
    pairs_compared: int = 0
    oversized_blocks: list[str] = field(default_factory=list)


def fold(value: str | None) -> str:
    """Case, accents and punctuation removed; letters of every script kept."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    kept = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            continue
        kept.append(ch if ch.isalnum() else " ")
    return " ".join("".join(kept).casefold().split())


def make_record(
    contact_id: int,
    *,
    first_name: str = "",
    last_name: str = "",
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    company: str = "",
    city: str = "",
    postal_code: str = "",
) -> Record:
    domains, users = [], []
    for email in emails:
        user, _, domain = (email or "").rpartition("@")
        if domain:
            domains.append(domain.casefold())
        if user:
            users.append(fold(user.split("+", 1)[0]))
    return Record(
        contact_id,
        fold(f"{first_name} {last_name}"),
        tuple(sorted({p for p in phones if p})),
        tuple(sorted(set(domains))),
        tuple(sorted({u for u in users if u})),
        fold(company),
        fold(city),
        fold(postal_code),
    )


def _values(record: Record, name: str) -> tuple[str, ...]:
    if name == "phone":
        return record.phones
    if name == "email_domain":
        return record.email_domains
    if name == "email_user":
        return record.email_users
    value = getattr(record, name)
    return (value,) if value else ()


def _fuzzy_keys(value: str) -> set[str]:
    """Blocking keys of a fuzzy value that two similar values almost always share.

    One word whole plus the first letter of another: a typo changes one word (rarely its first
    letter), and swapped first and last names give the same keys. A single word gives its
    start and its end.
    """
    words = value.split()
    if len(words) < 2:
        return {"<" + value[:PREFIX], ">" + value[-PREFIX:]} if value else set()
    return {
        f"{whole}\x00{other[0]}"
        for i, whole in enumerate(words)
        for j, other in enumerate(words)
        if i != j
    }


def _split(rule: Rule) -> list[Rule]:
    """An "any" rule is several one-condition rules whose matches are added together."""
    if rule.combine == "any" and len(rule.conditions) > 1:
        return [
            Rule(rule.name, (condition,), "all", rule.min_similarity, rule.confidence)
            for condition in rule.conditions
        ]
    return [rule]


def _block_keys(record: Record, rule: Rule, lead: int | None) -> list[tuple]:
    """The blocks a record falls in: its exact values, plus the keys of the first fuzzy one."""
    keys: list[tuple] = [()]
    for index, (name, match) in enumerate(rule.conditions):
        values = _values(record, name)
        if not values:
            return []  # a missing value is no evidence of anything
        if match == FUZZY:
            if index != lead:
                continue
            values = (
                {k for v in values for k in _fuzzy_keys(v)}
                if len(values) > 1
                else _fuzzy_keys(values[0])
            )
        keys = [key + (value,) for key in keys for value in values]
    return keys


def _similar(a: str, b: str, cutoff: int) -> float:
    if len(a) < MIN_FUZZY_LENGTH or len(b) < MIN_FUZZY_LENGTH:
        return 100.0 if a == b else 0.0
    return fuzz.token_sort_ratio(a, b, score_cutoff=cutoff)


def _best_similarity(a: tuple[str, ...], b: tuple[str, ...], cutoff: int) -> float:
    return max((_similar(x, y, cutoff) for x in a for y in b), default=0.0)


def _fuzzy_pairs(
    block: list[Record], rule: Rule, result: Result
) -> Iterator[tuple[int, int, float]]:
    """Pairs of the block whose fuzzy conditions all pass, with their lowest similarity."""
    fuzzy = [name for name, match in rule.conditions if match == FUZZY]
    lead = fuzzy[0]
    texts = [" ".join(_values(r, lead)) for r in block]
    result.pairs_compared += len(block) * (len(block) - 1) // 2
    # rapidfuzz scores the whole block per record in C; only pairs above the cut-off come back.
    for i, text in enumerate(texts):
        for _choice, _score, j in process.extract(
            text, texts, scorer=fuzz.token_sort_ratio, score_cutoff=rule.min_similarity, limit=None
        ):
            if j <= i:
                continue
            score = _best_similarity(
                _values(block[i], lead), _values(block[j], lead), rule.min_similarity
            )
            for other in fuzzy[1:]:
                score = min(
                    score,
                    _best_similarity(
                        _values(block[i], other), _values(block[j], other), rule.min_similarity
                    ),
                )
            if score >= rule.min_similarity:
                yield block[i].id, block[j].id, score


def find_groups(records: Iterable[Record], rules: Iterable[Rule]) -> Result:
    """Group the records that the rules say are the same person, most certain groups first."""
    records = list(records)
    result = Result(groups=[])
    # best[(a, b)] = (confidence, reason, exact)
    best: dict[tuple[int, int], tuple[int, str, bool]] = {}

    def link(a: int, b: int, confidence: int, reason: str, exact: bool) -> None:
        pair = (a, b) if a < b else (b, a)
        known = best.get(pair)
        if known is None or confidence > known[0]:
            best[pair] = (confidence, reason, exact or bool(known and known[2]))
        elif exact and not known[2]:
            best[pair] = (known[0], known[1], True)

    for whole in rules:
        for rule in _split(whole):
            if not rule.conditions:
                continue
            lead = next(
                (i for i, (_name, match) in enumerate(rule.conditions) if match == FUZZY), None
            )
            fuzzy = lead is not None
            blocks: dict[tuple, list[Record]] = defaultdict(list)
            for record in records:
                for key in _block_keys(record, rule, lead):
                    blocks[key].append(record)
            for key, block in blocks.items():
                if len(block) < 2:
                    continue
                if not fuzzy:
                    confidence = rule.confidence
                    if FREE_MAIL_DOMAINS.intersection(key):
                        confidence = round(confidence * FREE_MAIL_WEIGHT)
                    first = block[0].id
                    for other in block[1:]:
                        link(first, other.id, confidence, rule.name, True)
                    continue
                if len(block) > MAX_FUZZY_BLOCK:
                    result.oversized_blocks.append(f"{rule.name}: {len(block)} contacts")
                    continue
                weight = FREE_MAIL_WEIGHT if FREE_MAIL_DOMAINS.intersection(key) else 1.0
                for a, b, score in _fuzzy_pairs(block, rule, result):
                    link(a, b, round(rule.confidence * weight * score / 100), rule.name, False)
    result.groups = _groups(best)
    return result


def _groups(best: dict[tuple[int, int], tuple[int, str, bool]]) -> list[Group]:
    """Join linked contacts into groups, strongest links first (a maximum spanning forest).

    A group's confidence is its weakest joining link: a pair of near-certain twins loosely
    linked to a third contact is only as sure as that loose link.
    """
    parent: dict[int, int] = {}
    weakest: dict[int, int] = {}
    reasons: dict[int, set[str]] = defaultdict(set)
    exact: dict[int, bool] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (a, b), (confidence, reason, is_exact) in sorted(best.items(), key=lambda i: -i[1][0]):
        ra, rb = root(a), root(b)
        if ra == rb:
            reasons[ra].add(reason)
            continue
        keep, gone = min(ra, rb), max(ra, rb)
        parent[gone] = keep
        weakest[keep] = min(confidence, weakest.get(keep, 100), weakest.pop(gone, 100))
        reasons[keep] |= reasons.pop(gone, set()) | {reason}
        exact[keep] = is_exact and exact.get(keep, True) and exact.pop(gone, True)
    members: dict[int, list[int]] = defaultdict(list)
    for x in parent:
        members[root(x)].append(x)
    groups = [
        Group(
            contact_ids=sorted(ids),
            reasons=sorted(reasons[r]),
            confidence=weakest[r],
            exact=exact[r],
        )
        for r, ids in members.items()
    ]
    groups.sort(key=lambda g: (-g.confidence, g.contact_ids[0]))
    return groups
