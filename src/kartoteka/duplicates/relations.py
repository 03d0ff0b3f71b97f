"""What merge and forget do with duplicates' tables; declared from the app's ready()."""

from kartoteka.core.relations import CODE, ERASE, KEEP, MOVE, NAMES, Policy, declare


def declare_relations() -> None:
    declare(
        policies={
            "duplicates.MergeRecord.survivor": Policy(MOVE, ERASE),
            # A stored duplicate group names the contact as found by a scan; the merge deletes the
            # merged contact and with it its membership, which shrinks the group on the page.
            "duplicates.DuplicateMember.contact": Policy(KEEP, ERASE),
            # Plain id columns (no foreign key) that name a contact.
            # An undone merge's record still holds the restored contact's snapshot.
            "duplicates.MergeRecord.merged_contact_id": Policy(KEEP, ERASE),
        },
        not_swept={
            "duplicates.MatchingRule": NAMES,
            "duplicates.MergeRecord": (
                "a merge's snapshot is of the merged contacts (erased with them)"
            ),
            "duplicates.DuplicateScan": CODE,
            "duplicates.DuplicateGroup": "the names of the rules that matched",
        },
    )
