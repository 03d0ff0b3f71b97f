"""What merge and forget do with segments' tables; declared from the app's ready()."""

from kartoteka.core.relations import CODE, ERASE, KEEP, NAMES, Policy, declare


def declare_relations() -> None:
    declare(
        policies={
            # Derived from the timeline by database triggers, which follow the timeline's moves and
            # erasures themselves; forget erases what is left.
            "segments.ActivityRecency.contact": Policy(KEEP, ERASE),
        },
        not_swept={
            # Live rules that select contacts: rewriting one would change whom it selects.
            "segments.SavedFilter": NAMES,
            "segments.Segment": NAMES,
            "segments.ActivityRecency": CODE,
        },
    )
