"""What merge and forget do with mailing's tables; declared from the app's ready()."""

from kartoteka.core.relations import CODE, ERASE, MOVE, MOVE_UNIQUE, NAMES, Policy, declare


def declare_relations() -> None:
    declare(
        policies={
            # Both contacts' subscriptions survive a merge; on a list both were on, the
            # survivor's own subscription stays.
            "mailing.Subscription.contact": Policy(MOVE_UNIQUE, ERASE, unique=("mailing_list",)),
            # The e-mails sent to the person are theirs: they follow the merge, forget erases
            # them (address, subject and body are personal data).
            "mailing.OutgoingEmail.contact": Policy(MOVE, ERASE),
        },
        mentions={
            # A mailing's text is written by the team and may name a person.
            "mailing.Mailing": ("subject", "body"),
            # A test send has no contact: its copy of the mailing's text is swept as well.
            "mailing.OutgoingEmail": ("subject", "body_text", "body_html"),
        },
        not_swept={
            "mailing.MailingList": NAMES,
            "mailing.Subscription": CODE,
            "mailing.OutgoingEmail.to_address": "erased with its contact; without one, the "
            "address of a team member's test send",
            "mailing.OutgoingEmail.headers": CODE,
            "mailing.OutgoingEmail.kind": CODE,
            "mailing.OutgoingEmail.status": CODE,
            "mailing.Mailing.status": CODE,
            "mailing.OutgoingEmail.message_id": CODE,
            "mailing.OutgoingEmail.error": "the mail server's answer",
            "mailing.SubscribeRun": "a filter document and counts, never personal data",
        },
    )
