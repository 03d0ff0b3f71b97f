"""What merge and forget do with deals' tables; declared from the app's ready()."""

from kartoteka.core.relations import (
    ANONYMISE,
    CODE,
    KEEP,
    MOVE_UNIQUE,
    NAMES,
    Policy,
    declare,
)


def declare_relations() -> None:
    declare(
        policies={
            # A merge moves the survivor into the merged contact's deals. Forget keeps the link
            # without the person, and a deal left with nobody identifiable loses its free text
            # (services.forget_mentions); amount, stages and history stay for the reports.
            "deals.DealContact.contact": Policy(MOVE_UNIQUE, ANONYMISE, unique=("deal",)),
            # Who may see a deal through a contact: recomputed from the links and the owners
            # by the services whenever either changes (a merge moves the links, and the
            # merged contact's rows go with its links), and deleted with the contact.
            "deals.DealViewer.contact": Policy(KEEP, KEEP, derived=True),
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
            "deals.DealImport.file_name": "the name of a file the team imported deals from",
        },
    )
