"""What merge and forget do with consents' tables; declared from the app's ready()."""

from kartoteka.core.relations import (
    CODE,
    ERASE,
    MOVE,
    MOVE_UNIQUE,
    NAMES,
    Policy,
    declare,
)


def declare_relations() -> None:
    from kartoteka.consents.services import forget_addresses

    declare(
        before_forget=forget_addresses,
        policies={
            # The ledger of both contacts survives a merge; forget leaves only the hashed
            # suppression entries (which name no contact).
            "consents.ConsentEntry.contact": Policy(MOVE, ERASE),
            # Worked out again from the merged ledger once the merge commits (latest wins).
            "consents.ConsentState.contact": Policy(
                MOVE_UNIQUE, ERASE, unique=("channel", "purpose")
            ),
            "consents.Block.contact": Policy(MOVE, ERASE),
        },
        mentions={
            "consents.ConsentEntry": ("proof",),
            "consents.Block": ("reason",),
        },
        not_swept={
            "consents.ConsentEntry.channel": CODE,
            "consents.ConsentEntry.purpose": CODE,
            "consents.ConsentEntry.status": CODE,
            "consents.ConsentEntry.source": CODE,
            "consents.ConsentEntry.actor_label": "a team member, a form, an import or the system",
            "consents.ConsentState": CODE,
            "consents.Purpose": NAMES,
            "consents.LegalText": "legal texts the team publishes, not notes about people",
            "consents.Suppression": "a hash of an address, a channel and a reason code",
            "consents.Block.blocked_by_label": "a team member, a rule or the system",
        },
    )
