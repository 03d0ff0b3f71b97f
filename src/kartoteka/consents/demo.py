"""The demo's consents: e-mail marketing consent for most demo contacts and SMS for some,
recorded as imported, with a few withdrawn later (subscriber of "demo.loaded"), as a bulk load
(core.bulkload): on PostgreSQL the planner's statistics follow the consent tables as they grow
from empty, so the checks of each batch (and mailing's after it) look rows up by index."""

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from kartoteka.accounts.models import User
from kartoteka.consents.models import Channel, ConsentEntry, ConsentState, Source, Status
from kartoteka.consents.services import ConsentItem, record_consents
from kartoteka.core import bulkload
from kartoteka.core.scope import visible_contacts

SEED = 20240602
PURPOSE = "marketing"
BATCH = 2000
# Shares of the demo contacts: e-mail consent, SMS consent, withdrawn of those consenting.
EMAIL_SHARE, SMS_SHARE, WITHDRAWN_SHARE = 0.6, 0.2, 0.03
PROOF = {"where": "import: newsletter-signups.csv"}


def add_demo_consents(event: str, admin_id: int, **payload: Any) -> None:
    """Consents for the demo contacts, once (a demo with consents recorded adds none)."""
    if ConsentEntry.objects.exists():
        return
    admin = User.objects.get(pk=admin_id)
    rng = random.Random(SEED)
    now = timezone.now()
    items: list[ConsentItem] = []
    for contact_id in visible_contacts(admin).order_by("pk").values_list("pk", flat=True):
        given = now - dt.timedelta(minutes=rng.randint(60, 365 * 24 * 60))
        for channel, share in ((Channel.EMAIL, EMAIL_SHARE), (Channel.SMS, SMS_SHARE)):
            if rng.random() >= share:
                continue
            items.append(
                ConsentItem(
                    contact_id, channel, PURPOSE, Status.GRANTED, Source.IMPORT, PROOF, given
                )
            )
            if rng.random() < WITHDRAWN_SHARE:
                later = given + (now - given) * rng.random()
                items.append(
                    ConsentItem(
                        contact_id, channel, PURPOSE, Status.WITHDRAWN, Source.IMPORT, PROOF, later
                    )
                )
    batches = [items[start : start + BATCH] for start in range(0, len(items), BATCH)]
    tables = [ConsentEntry._meta.db_table, ConsentState._meta.db_table]

    def write(batch: list) -> int:
        record_consents(admin, batch, actor_label="import")
        return len(batch)

    bulkload.load_batches(tables, batches, write)
