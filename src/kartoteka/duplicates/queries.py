"""Reads for duplicates: the contacts as finder records, the scans and the groups they stored (as
each viewer may see them), the matching rules and the merges that can still be undone."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from kartoteka.contacts.models import Contact, ContactEmail, ContactPhone
from kartoteka.contacts.queries import with_card_data
from kartoteka.core.errors import NotFound
from kartoteka.core.scope import is_admin, visible_contacts
from kartoteka.duplicates.matching import Record, Rule, make_record
from kartoteka.duplicates.models import (
    ACTIVE_STATES,
    DuplicateGroup,
    DuplicateMember,
    DuplicateScan,
    MatchingRule,
    MergeRecord,
    ScanState,
)

UNDO_DAYS = 30
BATCH = 20000
# A scan that has not reported progress for this long lost its worker; a new one may start.
STALLED_AFTER = timedelta(minutes=15)


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


def finder_records(progress: Callable[[int], None] | None = None) -> list[Record]:
    """Every contact of the workspace as the finder's records, a batch of ids at a time.

    A scan compares the whole workspace once and narrows the groups to each viewer when they
    are read, so this reads without a scope. `progress` hears how many are read so far.
    """
    records: list[Record] = []
    last = 0
    while True:
        rows = list(
            Contact.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "first_name", "last_name", "company__name", "city", "postal_code")[
                :BATCH
            ]
        )
        if not rows:
            return records
        first_id, last = rows[0][0], rows[-1][0]
        # An id range, not a list of ids: one index range scan per table instead of a long IN.
        emails: dict[int, list[str]] = defaultdict(list)
        phones: dict[int, list[str]] = defaultdict(list)
        for contact_id, email in ContactEmail.objects.filter(
            contact_id__gte=first_id, contact_id__lte=last
        ).values_list("contact_id", "email"):
            emails[contact_id].append(email)
        for contact_id, number in ContactPhone.objects.filter(
            contact_id__gte=first_id, contact_id__lte=last
        ).values_list("contact_id", "number"):
            phones[contact_id].append(number)
        no_values: list[str] = []
        records.extend(
            make_record(
                pk,
                first_name=first,
                last_name=last_name,
                emails=emails.get(pk, no_values),
                phones=phones.get(pk, no_values),
                company=company or "",
                city=city,
                postal_code=postal_code,
            )
            for pk, first, last_name, company, city, postal_code in rows
        )
        if progress is not None:
            progress(len(records))


def contact_names(actor, contact_ids: list[int]) -> dict[int, str]:
    """Display names of the listed contacts the actor may see (None: the whole workspace)."""
    return {
        pk: f"{first} {last}".strip() or email
        for pk, first, last, email in _in_reach(actor)
        .filter(pk__in=contact_ids)
        .values_list("pk", "first_name", "last_name", "email")
    }


def active_rules() -> list[Rule]:
    return [as_rule(r) for r in matching_rules(active_only=True)]


def last_scan() -> DuplicateScan | None:
    """The newest finished scan: the one whose groups are shown."""
    done = DuplicateScan.objects.filter(state=ScanState.DONE)
    return done.order_by("-finished_at", "-id").first()


def running_scan() -> DuplicateScan | None:
    """A scan queued or under way, unless it has not moved for STALLED_AFTER (its worker died)."""
    return (
        DuplicateScan.objects.filter(
            state__in=ACTIVE_STATES, updated_at__gt=timezone.now() - STALLED_AFTER
        )
        .order_by("-requested_at", "-id")
        .first()
    )


def contacts_changed_since(actor, scan: DuplicateScan | None) -> int:
    """Contacts of the actor's that were added or edited after the scan began reading."""
    if scan is None or scan.started_at is None:
        return 0
    return _in_reach(actor).filter(updated_at__gt=scan.started_at).count()


def get_scan(scan_id: int) -> DuplicateScan:
    scan = DuplicateScan.objects.filter(pk=scan_id).first()
    if scan is None:
        raise NotFound("No such scan.")
    return scan


def stored_groups(actor, scan: DuplicateScan | None) -> QuerySet[DuplicateGroup]:
    """The scan's groups as the actor may see them, most certain first (None: everyone's).

    A group counts only its contacts still there (deleted or merged-away ones left it) and is
    dropped below two; a sales user gets only groups whose remaining contacts are all theirs,
    so no group reveals a contact outside their scope.
    """
    if scan is None:
        return DuplicateGroup.objects.none()
    groups = DuplicateGroup.objects.filter(scan=scan).annotate(live=Count("members"))
    if actor is not None and not is_admin(actor):
        groups = groups.annotate(
            seen=Count(
                "members", filter=Q(members__contact__in=visible_contacts(actor).values("pk"))
            )
        ).filter(seen=F("live"))
    return groups.filter(live__gte=2).order_by("id")


def with_contact_ids(groups: Iterable[DuplicateGroup]) -> list[DuplicateGroup]:
    """The groups with `contact_ids` set from their remaining members."""
    groups = list(groups)
    members: dict[int, list[int]] = defaultdict(list)
    # In slices: SQLite allows only so many parameters in one statement.
    for start in range(0, len(groups), BATCH // 10):
        for group_id, contact_id in DuplicateMember.objects.filter(
            group__in=[g.pk for g in groups[start : start + BATCH // 10]]
        ).values_list("group_id", "contact_id"):
            members[group_id].append(contact_id)
    for group in groups:
        group.contact_ids = sorted(members[group.pk])
    return groups


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
