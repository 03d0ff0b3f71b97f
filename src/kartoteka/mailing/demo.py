"""The demo's mailing lists, "Newsletter" and "Product updates", with subscribers among the
contacts who consented to e-mail marketing (subscriber of "demo.loaded", after consents').
Without double opt-in no confirmation e-mail is queued: the demo sends nothing. Subscribed a
chunk of contacts at a time as a bulk load (core.bulkload), so on PostgreSQL the planner's
statistics follow the subscriptions as they grow from empty."""

import random
from typing import Any

from kartoteka.accounts.models import User
from kartoteka.core import bulkload
from kartoteka.core.scope import visible_contacts
from kartoteka.mailing.models import MailingList, Subscription, SubscriptionSource
from kartoteka.mailing.services import create_list, subscribe_contacts

SEED = 20240603
CHUNK = 10_000
# (key, name, description, share of the contacts asked to subscribe)
LISTS = [
    ("newsletter", "Newsletter", "News, offers and events, once a month.", 0.7),
    ("product-updates", "Product updates", "What is new in the product.", 0.35),
]


def add_demo_lists(event: str, admin_id: int, **payload: Any) -> None:
    """The demo lists, each made and filled once (a list there already is left as it is).
    Contacts without e-mail marketing consent are refused by the subscription itself."""
    admin = User.objects.get(pk=admin_id)
    rng = random.Random(SEED)
    ids = list(visible_contacts(admin).order_by("pk").values_list("pk", flat=True))
    have = set(MailingList.objects.values_list("key", flat=True))
    for key, name, description, share in LISTS:
        chosen = [pk for pk in ids if rng.random() < share]
        if key in have:
            continue
        mailing_list = create_list(
            admin,
            data={"key": key, "name": name, "description": description, "double_opt_in": False},
        )
        chunks = [chosen[start : start + CHUNK] for start in range(0, len(chosen), CHUNK)]
        bulkload.load_batches(
            [Subscription._meta.db_table],
            chunks,
            lambda chunk, mailing_list=mailing_list: (
                subscribe_contacts(
                    admin,
                    mailing_list,
                    contact_ids=chunk,
                    double_opt_in=False,
                    source=SubscriptionSource.IMPORT,
                ).subscribed
            ),
        )
