"""Reads for duplicates: the contacts as finder records, the scans and the groups they stored (as
each viewer may see them), the matching rules and the merges that can still be undone."""

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.contacts.models import Company, Contact, ContactEmail, ContactPhone
from kartoteka.contacts.queries import with_card_data
from kartoteka.core.errors import NotFound
from kartoteka.core.scope import SYSTEM, is_admin, visible_contacts
from kartoteka.duplicates.matching import FoldedOnce, Record, Rule, fold, make_records
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
    """The actor's contacts (all of them for the system, e.g. the CLI run on the server)."""
    return visible_contacts(actor)


def _raw(queryset) -> list[tuple]:
    """The rows of a values_list queryset as the database driver gives them."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _values_by_contact(cursor, queryset, first_id: int, last_id: int) -> dict[int, tuple]:
    """{contact id: its non-empty values} for the contacts of an id range, in one index range
    scan; a contact's values are distinct and sorted when it has more than one."""
    sql, params = (
        queryset.filter(contact_id__gte=first_id, contact_id__lte=last_id).order_by().query
    ).sql_with_params()
    cursor.execute(sql, params)
    found: dict[int, tuple] = {}
    several = []
    get = found.get
    for contact_id, value in cursor.fetchall():
        if not value:
            continue
        known = get(contact_id)
        if known is None:
            found[contact_id] = (value,)
        else:
            found[contact_id] = (*known, value)
            several.append(contact_id)
    for contact_id in several:
        found[contact_id] = tuple(sorted(set(found[contact_id])))
    return found


def finder_records(progress: Callable[[int], None] | None = None) -> list[Record]:
    """Every contact of the workspace as the finder's records, a batch of ids at a time.

    A scan compares the whole workspace once and narrows the groups to each viewer when they
    are read, so this reads as the system actor. The queries are the ORM's, run on a plain cursor:
    a million rows come back as tuples without the per-row machinery of a queryset. `progress`
    hears how many are read so far.
    """
    records: list[Record] = []
    folded = FoldedOnce()
    # Companies are few beside their contacts: each name folded once, no join per contact.
    companies = {
        pk: fold(name) for pk, name in _raw(Company.objects.order_by().values_list("pk", "name"))
    }
    emails = ContactEmail.objects.values_list("contact_id", "email")
    phones = ContactPhone.objects.values_list("contact_id", "number")
    last = 0
    with connection.cursor() as cursor:
        while True:
            sql, params = (
                visible_contacts(SYSTEM)
                .filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "first_name", "last_name", "company_id", "city", "postal_code")[
                    :BATCH
                ]
                .query.sql_with_params()
            )
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if not rows:
                return records
            first_id, last = rows[0][0], rows[-1][0]
            # An id range, not a list of ids: one index range scan per table, not a long IN.
            records.extend(
                make_records(
                    rows,
                    _values_by_contact(cursor, emails, first_id, last),
                    _values_by_contact(cursor, phones, first_id, last),
                    companies,
                    folded,
                )
            )
            if progress is not None:
                progress(len(records))


def contact_names(actor, contact_ids: list[int]) -> dict[int, str]:
    """Display names of the listed contacts the actor may see (the system: the whole workspace)."""
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
        raise NotFound(_("No such scan."))
    return scan


def stored_groups(actor, scan: DuplicateScan | None) -> QuerySet[DuplicateGroup]:
    """The scan's groups as the actor may see them, most certain first (the system: everyone's).

    A group counts only its contacts still there (deleted or merged-away ones left it) and is
    dropped below two; a sales user gets only groups whose remaining contacts are all theirs,
    so no group reveals a contact outside their scope.
    """
    if scan is None:
        return DuplicateGroup.objects.none()
    groups = DuplicateGroup.objects.filter(scan=scan).annotate(live=Count("members"))
    if not is_admin(actor):
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
        raise NotFound(
            _("No such contact: %(missing)s.") % {"missing": ", ".join(f"#{i}" for i in missing)}
        )
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
        raise NotFound(_("No such merge."))
    return merge
