"""Finding contacts that are probably the same person: blocking, then rapidfuzz inside blocks.

Pure functions over plain records so the same code serves the page, the CLI, the API and the
benchmark with a million in-memory contacts. Work grows with the sum of the squared block sizes,
not with the square of the number of contacts: exact conditions form the blocks, and fuzzy ones
add a name word and the ends of another to the key, so a common e-mail domain is no one block.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
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
    """One contact as the finder sees it; name, company, city and postal code already folded
    by `fold`. E-mail domains and names are derived by the finder only when a rule uses them."""

    id: int
    name: str
    phones: tuple[str, ...]
    emails: tuple[str, ...]
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


def _ranges(codes: Iterable[int]) -> str:
    """A regular-expression character class matching the given code points."""
    parts, codes = [], sorted(codes)
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code != previous + 1:
            parts.append(
                re.escape(chr(start)) + ("-" + re.escape(chr(previous)) if previous > start else "")
            )
            start = code
        previous = code
    return "[" + "".join(parts) + "]+"


# Combining marks of the Basic Multilingual Plane, dropped after NFKD splits them off a letter.
_COMBINING = re.compile(_ranges(c for c in range(0x300, 0x10000) if unicodedata.combining(chr(c))))
# str.isalnum() is \w less the underscore, so this is "anything but a letter or digit".
_NOT_ALNUM = re.compile(r"[\W_]+")
# ASCII letters lower-cased, digits kept, everything else a space: most names need no more.
_ASCII_FOLD = bytes(
    c + 32 if 65 <= c <= 90 else c if 48 <= c <= 57 or 97 <= c <= 122 else 32 for c in range(256)
)


def fold(value: str | None) -> str:
    """Case, accents and punctuation removed; letters of every script kept."""
    if not value:
        return ""
    if not value.isascii():
        value = _COMBINING.sub("", unicodedata.normalize("NFKD", value))
        if not value.isascii():
            return " ".join(_NOT_ALNUM.sub(" ", value).casefold().split())
    return " ".join(value.encode().translate(_ASCII_FOLD).decode().split())


# Companies and cities repeat across contacts: fold each spelling once per process.
_fold_repeated = lru_cache(maxsize=1 << 16)(fold)


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
    return Record(
        contact_id,
        fold(f"{first_name} {last_name}"),
        _sorted(phones),
        tuple(emails) if isinstance(emails, list | tuple) and all(emails) else _kept(emails),
        _fold_repeated(company),
        _fold_repeated(city),
        _fold_repeated(postal_code),
    )


class FoldedOnce(dict):
    """Folded spellings by spelling, each folded on first use: names and cities repeat across
    a million contacts. A lookup that finds one costs a plain dict lookup."""

    def __missing__(self, spelling: str) -> str:
        folded = self[spelling] = fold(spelling)
        return folded


def make_records(
    rows: Iterable[tuple[int, str, str, int | None, str, str]],
    emails: dict[int, tuple[str, ...]],
    phones: dict[int, tuple[str, ...]],
    companies: dict[int | None, str],
    folded: FoldedOnce,
) -> list[Record]:
    """Records of (id, first name, last name, company id, city, postal code) rows, as
    `make_record` makes them, with each contact's non-empty e-mails, its distinct phones and its
    company's folded name.

    `folded` keeps each first name, last name and city folded once for the scan: they repeat
    across contacts, and a name folds as its first and last name apart do.
    """
    records = []
    append = records.append
    new = tuple.__new__
    no_values = ()
    for pk, first, last, company_id, city, postal_code in rows:
        one, two = folded[first], folded[last]
        append(
            new(
                Record,
                (
                    pk,
                    f"{one} {two}" if one and two else one or two,
                    phones.get(pk, no_values),
                    emails.get(pk, no_values),
                    companies.get(company_id, ""),
                    folded[city],
                    folded[postal_code],
                ),
            )
        )
    return records


def _kept(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v for v in values if v)


def _sorted(values: Iterable[str]) -> tuple[str, ...]:
    """Distinct non-empty values in order; one value (the usual case) without sorting."""
    values = (
        values if isinstance(values, list | tuple) and all(values) else [v for v in values if v]
    )
    return tuple(values) if len(values) < 2 else tuple(sorted(set(values)))


def _email_domains(emails: tuple[str, ...]) -> tuple[str, ...]:
    return _sorted({email.rpartition("@")[2].casefold() for email in emails})


def _email_users(emails: tuple[str, ...]) -> tuple[str, ...]:
    """The part before the @, without a +tag: "ana.lopez+news@x.es" is "ana lopez"."""
    return _sorted({fold(email.rpartition("@")[0].split("+", 1)[0]) for email in emails})


_SINGLE = {"name": 1, "company": 4, "city": 5, "postal_code": 6}


def _values(record: Record, name: str) -> tuple[str, ...]:
    if name == "phone":
        return record.phones
    if name == "email_domain":
        return _email_domains(record.emails)
    if name == "email_user":
        return _email_users(record.emails)
    value = record[_SINGLE[name]]
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


def _exact_keys(columns: list[list[tuple[str, ...]]], index: int) -> list[str]:
    """One key per combination of a record's values in the columns ([] if one is missing: a
    missing value is no evidence of anything)."""
    keys = [""]
    for column in columns:
        values = column[index]
        if not values:
            return []
        keys = [f"{key}\x01{value}" for key in keys for value in values]
    return keys


def _tail(columns: list[list[tuple[str, ...]]], index: int) -> str | tuple[str, ...] | None:
    """A record's key over exact fields: one string, a tuple of several, or None."""
    keys = _exact_keys(columns, index)
    return keys[0] if len(keys) == 1 else tuple(keys) if keys else None


def _similar(a: str, b: str, cutoff: int) -> float:
    if len(a) < MIN_FUZZY_LENGTH or len(b) < MIN_FUZZY_LENGTH:
        return 100.0 if a == b else 0.0
    return fuzz.token_sort_ratio(a, b, score_cutoff=cutoff)


def _best_similarity(a: tuple[str, ...], b: tuple[str, ...], cutoff: int) -> float:
    return max((_similar(x, y, cutoff) for x in a for y in b), default=0.0)


# Below this many texts left to compare with, one `ratio` call per pair costs less than one
# `process.extract` call (whose setting up costs about as much as ten short comparisons).
EXTRACT_FROM = 10


def _similar_pairs(texts: list[str], cutoff: int) -> list[tuple[int, int, float]]:
    """(i, j, score) for i < j whose `ratio` reaches the cut-off; rapidfuzz compares in C."""
    found = []
    size = len(texts)
    for i in range(size - 1):
        mine = texts[i]
        if size - i - 1 < EXTRACT_FROM:
            for j in range(i + 1, size):
                score = ratio(mine, texts[j], score_cutoff=cutoff)
                if score:
                    found.append((i, j, score))
        else:
            for _choice, score, offset in extract(
                mine, texts[i + 1 :], scorer=ratio, score_cutoff=cutoff, limit=None
            ):
                found.append((i, i + 1 + offset, score))
    return found


ratio, extract = fuzz.ratio, process.extract


class _Finder:
    """What one run shares between rules: the records, each field's values, the blocks of each
    fuzzy field's keys and its token-sorted text (computed once, though several rules lead with
    the name), each set of exact fields' keys, and the links."""

    def __init__(self, records: list[Record]) -> None:
        self.records = records
        self.ids = [record.id for record in records]
        self.result = Result(groups=[])
        # best[(a, b)] = (confidence, reason, exact)
        self.best: dict[tuple[int, int], tuple[int, str, bool]] = {}
        self._columns: dict[str, list[tuple[str, ...]]] = {}
        self._tails: dict[tuple[str, ...], list] = {}
        self._sorted: dict[str, list[str]] = {}

    def link(self, a: int, b: int, confidence: int, reason: str, exact: bool) -> None:
        pair = (a, b) if a < b else (b, a)
        known = self.best.get(pair)
        if known is None or confidence > known[0]:
            self.best[pair] = (confidence, reason, exact or bool(known and known[2]))
        elif exact and not known[2]:
            self.best[pair] = (known[0], known[1], True)

    def column(self, name: str) -> list[tuple[str, ...]]:
        """Every record's values of one field, derived once however many rules use it."""
        if name not in self._columns:
            records = self.records
            if name == "phone":
                found = [record.phones for record in records]
            elif name == "email_domain":
                found = [
                    (emails[0].rpartition("@")[2].casefold(),)
                    if len(emails) == 1
                    else _email_domains(emails)
                    for emails in (record.emails for record in records)
                ]
            elif name == "email_user":
                found = [_email_users(record.emails) for record in records]
            else:
                at = _SINGLE[name]
                found = [(value,) if value else () for value in (r[at] for r in records)]
            self._columns[name] = found
        return self._columns[name]

    def blocks(self, name: str, entries: list[tuple]) -> list[list[tuple]]:
        """The entries (one per record) of the records sharing each blocking key of a fuzzy
        field, for the keys two records or more share. Names of two and three words (nearly
        all) are keyed inline."""
        found: dict[str, tuple | list[tuple]] = {}
        get = found.get
        for entry, values in zip(entries, self.column(name), strict=True):
            if len(values) == 1:
                words = values[0].split()
                if len(words) == 2:
                    a, b = words
                    keys = (f"{a}\x00{b[0]}", f"{b}\x00{a[0]}") if a != b else (f"{a}\x00{a[0]}",)
                elif len(words) == 3:
                    a, b, c = words
                    keys = {
                        f"{a}\x00{b[0]}",
                        f"{a}\x00{c[0]}",
                        f"{b}\x00{a[0]}",
                        f"{b}\x00{c[0]}",
                        f"{c}\x00{a[0]}",
                        f"{c}\x00{b[0]}",
                    }
                else:
                    keys = _fuzzy_keys(values[0])
            else:
                keys = {k for v in values for k in _fuzzy_keys(v)}
            # A block holds its one entry until a second comes (most stay single, and a list for
            # each would cost more than the comparisons). Written out here and in `fuzzy_rules`:
            # a function call for each of millions of entries would cost seconds.
            for key in keys:
                known = get(key)
                if known is None:
                    found[key] = entry
                elif known.__class__ is tuple:
                    found[key] = [known, entry]
                else:
                    known.append(entry)
        return [block for block in found.values() if block.__class__ is list]

    def sorted_text(self, name: str) -> list[str]:
        """Each record's values with their words sorted: plain `ratio` over these texts is
        `token_sort_ratio`, without sorting both sides again for every pair."""
        if name not in self._sorted:
            self._sorted[name] = [
                " ".join(sorted((values[0] if len(values) == 1 else " ".join(values)).split()))
                for values in self.column(name)
            ]
        return self._sorted[name]

    def tails(self, names: tuple[str, ...]) -> list:
        """Each record's key over exact fields: a string when its values make one (nearly
        always), a tuple of keys when they make several (one per combination), None when a value
        is missing (a missing value is no evidence of anything). Derived once however many
        rules share those fields."""
        if names not in self._tails:
            if not names:
                found = [""] * len(self.records)
            elif len(names) == 1:
                found = [
                    "\x01" + values[0]
                    if len(values) == 1
                    else tuple(_exact_keys([[values]], 0))
                    if values
                    else None
                    for values in self.column(names[0])
                ]
            elif len(names) == 2:
                columns = [self.column(name) for name in names]
                found = [
                    f"\x01{a[0]}\x01{b[0]}" if len(a) == 1 == len(b) else _tail(columns, i)
                    for i, (a, b) in enumerate(zip(*columns, strict=True))
                ]
            else:
                columns = [self.column(name) for name in names]
                found = [_tail(columns, i) for i in range(len(self.records))]
            # One string object per distinct key: blocks then hash and compare the same few
            # objects (a city's key) instead of a million copies spread over memory.
            same: dict[str, str] = {}
            self._tails[names] = [
                same.setdefault(tail, tail) if tail.__class__ is str else tail for tail in found
            ]
        return self._tails[names]

    def exact_rule(self, rule: Rule) -> None:
        """Link each contact to the first one with the same key: the group joins them all."""
        tails = self.tails(tuple(name for name, _match in rule.conditions))
        first: dict[str, int] = {}
        setdefault = first.setdefault
        for record_id, tail in zip(self.ids, tails, strict=True):
            if tail is None:
                continue
            for key in (tail,) if tail.__class__ is str else tail:
                known = setdefault(key, record_id)
                if known != record_id:
                    confidence = rule.confidence
                    if FREE_MAIL_DOMAINS.intersection(key.split("\x01")):
                        confidence = round(confidence * FREE_MAIL_WEIGHT)
                    self.link(known, record_id, confidence, rule.name, True)

    def rule_tails(self, rule: Rule) -> list:
        """Each record's key over the rule's exact fields (see `tails`), None where one of its
        other fuzzy fields is empty."""
        tails = self.tails(tuple(name for name, match in rule.conditions if match == EXACT))
        others = [name for name, match in rule.conditions if match == FUZZY][1:]
        if others:
            columns = [self.column(name) for name in others]
            tails = [
                None if any(not column[i] for column in columns) else tail
                for i, tail in enumerate(tails)
            ]
        return tails

    def fuzzy_rules(
        self, lead: str, rules: list[Rule]
    ) -> list[tuple[list[tuple[int, int, int]], list[str]]]:
        """The links of each rule led by the same fuzzy field, in one pass over its blocks.

        Each record is one entry (its key for each rule, its token-sorted text, its index),
        put in the block of each of its lead keys; within a block, the entries with the same
        key for a rule form that rule's block, compared pair by pair. One pass touches each
        entry once for all the rules instead of once per rule.
        """
        count = len(rules)
        text_at = count
        entries = list(
            zip(
                *[self.rule_tails(rule) for rule in rules],
                self.sorted_text(lead),
                range(len(self.records)),
                strict=True,
            )
        )
        links: list[list[tuple[int, int, int]]] = [[] for _ in rules]
        oversized: list[list[str]] = [[] for _ in rules]
        weights: dict[str, float] = {}
        for lead_block in self.blocks(lead, entries):
            parts: list[dict] = [{} for _ in rules]
            for entry in lead_block:
                # An entry ends with its text and index, after one key per rule.
                for part, tail in zip(parts, entry, strict=False):
                    if tail is None:
                        continue
                    for key in (tail,) if tail.__class__ is str else tail:
                        known = part.get(key)
                        if known is None:
                            part[key] = entry
                        elif known.__class__ is tuple:
                            part[key] = [known, entry]
                        else:
                            known.append(entry)
            for position, part in enumerate(parts):
                rule = rules[position]
                for tail, block in part.items():
                    if block.__class__ is tuple:
                        continue
                    if len(block) > MAX_FUZZY_BLOCK:
                        oversized[position].append(f"{rule.name}: {len(block)} contacts")
                        continue
                    weight = weights.get(tail)
                    if weight is None:
                        free = FREE_MAIL_DOMAINS.intersection(tail.split("\x01"))
                        weight = weights[tail] = FREE_MAIL_WEIGHT if free else 1.0
                    for a, b, score in self._pairs(block, text_at, lead, rule):
                        links[position].append(
                            (a, b, round(rule.confidence * weight * score / 100))
                        )
        return list(zip(links, oversized, strict=True))

    def _pairs(
        self, block: list[tuple], text_at: int, lead: str, rule: Rule
    ) -> Iterator[tuple[int, int, float]]:
        """Pairs of the block whose fuzzy conditions all pass, with their lowest similarity."""
        cutoff = rule.min_similarity
        size = len(block)
        self.result.pairs_compared += size * (size - 1) // 2
        if size == 2:
            score = ratio(block[0][text_at], block[1][text_at], score_cutoff=cutoff)
            candidates = [(0, 1, score)] if score else []
        else:
            candidates = _similar_pairs([entry[text_at] for entry in block], cutoff)
        if not candidates:
            return
        lead_column = self.column(lead)
        others = [name for name, match in rule.conditions if match == FUZZY][1:]
        other_columns = [self.column(name) for name in others]
        for i, j, score in candidates:
            one, other = block[i][-1], block[j][-1]
            a_values, b_values = lead_column[one], lead_column[other]
            if (
                len(a_values) != 1
                or len(b_values) != 1
                or min(len(a_values[0]), len(b_values[0])) < MIN_FUZZY_LENGTH
            ):
                score = _best_similarity(a_values, b_values, cutoff)
            for column in other_columns:
                score = min(score, _best_similarity(column[one], column[other], cutoff))
            if score >= cutoff:
                yield self.ids[one], self.ids[other], score


def find_groups(records: Iterable[Record], rules: Iterable[Rule]) -> Result:
    """Group the records that the rules say are the same person, most certain groups first."""
    finder = _Finder(list(records))
    split = [rule for whole in rules for rule in _split(whole) if rule.conditions]
    # Fuzzy rules led by the same field share one pass over its blocks; their links are then
    # added in the rules' order, as if each rule had run on its own.
    led: dict[str, list[int]] = defaultdict(list)
    for position, rule in enumerate(split):
        fuzzy = [name for name, match in rule.conditions if match == FUZZY]
        if fuzzy:
            led[fuzzy[0]].append(position)
    found: dict[int, tuple[list[tuple[int, int, int]], list[str]]] = {}
    for lead, positions in led.items():
        rules_led = [split[position] for position in positions]
        found.update(zip(positions, finder.fuzzy_rules(lead, rules_led), strict=True))
    for position, rule in enumerate(split):
        if position not in found:
            finder.exact_rule(rule)
            continue
        links, oversized = found.pop(position)
        finder.result.oversized_blocks.extend(oversized)
        for a, b, confidence in links:
            finder.link(a, b, confidence, rule.name, False)
    finder.result.groups = _groups(finder.best)
    return finder.result


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
