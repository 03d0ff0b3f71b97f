"""What merge and forget do with privacy's tables; declared from the app's ready()."""

from kartoteka.core.relations import KEEP, Policy, declare


def declare_relations() -> None:
    declare(
        policies={
            "privacy.ForgetRecord.contact_id": Policy(KEEP, KEEP),
        },
        not_swept={
            "privacy.ForgetRecord": "counts of what was erased, never the data",
        },
    )
