"""Benchmark: find duplicates planted among N synthetic contacts (default 1,000,000).

Contacts are generated in memory (names from Faker's es_ES, pl_PL and en_US lists), then a
known set of duplicates is planted — same phone, same name at the same company, a typo in the
name with the same e-mail domain, swapped or unaccented names in the same city. The finder runs
with the default matching rules; the script reports time, precision and recall over pairs, and
writes bench/results/duplicates.json.

    .venv/bin/python bench/duplicates.py [N] [--runs R]
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from faker.providers.person.en_US import Provider as EnglishNames  # noqa: E402
from faker.providers.person.es_ES import Provider as SpanishNames  # noqa: E402
from faker.providers.person.pl_PL import Provider as PolishNames  # noqa: E402

from kartoteka.duplicates.matching import Rule, find_groups, make_record  # noqa: E402

# The same rules the default-rules migration installs.
RULES = [
    Rule("Same phone number", (("phone", "exact"),), confidence=95),
    Rule("Same name at the same company", (("name", "exact"), ("company", "exact")), confidence=90),
    Rule(
        "Similar name, same e-mail domain",
        (("name", "fuzzy"), ("email_domain", "exact")),
        confidence=80,
    ),
    Rule(
        "Similar name, same city",
        (("name", "fuzzy"), ("city", "exact")),
        min_similarity=90,
        confidence=70,
    ),
]
FREE_MAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "wp.pl", "onet.pl"]
PLANT_SHARE = 0.02


def _names(provider, attribute: str) -> list[str]:
    value = getattr(provider, attribute)
    return list(value.keys()) if isinstance(value, dict) else list(value)


FIRST = sorted(
    {n for p in (SpanishNames, PolishNames, EnglishNames) for n in _names(p, "first_names")}
)
LAST = sorted(
    {n for p in (SpanishNames, PolishNames, EnglishNames) for n in _names(p, "last_names")}
)


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 5:
        return word + rng.choice("aeiou")
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # two letters swapped


def generate(n: int, seed: int = 7):
    """Return (records, planted pairs). About PLANT_SHARE of the contacts are duplicates."""
    rng = random.Random(seed)
    companies = [
        f"{rng.choice(LAST)} {rng.choice(['SL', 'SA', 'sp. z o.o.', 'Ltd', 'Inc'])} {i}"
        for i in range(n // 20)
    ]
    cities = [f"City {i}" for i in range(400)]
    base = n - int(n * PLANT_SHARE)
    people = []
    records = []
    for i in range(base):
        first = rng.choice(FIRST)
        last = rng.choice(LAST) + (" " + rng.choice(LAST) if rng.random() < 0.5 else "")
        company = rng.choice(companies) if rng.random() < 0.6 else ""
        domain = rng.choice(FREE_MAIL) if not company or rng.random() < 0.5 else f"c{i % 5000}.com"
        person = {
            "first_name": first,
            "last_name": last,
            "emails": [f"p{i}@{domain}"],
            "phones": [f"+346{i:08d}"] if rng.random() < 0.7 else [],
            "company": company,
            "city": rng.choice(cities),
        }
        people.append(person)
        records.append(make_record(i, **person))
    planted = set()
    for j in range(base, n):
        original_id = rng.randrange(base)
        original = people[original_id]
        kind = rng.randrange(4)
        copy = dict(original, emails=[f"d{j}@{original['emails'][0].split('@')[1]}"], phones=[])
        if kind == 0 and original["phones"]:
            copy.update(
                phones=original["phones"],
                first_name=typo(rng, original["first_name"]),
                emails=[f"d{j}@{rng.choice(FREE_MAIL)}"],
            )
        elif kind == 1 and original["company"]:
            copy.update(first_name=original["first_name"].upper(), city=rng.choice(cities))
        elif kind == 2:
            copy.update(last_name=typo(rng, original["last_name"]), city=rng.choice(cities))
        else:
            copy.update(
                first_name=original["last_name"],
                last_name=original["first_name"],
                emails=[f"d{j}@{rng.choice(FREE_MAIL)}"],
            )
        records.append(make_record(j, **copy))
        planted.add((original_id, j))
    return records, planted


def score(groups, planted, min_confidence: int = 0) -> tuple[float, float, int]:
    """Precision and recall over pairs of contacts put in one group, at or above a confidence."""
    found = set()
    for group in groups:
        if group.confidence < min_confidence:
            continue
        for a, b in combinations(group.contact_ids, 2):
            found.add((a, b))
    true_positive = len(found & planted)
    precision = true_positive / len(found) if found else 1.0
    recall = true_positive / len(planted) if planted else 1.0
    return precision, recall, len(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("contacts", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    records, planted = generate(args.contacts)
    generated_s = time.perf_counter() - started
    times, cpu_times = [], []
    for _ in range(args.runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = find_groups(records, RULES)
        times.append(time.perf_counter() - started)
        # CPU time tells the work apart from waiting for a core on a busy shared machine.
        cpu_times.append(time.process_time() - cpu_started)
        print(
            f"found {len(result.groups)} groups in {times[-1]:.1f} s ({cpu_times[-1]:.1f} s CPU)",
            flush=True,
        )
    precision, recall, predicted = score(result.groups, planted)
    report = {
        "contacts": args.contacts,
        "planted_pairs": len(planted),
        "predicted_pairs": predicted,
        "groups": len(result.groups),
        "find_seconds_median": round(statistics.median(times), 2),
        "find_seconds_runs": [round(t, 2) for t in times],
        "find_cpu_seconds_median": round(statistics.median(cpu_times), 2),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "generate_seconds": round(generated_s, 1),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "by_confidence": {
            str(level): dict(
                zip(
                    ("precision", "recall", "pairs"),
                    (round(v, 4) for v in score(result.groups, planted, level)),
                    strict=True,
                )
            )
            for level in (70, 80, 90)
        },
        "pairs_compared_fuzzily": result.pairs_compared,
        "oversized_blocks": result.oversized_blocks,
        "rules": [r.name for r in RULES],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}",
    }
    out = Path(__file__).resolve().parent / "results" / "duplicates.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
