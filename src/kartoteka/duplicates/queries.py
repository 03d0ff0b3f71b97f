"""Reads for duplicates: the contacts an actor may see as finder records, the groups found among
them, the matching rules and the merges that can still be undone."""

from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone

from kartoteka.contacts.models import Contact, ContactEmail, ContactPhone
from kartoteka.contacts.queries import with_card_data
from kartoteka.core.errors import NotFound
from kartoteka.core.scope import visible_contacts
from kartoteka.duplicates.matching import Record, Result, Rule, find_groups, make_record
from kartoteka.duplicates.models import MatchingRule, MergeRecord

UNDO_DAYS = 30
BATCH = 5000


def matching_rules(*, active_only: bool = False) -> QuerySet[MatchingRule]:
    rules = MatchingRule.objects.all()
    return rules.filter(is_active=True) if active_only else rules


def as_rule(rule: MatchingRule) -> Rule:
    return Rule(
        name=rule.name,
        conditions=tuple((c["field"], c["match"]) for c in rule.conditions),
        combine=rule.combine,
        min_similarity=rule.min_similarity,
        confidence=rule.confidence,
    )


def _in_reach(actor) -> QuerySet[Contact]:
    """The actor's contacts; None is the system itself (the CLI run on the server), like in
    the services."""
    return Contact.objects.all() if actor is None else visible_contacts(actor)


def finder_records(actor) -> list[Record]:
    """Every contact the actor may see, as the finder's records, read in batches."""
    contacts = _in_reach(actor).order_by("pk")
    records: list[Record] = []
    last = 0
    while True:
        rows = list(
            contacts.filter(pk__gt=last).values_list(
                "pk", "first_name", "last_name", "company__name", "city", "postal_code"
            )[:BATCH]
        )
        if not rows:
            return records
        ids = [row[0] for row in rows]
        emails: dict[int, list[str]] = defaultdict(list)
        phones: dict[int, list[str]] = defaultdict(list)
        for contact_id, email in ContactEmail.objects.filter(contact_id__in=ids).values_list(
            "contact_id", "email"
        ):
            emails[contact_id].append(email)
        for contact_id, number in ContactPhone.objects.filter(contact_id__in=ids).values_list(
            "contact_id", "number"
        ):
            phones[contact_id].append(number)
        for pk, first, last_name, company, city, postal_code in rows:
            records.append(
                make_record(
                    pk,
                    first_name=first,
                    last_name=last_name,
                    emails=emails[pk],
                    phones=phones[pk],
                    company=company or "",
                    city=city,
                    postal_code=postal_code,
                )
            )
        last = ids[-1]


def contact_names(actor, contact_ids: list[int]) -> dict[int, str]:
    """Display names of the listed contacts the actor may see (None: the whole workspace)."""
    return {
        pk: f"{first} {last}".strip() or email
        for pk, first, last, email in _in_reach(actor)
        .filter(pk__in=contact_ids)
        .values_list("pk", "first_name", "last_name", "email")
    }


def duplicate_groups(actor) -> Result:
    """Groups of contacts the actor may see that the active rules say are one person."""
    rules = [as_rule(r) for r in matching_rules(active_only=True)]
    return find_groups(finder_records(actor), rules)


def contacts_for_comparison(actor, contact_ids: list[int]) -> list[Contact]:
    """The contacts side by side, in the order asked; NotFound if any is out of reach."""
    found = {c.pk: c for c in with_card_data(_in_reach(actor)).filter(pk__in=contact_ids)}
    missing = [i for i in contact_ids if i not in found]
    if missing:
        raise NotFound(f"No such contact: {', '.join(f'#{i}' for i in missing)}.")
    return [found[i] for i in contact_ids]


def undoable_merges(actor, contact: Contact | None = None) -> QuerySet[MergeRecord]:
    """Merges the actor could still undo (those of the last 30 days onto visible survivors)."""
    merges = MergeRecord.objects.filter(
        survivor__in=visible_contacts(actor), undone_at__isnull=True, expires_at__gt=timezone.now()
    )
    if contact is not None:
        merges = merges.filter(survivor=contact)
    return merges.select_related("merged_by", "survivor")


def get_merge(actor, merge_id: int) -> MergeRecord:
    merge = (
        MergeRecord.objects.filter(pk=merge_id, survivor__in=visible_contacts(actor))
        .select_related("survivor")
        .first()
    )
    if merge is None:
        raise NotFound("No such merge.")
    return merge
