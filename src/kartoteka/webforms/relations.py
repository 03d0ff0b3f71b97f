"""What merge and forget do with the forms' tables; declared from the app's ready()."""

from kartoteka.core.relations import ERASE, MOVE, NAMES, Policy, declare


def declare_relations() -> None:
    declare(
        policies={
            # What the merged person filled in is the survivor's; forget erases it.
            "webforms.Submission.contact": Policy(MOVE, ERASE),
        },
        not_swept={
            "webforms.WebForm": NAMES,
            "webforms.Submission": "a submission of the forgotten person is erased with them",
        },
    )
