"""Realistic demo data: team members, custom details and thousands of contacts in three locales.

Contacts are written in batches through the contacts write plan run in bulk (contacts.plan), the
same rows, timeline entries and events a service call per contact would write, with the history
a demo needs (creation and win dates, who created each contact) on top. The data is drawn from
a fixed seed, so a second run finds every contact already there and adds nothing.
"""

import datetime as dt
import random
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import phonenumbers
from django.db import transaction
from django.utils import timezone
from faker import Faker

from kartoteka.accounts.models import Role, User
from kartoteka.accounts.services import create_user, set_password
from kartoteka.contacts import kinds
from kartoteka.contacts.models import (
    Company,
    ContactEmail,
    PropertyDefinition,
    Source,
    Status,
    Tag,
    TagOrigin,
)
from kartoteka.contacts.plan import Author, Names, plan_new_contacts, prepare, run_bulk
from kartoteka.contacts.properties import coerce_value
from kartoteka.contacts.services import define_property
from kartoteka.core import database, events
from kartoteka.core.normalise import fold_email
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
MOBILE_PREFIXES = {"ES": ["6", "7"], "PL": ["50", "51", "53", "57", "60", "66", "69", "72", "79"]}
US_AREA_CODES = ["212", "312", "415", "512", "617", "646", "702", "818", "917"]


@dataclass
class DemoResult:
    admin: str
    admin_password: str
    sales: str
    sales_password: str
    created: int
    existing: int
    seconds: float


def _ascii(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _phone(rng: random.Random, country: str) -> str:
    while True:
        if country == "US":
            raw = f"+1{rng.choice(US_AREA_CODES)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        else:
            prefix = rng.choice(MOBILE_PREFIXES[country])
            code = "+34" if country == "ES" else "+48"
            raw = code + prefix + "".join(str(rng.randint(0, 9)) for _ in range(9 - len(prefix)))
        if phonenumbers.is_valid_number(phonenumbers.parse(raw)):
            return raw


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


def _property_values(
    rng: random.Random, fake: Faker, definitions: dict[str, PropertyDefinition]
) -> dict:
    raw = {
        "industry": rng.choice(definitions["industry"].choices),
        "employees": rng.choice([1, 5, 12, 40, 85, 250, 1200]),
        "budget": f"{rng.randint(500, 90000)}.{rng.randint(0, 99):02d}",
        "newsletter_opt_in": rng.random() < 0.6,
        "website": f"https://www.{_ascii(fake.last_name())}.example",
        "first_purchase": fake.date_between(start_date="-3y", end_date="today"),
        "interests": rng.sample(definitions["interests"].choices, rng.randint(1, 3)),
        "preferred_contact": rng.choice(["mornings", "afternoons", "after 17:00", ""]),
    }
    return {
        key: value
        for key, value in (
            (key, coerce_value(definitions[key], value))
            for key, value in raw.items()
            if rng.random() < 0.7
        )
        if value is not None
    }


def _companies(fakers: dict[str, Faker]) -> dict[str, list[Company]]:
    """About a hundred companies per locale, created once."""
    by_locale: dict[str, list[Company]] = {}
    for locale, fake in fakers.items():
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
        by_locale[locale] = list(Company.objects.filter(name_folded__in=names))
    return by_locale


def _tags() -> list[Tag]:
    Tag.objects.bulk_create([Tag.named(name) for name in TAGS], ignore_conflicts=True)
    return list(Tag.objects.filter(name_folded__in=[t.casefold() for t in TAGS]))


def load_demo(count: int, *, progress: Callable[[str], None] = print) -> DemoResult:
    """Create the demo team and `count` contacts (those not there yet)."""
    started = time.perf_counter()
    rng = random.Random(SEED)
    fakers = {locale: Faker(locale) for locale in LOCALES}
    for index, fake in enumerate(fakers.values()):
        fake.seed_instance(SEED + index)
    with transaction.atomic():
        admin, admin_password, sales, sales_password, sales2 = _team()
        definitions = _definitions(admin)
        companies = _companies(fakers)
        tags = _tags()
    owners_pool = [admin, sales, sales, sales2]
    locales = list(LOCALES)
    weights = [share for _country, share in LOCALES.values()]
    now = timezone.now()
    names = Names()
    created = existing = 0
    for start in range(0, count, BATCH):
        rows = []
        for index in range(start, min(start + BATCH, count)):
            locale = rng.choices(locales, weights)[0]
            row = _draw(index, locale, fakers[locale], rng, companies, definitions, now)
            # Drawn here, not when writing, so the sequence is the same whatever is skipped.
            row["cleaned"]["owners"] = [rng.choice(owners_pool)]
            tag_names = [tag.name for tag in rng.sample(tags, rng.choice([0, 1, 1, 2, 3]))]
            row["tag_origin"] = rng.choice(
                [TagOrigin.USER, TagOrigin.IMPORT, TagOrigin.FORM, TagOrigin.RULE]
            )
            row["cleaned"]["tags"] = tag_names
            rows.append(row)
        taken = set(
            ContactEmail.objects.filter(
                email_folded__in=[fold_email(a) for r in rows for a in _addresses(r)]
            ).values_list("email_folded", flat=True)
        )
        fresh = [r for r in rows if not {fold_email(a) for a in _addresses(r)} & taken]
        existing += len(rows) - len(fresh)
        if fresh:
            with transaction.atomic():
                _write_batch(fresh, admin, names, now)
            created += len(fresh)
        progress(f"  {min(start + BATCH, count)} / {count} contacts")
    database.refresh_planner_statistics()
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


def _draw(
    index: int,
    locale: str,
    fake: Faker,
    rng: random.Random,
    companies: dict[str, list[Company]],
    definitions: dict[str, PropertyDefinition],
    now: dt.datetime,
) -> dict:
    country = LOCALES[locale][0]
    first, last = fake.first_name(), fake.last_name()
    company = rng.choice(companies[locale]) if rng.random() < 0.75 else None
    domain = company.domain if company and rng.random() < 0.5 else rng.choice(MAIL_DOMAINS[country])
    email = f"{first}.{last}{index}@{domain}".replace(" ", "")
    email = f"{_ascii(first)}.{_ascii(last)}.{index}@{domain}" if not email.isascii() else email
    created_at = now - dt.timedelta(minutes=rng.randint(60, 2 * 365 * 24 * 60))
    status = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
    source = rng.choices(list(SOURCE_WEIGHTS), list(SOURCE_WEIGHTS.values()))[0]
    phones = [_phone(rng, country) for _ in range(rng.choice([0, 1, 1, 1, 2]))]
    from_ads = source in (Source.FORM, Source.LANDING_PAGE) and rng.random() < 0.5
    extra = (
        f"{_ascii(first)}{index}@{rng.choice(['gmail.com', 'proton.me'])}"
        if rng.random() < 0.15
        else ""
    )
    messenger = (
        (rng.choice(["whatsapp", "telegram", "linkedin"]), f"{_ascii(first)}{_ascii(last)[:4]}")
        if rng.random() < 0.2
        else None
    )
    return {
        "email": email,
        "cleaned": {
            "email": email,
            "emails": [extra] if extra else [],
            "phones": list(dict.fromkeys(phones)),
            "messengers": [messenger] if messenger else [],
            "first_name": first,
            "last_name": last,
            "company": company.name if company else "",
            "job_title": fake.job()[:255] if company else "",
            "street": fake.street_address().strip()[:255],
            "city": fake.city()[:255],
            "postal_code": fake.postcode()[:32],
            "region": (fake.state() if locale != "pl_PL" else fake.administrative_unit())[:255],
            "country": country,
            "birthday": fake.date_of_birth(minimum_age=20, maximum_age=70)
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
            "gclid": secrets.token_hex(8) if from_ads else "",
            "ads_campaign": "Search — CRM" if from_ads else "",
            "ads_keyword": rng.choice(["crm", "crm software", "program crm"]) if from_ads else "",
            "ads_device": rng.choice(["mobile", "desktop"]) if from_ads else "",
            "created_ip": fake.ipv4_public()
            if source in (Source.FORM, Source.LANDING_PAGE)
            else None,
            "created_url": "https://www.example.com/contact"
            if source in (Source.FORM, Source.LANDING_PAGE)
            else "",
            "properties": _property_values(rng, fake, definitions),
        },
        "created_at": created_at,
        "won_at": created_at + dt.timedelta(days=rng.randint(1, 60))
        if status == Status.WON
        else None,
    }


def _addresses(row: dict) -> list[str]:
    return [row["cleaned"]["email"], *row["cleaned"]["emails"]]


# How the timeline names who added a demo contact's tags, by their origin.
_ORIGIN_LABELS = {
    TagOrigin.IMPORT: "import: leads.xlsx",
    TagOrigin.FORM: "form: Newsletter",
    TagOrigin.RULE: "rule: Welcome series",
}


def _write_batch(rows: list[dict], admin: User, names: Names, now: dt.datetime) -> None:
    """Write the rows through the contacts write plan, in bulk, dated as drawn: created by
    the admin by hand or by the system from their source, some won later."""
    authors, won_at = [], []
    for row in rows:
        cleaned = row["cleaned"]
        manual = cleaned["source"] == Source.MANUAL
        label = _ORIGIN_LABELS.get(row["tag_origin"], "" if manual else cleaned["source"])
        authors.append(Author(admin if manual else SYSTEM, label, row["tag_origin"]))
        won = row["won_at"]
        won_at.append(min(won, now) if won else None)
    plan, refs = plan_new_contacts(
        authors[0],
        [prepare(row["cleaned"]) for row in rows],
        names=names,
        now=now,
        created_at=[row["created_at"] for row in rows],
        won_at=won_at,
        authors=authors,
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
