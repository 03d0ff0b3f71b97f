"""What merge and forget do with the timeline's tables and the team's work on a contact;
declared from the app's ready()."""

from kartoteka.core.relations import (
    ANONYMISE,
    CARD_DATA,
    CODE,
    ERASE,
    MOVE,
    MOVE_UNIQUE,
    Policy,
    declare,
)


def declare_relations() -> None:
    declare(
        policies={
            # The timeline keeps that something happened, without who it was about or its details.
            "activity.Activity.contact": Policy(
                MOVE,
                ANONYMISE,
                scrub=("payload", "actor_label"),
                clear={"detail_type": "", "detail_id": None},
            ),
            "activity.Note.contact": Policy(MOVE, ERASE),
            "activity.Comment.contact": Policy(MOVE, ERASE),
            "activity.TaskContact.contact": Policy(
                MOVE_UNIQUE, ERASE, unique=("task",), follow=("task",)
            ),
            "activity.ContactFile.contact": Policy(MOVE, ERASE, files=("file",)),
            "activity.Notification.contact": Policy(MOVE, ERASE),
        },
        mentions={
            "activity.Activity": ("payload",),
            "activity.Note": ("body",),
            "activity.Comment": ("body",),
            "activity.Task": ("title", "description"),
            "activity.Notification": ("text",),
        },
        not_swept={
            "activity.Activity.kind": CODE,
            "activity.Activity.actor_label": "a team member, a rule or an import",
            "activity.Activity.detail_type": CODE,
            "activity.Note.body_html": "rendered again from the body when the body changes",
            "activity.Comment.body_html": "rendered again from the body when the body changes",
            "activity.Task.status": CODE,
            "activity.Task.created_by_label": "a team member, a rule or an import",
            "activity.ContactFile": CARD_DATA,
            "activity.Notification.kind": CODE,
            "activity.Notification.actor_label": "a team member, a rule or an import",
        },
    )
