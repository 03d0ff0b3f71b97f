"""What merge and forget do with deals' tables; declared from the app's ready()."""

from kartoteka.core.relations import CODE, ERASE, MOVE_UNIQUE, NAMES, Policy, declare


def declare_relations() -> None:
    declare(
        policies={
            # A merge moves the survivor into the merged contact's deals; forget takes the
            # person out of them, while the deal (amount, stages, history) stays for reports.
            "deals.DealContact.contact": Policy(MOVE_UNIQUE, ERASE, unique=("deal",)),
        },
        mentions={
            "deals.Deal": ("name", "close_reason", "properties"),
            "deals.StageMove": ("reason",),
            "deals.DealNote": ("body",),
        },
        not_swept={
            "deals.Pipeline": NAMES,
            "deals.Stage": NAMES,
            "deals.DealType": NAMES,
            "deals.DealField": NAMES,
            "deals.Deal.currency": CODE,
            "deals.Deal.status": CODE,
        },
    )
