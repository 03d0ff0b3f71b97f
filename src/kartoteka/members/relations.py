"""What merge and forget do with members' tables; declared from the app's ready()."""

from kartoteka.core.relations import CODE, ERASE, MOVE_UNIQUE, NAMES, Policy, declare


def declare_relations() -> None:
    declare(
        policies={
            # One membership per contact: the survivor's own stays, else the merged contact's
            # moves to it (with its password). Forget erases it, its password hash and sessions.
            "members.Member.contact": Policy(MOVE_UNIQUE, ERASE),
            # The groups of both contacts survive on the survivor.
            "members.GroupMembership.contact": Policy(MOVE_UNIQUE, ERASE, unique=("group",)),
        },
        not_swept={
            "members.Credential": "a password hash",
            "members.MemberToken": "a digest of a session token",
            "members.MemberGroup": NAMES,
            "members.GroupMembership": CODE,
            "members.Member": CODE,
            "members.MembersSettings": NAMES,
        },
    )
