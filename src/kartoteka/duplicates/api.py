"""REST endpoints: duplicate groups of the last scan, scans, merging (one or in bulk), undoing a
merge, matching rules."""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from kartoteka.core.errors import Forbidden, InvalidInput, NotFound
from kartoteka.core.scope import is_admin
from kartoteka.duplicates import queries, services
from kartoteka.duplicates.models import MatchingRule, MergeRecord
from kartoteka.duplicates.schemas import (
    GroupOut,
    MergeIn,
    MergeOut,
    RuleIn,
    RuleOut,
    RulePatch,
    ScanOut,
)

router = Router(tags=["duplicates"])


def merge_out(merge: MergeRecord) -> dict:
    return {
        "id": merge.pk,
        "survivor": merge.survivor_id,
        "merged_contact_id": merge.merged_contact_id,
        "merged_at": merge.merged_at,
        "undo_until": merge.expires_at,
        "undone_at": merge.undone_at,
        "undo_report": merge.undo_report,
    }


def _rule(rule_id: int) -> MatchingRule:
    rule = queries.matching_rules().filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("No such matching rule."))
    return rule


MAX_LIMIT = 500


@router.get("/duplicates", response=list[GroupOut])
def list_groups(
    request: HttpRequest,
    after: int | None = None,
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
):
    """Groups of contacts you can see that the last scan found to be one person, most certain
    first. For the next page pass the last group's `id` as `after`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            "limit", _("limit must be between 1 and %(max_limit)s.") % {"max_limit": MAX_LIMIT}
        )
    groups = queries.stored_groups(request.user, queries.last_scan())
    if after is not None:
        groups = groups.filter(id__gt=after)
    return queries.with_contact_ids(groups[:limit])


@router.get("/duplicates/scan", response={200: ScanOut, 204: None})
def last_scan(request: HttpRequest):
    """The scan under way if there is one, else the last finished one (204: never scanned)."""
    scan = queries.running_scan() or queries.last_scan()
    return Status(204, None) if scan is None else scan


@router.post("/duplicates/scan", response={202: ScanOut})
def start_scan(request: HttpRequest):
    """Scan for duplicates in the background (admins); a scan already under way is returned."""
    return Status(202, services.request_scan(request.user))


@router.post("/duplicates/merge-exact", response=list[MergeOut])
def merge_exact(request: HttpRequest):
    """Merge every group matched by exact conditions only; the oldest contact survives."""
    return [merge_out(m) for m in services.merge_exact_groups(request.user)]


def _merge(request: HttpRequest, payload: MergeIn):
    merges = services.merge_contacts(
        request.user,
        survivor_id=payload.survivor,
        merged_ids=payload.merged,
        fields=payload.fields,
    )
    return Status(201, [merge_out(m) for m in merges])


@router.post("/contacts/merge", response={201: list[MergeOut]})
def merge(request: HttpRequest, payload: MergeIn):
    """Merge `merged` into `survivor`; `fields` maps a card field to the contact whose value
    stays (e.g. {"first_name": 12, "email": 13, "properties.size": 13})."""
    return _merge(request, payload)


@router.post("/merges", response={201: list[MergeOut]})
def create_merge(request: HttpRequest, payload: MergeIn):
    """The same as POST /contacts/merge, for clients that address merges as a collection."""
    return _merge(request, payload)


@router.get("/merges", response=list[MergeOut])
def list_merges(request: HttpRequest, contact: int | None = None):
    """Merges of the last 30 days that can still be undone (optionally onto one contact)."""
    merges = queries.undoable_merges(request.user)
    if contact is not None:
        merges = merges.filter(survivor_id=contact)
    return [merge_out(m) for m in merges[:200]]


@router.post("/merges/{merge_id}/undo", response=MergeOut)
def undo(request: HttpRequest, merge_id: int):
    """Bring the merged contact back (admins); `undo_report` lists what was edited since."""
    merge_record = queries.get_merge(request.user, merge_id)
    return merge_out(services.undo_merge(request.user, merge_record))


@router.get("/duplicates/rules", response=list[RuleOut])
def list_rules(request: HttpRequest):
    if not is_admin(request.user):
        raise Forbidden(_("Only admins may see the matching rules."))
    return list(queries.matching_rules())


@router.post("/duplicates/rules", response={201: RuleOut})
def create_rule(request: HttpRequest, payload: RuleIn):
    return Status(201, services.create_rule(request.user, data=payload.dict()))


@router.patch("/duplicates/rules/{rule_id}", response=RuleOut)
def update_rule(request: HttpRequest, rule_id: int, payload: RulePatch):
    data = payload.dict(exclude_none=True)
    return services.update_rule(request.user, _rule(rule_id), data=data)


@router.delete("/duplicates/rules/{rule_id}", response={204: None})
def delete_rule(request: HttpRequest, rule_id: int):
    services.delete_rule(request.user, _rule(rule_id))
    return Status(204, None)
