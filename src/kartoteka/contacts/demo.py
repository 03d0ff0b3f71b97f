"""Realistic demo data: team members, custom details and up to a million contacts in three
locales.

Contacts are written in batches through the contacts write plan run in bulk (contacts.plan), the
same rows, timeline entries and events a service call per contact would write, with the history
a demo needs (creation and win dates, who created each contact) on top, as a bulk load
(core.bulkload): the connection tuned for it, the planner's statistics kept up with the growing
tables. Drawing a contact is cheap: Faker draws pools of names, addresses and jobs once per
locale, and each contact picks from them. Each batch is drawn from a generator seeded by the
seed and the batch's position alone, so a large demo has helper processes draw and prepare the
next batches while this process writes, and a second run draws the same contacts, finds them
all there and adds nothing.
"""

import datetime as dt
import itertools
import random
import secrets
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone
from faker import Faker

from kartoteka.accounts.models import Role, User
from kartoteka.accounts.services import create_user, set_password
from kartoteka.contacts import kinds
from kartoteka.contacts import statuses as lead_statuses
from kartoteka.contacts.bulk import written_tables
from kartoteka.contacts.models import (
    Company,
    ContactEmail,
    PropertyDefinition,
    Source,
    Status,
    Tag,
    TagOrigin,
)
from kartoteka.contacts.plan import (
    Author,
    Names,
    NewContact,
    in_chunks,
    plan_new_contacts,
    prepare,
    run_bulk,
)
from kartoteka.contacts.properties import coerce_value
from kartoteka.contacts.services import define_property
from kartoteka.core import bulkload, events
from kartoteka.core.scope import SYSTEM

SEED = 20240601
BATCH = 500
LOCALES = {"es_ES": ("ES", 0.4), "pl_PL": ("PL", 0.35), "en_US": ("US", 0.25)}
MAIL_DOMAINS = {
    "ES": ["gmail.com", "hotmail.es", "yahoo.es", "telefonica.net", "outlook.es"],
    "PL": ["gmail.com", "wp.pl", "onet.pl", "interia.pl", "o2.pl"],
    "US": ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com"],
}
TAGS = [
    "vip",
    "newsletter",
    "webinar 2024",
    "trade fair",
    "partner",
    "hot lead",
    "cold",
    "black friday",
    "ebook download",
    "demo requested",
    "referral",
    "churn risk",
]
PROPERTIES = [
    (
        "industry",
        "Industry",
        "dictionary",
        ["Retail", "Software", "Manufacturing", "Education", "Health", "Finance", "Hospitality"],
    ),
    ("employees", "Employees", "number", None),
    ("budget", "Budget (EUR)", "decimal", None),
    ("newsletter_opt_in", "Newsletter opt-in", "boolean", None),
    ("website", "Website", "url", None),
    ("first_purchase", "First purchase", "date", None),
    (
        "interests",
        "Interests",
        "multi_choice",
        ["CRM", "E-mail marketing", "Automation", "Analytics", "E-commerce"],
    ),
    ("preferred_contact", "Preferred contact time", "text", None),
]
STATUS_WEIGHTS = {
    Status.NEW: 30,
    Status.LEAD: 25,
    Status.QUALIFIED: 12,
    Status.OPPORTUNITY: 8,
    Status.WON: 15,
    Status.LOST: 6,
    Status.DISCARDED: 4,
}
SOURCE_WEIGHTS = {
    Source.FORM: 30,
    Source.LANDING_PAGE: 15,
    Source.IMPORT: 20,
    Source.MANUAL: 15,
    Source.API: 8,
    Source.CHATBOT: 5,
    Source.PAYMENT: 4,
    Source.INTEGRATION: 3,
}
# Mobile numbers as the numbering plans assign them (Spain: 6 and 71–74, Poland: the mobile
# ranges, the US: any exchange of these area codes), so every number drawn is valid without
# parsing it (tests/contacts/test_demo.py checks a sample).
MOBILE_PREFIXES = {
    "ES": ["6", "6", "6", "71", "72", "73", "74"],
    "PL": ["50", "51", "53", "57", "60", "66", "69", "72", "79"],
}
US_AREA_CODES = ["212", "312", "415", "512", "617", "646", "702", "818", "917"]
# Values of each kind Faker draws per locale, once per demo, for contacts to pick from: a fixed
# number, so that the n-th contact is the same whatever the count.
POOL = 1000
PREFERRED_TIMES = ["mornings", "afternoons", "after 17:00", ""]
_STATUSES, _STATUS_CUMULATIVE = (
    list(STATUS_WEIGHTS),
    list(itertools.accumulate(STATUS_WEIGHTS.values())),
)
_SOURCES, _SOURCE_CUMULATIVE = (
    list(SOURCE_WEIGHTS),
    list(itertools.accumulate(SOURCE_WEIGHTS.values())),
)
_LOCALES = list(LOCALES)
_LOCALE_CUMULATIVE = list(itertools.accumulate(share for _country, share in LOCALES.values()))
_ORIGINS = [TagOrigin.USER, TagOrigin.IMPORT, TagOrigin.FORM, TagOrigin.RULE]
_FROM_WEB = (Source.FORM, Source.LANDING_PAGE)


@dataclass
class DemoResult:
    admin: str
    admin_password: str
    sales: str
    sales_password: str
    created: int
    existing: int
    seconds: float


@dataclass
class LocalePool:
    """A locale's values drawn once with Faker; names with their plain-ASCII form (e-mails)."""

    first_names: list[tuple[str, str]]
    last_names: list[tuple[str, str]]
    streets: list[str]
    cities: list[str]
    postal_codes: list[str]
    regions: list[str]
    jobs: list[str]
    ips: list[str]
    websites: list[str]
    companies: list[tuple[str, str]]  # name, domain


@dataclass
class Drawing:
    """What drawing a batch of contacts needs, the same in every helper process."""

    pools: dict[str, LocalePool]
    industries: list[str]
    interests: list[str]
    preferred_times: list[str | None]
    budget: PropertyDefinition
    now: dt.datetime


class Drawn(NamedTuple):
    """A drawn contact, prepared for the plan, with its history and its owner (by position in
    the demo team's owners)."""

    new: NewContact
    created_at: dt.datetime
    won_at: dt.datetime | None
    tag_origin: str
    owner: int


def _ascii(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _phone(rng: random.Random, country: str) -> str:
    if country == "US":
        return f"+1{rng.choice(US_AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
    prefix = rng.choice(MOBILE_PREFIXES[country])
    code = "+34" if country == "ES" else "+48"
    digits = 9 - len(prefix)
    return f"{code}{prefix}{rng.randrange(10**digits):0{digits}d}"


def _team() -> tuple[User, str, User, str, User]:
    """The demo admin and sales users, with fresh passwords printed for this run."""
    users, passwords = [], []
    for username, role in (("admin", Role.ADMIN), ("sales", Role.SALES), ("sales2", Role.SALES)):
        password = secrets.token_urlsafe(9)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = create_user(
                SYSTEM,
                username=username,
                role=role,
                password=password,
                email=f"{username}@demo.test",
            )
        else:
            set_password(SYSTEM, user, password=password)
        users.append(user)
        passwords.append(password)
    return users[0], passwords[0], users[1], passwords[1], users[2]


def _definitions(admin: User) -> dict[str, PropertyDefinition]:
    have = {d.key: d for d in PropertyDefinition.objects.all()}
    for key, label, kind, choices in PROPERTIES:
        if key not in have:
            have[key] = define_property(admin, key=key, label=label, type=kind, choices=choices)
    return have


def _companies(fake: Faker) -> list[tuple[str, str]]:
    """About a hundred companies of the locale, created once; as stored, in the order drawn."""
    names = {}
    for _ in range(100):
        name = fake.company()[:255]
        names[name.casefold()] = (name, fake.domain_name())
    Company.objects.bulk_create(
        [
            Company(name=name, name_folded=folded, domain=domain)
            for folded, (name, domain) in names.items()
        ],
        ignore_conflicts=True,
    )
    stored = {c.name_folded: c for c in in_chunks(Company, "name_folded", list(names))}
    return [(stored[folded].name, stored[folded].domain) for folded in names]


def _pool(fake: Faker, locale: str, definitions: dict[str, PropertyDefinition]) -> LocalePool:
    region = fake.state if locale != "pl_PL" else fake.administrative_unit
    last_names = [fake.last_name() for _ in range(POOL)]
    return LocalePool(
        first_names=[(name, _ascii(name)) for name in (fake.first_name() for _ in range(POOL))],
        last_names=[(name, _ascii(name)) for name in last_names],
        streets=[fake.street_address().strip()[:255] for _ in range(POOL)],
        cities=[fake.city()[:255] for _ in range(POOL)],
        postal_codes=[fake.postcode()[:32] for _ in range(POOL)],
        regions=[region()[:255] for _ in range(POOL)],
        jobs=[fake.job()[:255] for _ in range(POOL)],
        ips=[fake.ipv4_public() for _ in range(POOL)],
        websites=[
            coerce_value(definitions["website"], f"https://www.{_ascii(name)}.example")
            for name in last_names
        ],
        companies=_companies(fake),
    )


def _drawing(definitions: dict[str, PropertyDefinition], now: dt.datetime) -> Drawing:
    """The pools of every locale, each Faker seeded from SEED, and the custom details' values
    in their stored form."""
    pools = {}
    for index, locale in enumerate(LOCALES):
        fake = Faker(locale)
        fake.seed_instance(SEED + index)
        pools[locale] = _pool(fake, locale, definitions)
    return Drawing(
        pools=pools,
        industries=list(definitions["industry"].choices),
        interests=list(definitions["interests"].choices),
        preferred_times=[
            coerce_value(definitions["preferred_contact"], t) for t in PREFERRED_TIMES
        ],
        budget=definitions["budget"],
        now=now,
    )


def load_demo(count: int, *, progress: Callable[[str], None] = print) -> DemoResult:
    """Create the demo team and `count` contacts (those not there yet)."""
    started = time.perf_counter()
    now = timezone.now()
    with transaction.atomic():
        admin, admin_password, sales, sales_password, sales2 = _team()
        drawing = _drawing(_definitions(admin), now)
        Tag.objects.bulk_create([Tag.named(name) for name in TAGS], ignore_conflicts=True)
    owners = [admin, sales, sales, sales2]
    batches = [(start, min(start + BATCH, count)) for start in range(0, count, BATCH)]
    drawn = _drawn_batches(drawing, batches, parallel=bulkload.helpers_worthwhile(count))
    names = Names()
    created = existing = 0
    # The e-mails drawn are the demo's own (numbered): into a database without contacts none
    # can be taken, and no batch needs looking them up.
    rerun = ContactEmail.objects.exists()
    # Reading the first batch starts any helper processes, which must be forked before the
    # connection is tuned for the load (see bulkload.bulk_load).
    first = next(drawn, None)
    with bulkload.bulk_load(written_tables()) as load:
        for group in load.transactions(itertools.chain([first] if first else [], drawn)):
            added = 0
            with transaction.atomic():
                for (_start, stop), rows in group:
                    fresh = _not_there(rows) if rerun else rows
                    if fresh:
                        _write_batch(fresh, admin, owners, names, now)
                    added += len(fresh)
                    existing += len(rows) - len(fresh)
                    progress(f"  {stop} / {count} contacts")
            load.added(added)
            created += added
    bulkload.refresh_statistics_after(created)
    # Apps above this one add their own demo content on this (segments: example segments).
    events.publish("demo.loaded", admin_id=admin.pk)
    return DemoResult(
        admin=admin.username,
        admin_password=admin_password,
        sales=sales.username,
        sales_password=sales_password,
        created=created,
        existing=existing,
        seconds=time.perf_counter() - started,
    )


_helper_drawing: Drawing | None = None


def _start_helper(drawing: Drawing, statuses: lead_statuses.Statuses) -> None:
    global _helper_drawing
    _helper_drawing = drawing
    lead_statuses.pin(statuses)  # read by the writer, once: a helper has no database


def _draw_in_helper(batch: tuple[int, int]) -> list[Drawn]:
    assert _helper_drawing is not None
    return draw_batch(_helper_drawing, *batch)


def _drawn_batches(
    drawing: Drawing, batches: list[tuple[int, int]], *, parallel: bool
) -> Iterator[tuple[tuple[int, int], list[Drawn]]]:
    """Each batch (its first and past-last position) with its contacts, drawn and prepared by
    helper processes while this one writes the batches before, if `parallel`."""
    if not parallel:
        for batch in batches:
            yield batch, draw_batch(drawing, *batch)
        return
    yield from bulkload.prepared_in_helpers(
        _draw_in_helper,
        batches,
        initializer=_start_helper,
        initargs=(drawing, lead_statuses.load()),
    )


def _not_there(rows: list[Drawn]) -> list[Drawn]:
    """The drawn contacts none of whose e-mails is taken (drawn by an earlier run)."""
    taken = set(
        ContactEmail.objects.filter(
            email_folded__in=[key for row in rows for key in row.new.folded]
        ).values_list("email_folded", flat=True)
    )
    if not taken:
        return rows
    return [row for row in rows if taken.isdisjoint(row.new.folded)]


def draw_batch(drawing: Drawing, start: int, stop: int) -> list[Drawn]:
    """The contacts at positions start to stop, drawn from a generator seeded by SEED and
    `start` alone, and prepared for a plan run in bulk."""
    rng = random.Random(f"{SEED}:{start}")
    return [_draw(drawing, rng, index) for index in range(start, stop)]


def _draw(drawing: Drawing, rng: random.Random, index: int) -> Drawn:
    locale = rng.choices(_LOCALES, cum_weights=_LOCALE_CUMULATIVE)[0]
    pool = drawing.pools[locale]
    country = LOCALES[locale][0]
    (first, first_plain), (last, last_plain) = (
        rng.choice(pool.first_names),
        rng.choice(pool.last_names),
    )
    company = rng.choice(pool.companies) if rng.random() < 0.75 else None
    domain = company[1] if company and rng.random() < 0.5 else rng.choice(MAIL_DOMAINS[country])
    email = f"{first}.{last}{index}@{domain}".replace(" ", "")
    if not email.isascii():
        email = f"{first_plain}.{last_plain}.{index}@{domain}"
    created_at = drawing.now - dt.timedelta(minutes=rng.randint(60, 2 * 365 * 24 * 60))
    status = rng.choices(_STATUSES, cum_weights=_STATUS_CUMULATIVE)[0]
    source = rng.choices(_SOURCES, cum_weights=_SOURCE_CUMULATIVE)[0]
    phones = [_phone(rng, country) for _ in range(rng.choice([0, 1, 1, 1, 2]))]
    from_web = source in _FROM_WEB
    from_ads = from_web and rng.random() < 0.5
    extra = (
        f"{first_plain}{index}@{rng.choice(['gmail.com', 'proton.me'])}"
        if rng.random() < 0.15
        else ""
    )
    messenger = (
        (rng.choice(["whatsapp", "telegram", "linkedin"]), f"{first_plain}{last_plain[:4]}")
        if rng.random() < 0.2
        else None
    )
    today = drawing.now.date()
    cleaned = {
        "email": email,
        "emails": [extra] if extra else [],
        "phones": list(dict.fromkeys(phones)),
        "messengers": [messenger] if messenger else [],
        "first_name": first,
        "last_name": last,
        "company": company[0] if company else "",
        "job_title": rng.choice(pool.jobs) if company else "",
        "street": rng.choice(pool.streets),
        "city": rng.choice(pool.cities),
        "postal_code": rng.choice(pool.postal_codes),
        "region": rng.choice(pool.regions),
        "country": country,
        "birthday": today - dt.timedelta(days=rng.randint(20 * 365, 70 * 365))
        if rng.random() < 0.4
        else None,
        "score": rng.randint(0, 100),
        "status": status,
        "source": source,
        "utm_source": rng.choice(["google", "facebook", "newsletter", "linkedin"])
        if from_ads
        else "",
        "utm_medium": "cpc" if from_ads else "",
        "utm_campaign": rng.choice(["spring_sale", "crm_trial", "webinar"]) if from_ads else "",
        "gclid": f"{rng.getrandbits(64):016x}" if from_ads else "",
        "ads_campaign": "Search — CRM" if from_ads else "",
        "ads_keyword": rng.choice(["crm", "crm software", "program crm"]) if from_ads else "",
        "ads_device": rng.choice(["mobile", "desktop"]) if from_ads else "",
        "created_ip": rng.choice(pool.ips) if from_web else None,
        "created_url": "https://www.example.com/contact" if from_web else "",
        "properties": _property_values(drawing, rng, pool, today),
        "tags": rng.sample(TAGS, rng.choice([0, 1, 1, 2, 3])),
    }
    return Drawn(
        prepare(cleaned, adapt=True),
        created_at,
        created_at + dt.timedelta(days=rng.randint(1, 60)) if status == Status.WON else None,
        rng.choice(_ORIGINS),
        rng.randrange(4),
    )


def _property_values(
    drawing: Drawing, rng: random.Random, pool: LocalePool, today: dt.date
) -> dict:
    """About 70 % of the custom details, each in its stored form (as coerce_value gives it)."""
    values: dict = {}
    if rng.random() < 0.7:
        values["industry"] = rng.choice(drawing.industries)
    if rng.random() < 0.7:
        values["employees"] = rng.choice([1, 5, 12, 40, 85, 250, 1200])
    if rng.random() < 0.7:
        budget = f"{rng.randint(500, 90000)}.{rng.randint(0, 99):02d}"
        values["budget"] = coerce_value(drawing.budget, budget)
    if rng.random() < 0.7:
        values["newsletter_opt_in"] = rng.random() < 0.6
    if rng.random() < 0.7:
        values["website"] = rng.choice(pool.websites)
    if rng.random() < 0.7:
        values["first_purchase"] = (today - dt.timedelta(days=rng.randint(0, 3 * 365))).isoformat()
    if rng.random() < 0.7:
        values["interests"] = sorted(rng.sample(drawing.interests, rng.randint(1, 3)))
    if rng.random() < 0.7 and (preferred := rng.choice(drawing.preferred_times)) is not None:
        values["preferred_contact"] = preferred
    return values


# How the timeline names who added a demo contact's tags, by their origin.
_ORIGIN_LABELS = {
    TagOrigin.IMPORT: "import: leads.xlsx",
    TagOrigin.FORM: "form: Newsletter",
    TagOrigin.RULE: "rule: Welcome series",
}


def _write_batch(
    rows: list[Drawn], admin: User, owners: list[User], names: Names, now: dt.datetime
) -> None:
    """Write the rows through the contacts write plan, in bulk, dated as drawn: created by
    the admin by hand or by the system from their source, some won later."""
    authors, won_at = [], []
    for row in rows:
        cleaned = row.new.cleaned
        cleaned["owners"] = [owners[row.owner]]
        manual = cleaned["source"] == Source.MANUAL
        label = _ORIGIN_LABELS.get(row.tag_origin, "" if manual else cleaned["source"])
        authors.append(Author(admin if manual else SYSTEM, label, row.tag_origin))
        won_at.append(min(row.won_at, now) if row.won_at else None)
    plan, refs = plan_new_contacts(
        authors[0],
        [row.new for row in rows],
        names=names,
        now=now,
        created_at=[row.created_at for row in rows],
        won_at=won_at,
        authors=authors,
        adapted=True,
    )
    # The history before the win: each won contact was an opportunity first.
    plan.entries += [
        kinds.status_changed(
            ref,
            actor=admin,
            actor_label="",
            old=Status.OPPORTUNITY,
            new=Status.WON,
            occurred_at=won,
        )
        for ref, won in zip(refs, won_at, strict=True)
        if won
    ]
    run_bulk(plan)
