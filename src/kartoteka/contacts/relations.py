"""What merge and forget do with contacts' tables; declared from the app's ready()."""

from kartoteka.core.relations import (
    CARD,
    CARD_DATA,
    CODE,
    ERASE,
    MOVE_UNIQUE,
    NAMES,
    Policy,
    declare,
)


def declare_relations() -> None:
    declare(
        policies={
            "contacts.ContactEmail.contact": Policy(CARD, ERASE),
            "contacts.ContactPhone.contact": Policy(CARD, ERASE),
            "contacts.MessengerHandle.contact": Policy(CARD, ERASE),
            "contacts.ContactOwner.contact": Policy(CARD, ERASE),
            "contacts.ContactTag.contact": Policy(MOVE_UNIQUE, ERASE, unique=("tag",)),
        },
        # A bulk change keeps the list's query it applies to, typed to find people.
        mentions={"contacts.BulkChange": ("params", "message")},
        not_swept={
            "contacts.BulkChange.action": CODE,
            "contacts.BulkChange.value": NAMES,  # a tag, a team member's username or a status
            "contacts.BulkChange.language": CODE,
            "contacts.BulkChange.status": CODE,
            "contacts.Contact": CARD_DATA,
            "contacts.ContactEmail": CARD_DATA,
            "contacts.ContactPhone": CARD_DATA,
            "contacts.MessengerHandle": CARD_DATA,
            "contacts.ContactTag": CARD_DATA,
            "contacts.Company": "a company's own record",
            "contacts.Tag": NAMES,
            "contacts.PropertyDefinition": NAMES,
            "contacts.LeadStatus": NAMES,
        },
    )
