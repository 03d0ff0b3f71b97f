"""Every write of website tracking: sites (admins), the collector's append to the queue, and the
worker turning queued hits into visits, page views, timeline entries and per-contact counts."""

import datetime as dt
import functools
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.db import IntegrityError, OperationalError, connection, connections, transaction
from django.db.models import Count, Max, Sum
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from kartoteka.activity import services as timeline
from kartoteka.contacts import services as contacts
from kartoteka.contacts.queries import get_contact
from kartoteka.core.bulkwrite import db_adapter, insert_values
from kartoteka.core.database import execute_prepared
from kartoteka.core.errors import Forbidden, InvalidInput, NotFound
from kartoteka.core.normalise import fold_email
from kartoteka.core.processes import helper_pool
from kartoteka.core.scope import SYSTEM, is_admin, user_or_none, visible_contacts
from kartoteka.privacy import services as privacy
from kartoteka.tracking import kinds
from kartoteka.tracking.models import (
    FileDownload,
    Hit,
    MonitoringLink,
    PageView,
    Site,
    Visit,
    Visitor,
    VisitTotals,
)
from kartoteka.tracking.useragents import device_of, looks_automated

# Page views of one visitor with no longer gap than this make one visit.
SESSION_GAP = dt.timedelta(minutes=30)
# Hits the worker takes in one transaction.
BATCH = 2000
MAX_URL = 2000
# The collector reads a site on every page view of it, and sites change seldom: each process
# keeps what it read for this long, so a change made in another process applies within it.
SITE_CACHE_SECONDS = 10
_sites_by_key: dict[str, tuple[float, Site | None]] = {}

_HOST = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")
VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Landing-page parameters copied onto the visit: UTM tags, and Google Ads' click id and
# ValueTrack parameters as Kartoteka names them.
_PARAMETERS = {
    "utm_source": "utm_source",
    "utm_medium": "utm_medium",
    "utm_campaign": "utm_campaign",
    "utm_term": "utm_term",
    "utm_content": "utm_content",
    "gclid": "gclid",
    "campaignid": "ads_campaign",
    "adgroupid": "ads_group",
    "keyword": "ads_keyword",
    "network": "ads_network",
    "device": "ads_device",
    "creative": "ads_id",
}


# Sites


def _require_admin(actor) -> None:
    if actor is not SYSTEM and not is_admin(actor):
        raise Forbidden(_("Only administrators can manage tracked websites."))


def clean_domains(value: Any) -> list[str]:
    """Host names a site's pages are served from: "shop.example.com", "localhost"; a scheme,
    path or port typed along is taken off."""
    if isinstance(value, str):
        value = re.split(r"[\s,]+", value)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput("domains", _("Give the site's domains as a list of host names."))
    domains = []
    for raw in value:
        text = raw.strip().lower()
        if not text:
            continue
        host = host_of(text if "//" in text else f"//{text}").rstrip(".")
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = ""
        if not _HOST.match(host):
            raise InvalidInput(
                "domains", _("“%(domain)s” is not a domain name.") % {"domain": raw.strip()[:100]}
            )
        if host not in domains:
            domains.append(host)
    if not domains:
        raise InvalidInput("domains", _("Give at least one domain the site is served from."))
    if len(domains) > 50:
        raise InvalidInput("domains", _("A site can have at most 50 domains."))
    return domains


def _clean_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("name", _("Give the site a name."))
    if len(name.strip()) > 200:
        raise InvalidInput("name", _("The name can be at most 200 characters long."))
    return name.strip()


def create_site(
    actor,
    *,
    name: str,
    domains: Any,
    respect_do_not_track: bool = True,
    wait_for_consent: bool = False,
) -> Site:
    _require_admin(actor)
    site = Site.objects.create(
        name=_clean_name(name),
        domains=clean_domains(domains),
        key=secrets.token_urlsafe(12),
        respect_do_not_track=bool(respect_do_not_track),
        wait_for_consent=bool(wait_for_consent),
    )
    _sites_by_key.clear()
    return site


def update_site(actor, site: Site, *, changes: dict[str, Any]) -> Site:
    _require_admin(actor)
    if "name" in changes:
        site.name = _clean_name(changes["name"])
    if "domains" in changes:
        site.domains = clean_domains(changes["domains"])
    for flag in ("respect_do_not_track", "wait_for_consent"):
        if flag in changes:
            setattr(site, flag, bool(changes[flag]))
    site.save()
    _sites_by_key.clear()
    return site


def delete_site(actor, site: Site) -> None:
    """Delete the site with its visits (contacts keep their other visits and their counts are
    counted again)."""
    _require_admin(actor)
    with transaction.atomic():
        touched = set(
            Visit.objects.filter(site=site, contact__isnull=False).values_list(
                "contact_id", flat=True
            )
        )
        site.delete()
        recount(touched)
    _sites_by_key.clear()


# The collector


def host_of(address: str) -> str:
    """The host name of an address, lower-cased; "" for one that has none or cannot be read
    (a stray "[" makes it an unreadable IPv6 literal)."""
    try:
        return (urlsplit(address).hostname or "").lower()
    except ValueError:
        return ""


def allowed_origin(site: Site, origin: str) -> bool:
    """Whether a page at `origin` (scheme://host[:port]) is one of the site's own."""
    host = host_of(origin)
    return bool(host) and any(host == d or host.endswith(f".{d}") for d in site.domains)


def collect_hit(
    *,
    body: Any,
    origin: str,
    user_agent: str,
    do_not_track: bool,
) -> bool:
    """Append what a browser sent to the queue, after checking it comes from the site's own
    pages; False when it is dropped on purpose (an automated client, Do Not Track). Raises
    NotFound for an unknown site, Forbidden for another origin, InvalidInput for a malformed
    hit. Nothing of what was sent is ever sent back."""
    if not isinstance(body, dict):
        raise InvalidInput("body", _("A hit is a JSON object."))
    site = _site_by_key(str(body.get("s") or "")[:32])
    if site is None:
        raise NotFound(_("No such site."))
    if not allowed_origin(site, origin):
        raise Forbidden(_("Hits are accepted only from the site's own pages."))
    if (do_not_track and site.respect_do_not_track) or looks_automated(user_agent):
        return False
    visitor = body.get("v")
    if not isinstance(visitor, str) or not VISITOR_ID.match(visitor):
        raise InvalidInput("v", _("The visitor id is missing or malformed."))
    kind = body.get("k")
    if kind not in (Hit.VIEW, Hit.LEAVE, Hit.IDENTIFY):
        raise InvalidInput("k", _("Unknown kind of hit."))
    url = body.get("u")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or not host_of(url):
        raise InvalidInput("u", _("The page address is missing."))
    data: dict[str, Any] = {"url": url[:MAX_URL], "ua": user_agent[:500]}
    if kind == Hit.VIEW:
        data["title"] = str(body.get("t") or "")[:300]
        referrer = body.get("r")
        if isinstance(referrer, str) and referrer.startswith(("http://", "https://")):
            data["referrer"] = referrer[:MAX_URL]
    elif kind == Hit.LEAVE:
        seconds = body.get("sec")
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
            raise InvalidInput("sec", _("The time on the page must be a whole number of seconds."))
        data["seconds"] = min(seconds, 24 * 3600)
    elif isinstance(body.get("m"), str):
        link = _active_link(site, body["m"])
        data["link"] = link.pk
    else:
        email = body.get("e")
        if not isinstance(email, str) or "@" not in email or len(email) > 254:
            raise InvalidInput("e", _("Identify a visitor with an e-mail address."))
        data["email"] = email.strip()
    try:
        _queue_hit(site.pk, visitor, kind, data)
    except IntegrityError:  # the site was deleted by another process since it was read
        _sites_by_key.clear()
        raise NotFound(_("No such site.")) from None
    return True


def _queue_hit(site_id: int, visitor: str, kind: str, data: dict) -> None:
    """A plain INSERT, as short as the statement can be: the collector runs it on every page
    view (a COPY, as bulk inserts use on PostgreSQL, costs more for a few rows, and the
    generic bulk path looks the model's fields up every time). On PostgreSQL the statement is
    prepared, and the hits this process's threads queue at the same moment share one (see
    _GroupCommit); on SQLite, one INSERT for each hit."""
    time_value, data_value = _queue_adapters(connection.vendor)
    values = [site_id, visitor, kind, time_value(timezone.now()), data_value(data)]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_QUEUE_SQL, values)
    elif connection.in_atomic_block:  # the caller's transaction: on its connection, in it
        execute_prepared(_QUEUE_SQL, values)
    else:
        _queue_writer.write(values)


class _Waiting:
    """A hit a thread waits to see written: done when it is (or `error` says why not), or
    asked to `lead`, to write it with the hits queued after it."""

    __slots__ = ("values", "ready", "lead", "error")

    def __init__(self, values: list) -> None:
        self.values = values
        self.ready = threading.Event()
        self.lead = False
        self.error: BaseException | None = None


class _GroupCommit:
    """PostgreSQL: the hits this process's threads queue at the same moment go in one INSERT
    and one commit, by one of the threads, on its connection; each thread answers its browser
    only once the commit that wrote its hit has returned, so an acknowledged hit is as durable
    as with a commit of its own. A commit waits for PostgreSQL to flush the WAL to disk, and
    the statement and the commit, not the rows, are most of what a hit costs the server and
    this process (docs/benchmarks.md): two hits written together cost about as much as one.

    The first thread to come writes what is waiting, itself included; threads that come
    meanwhile wait, and the first of them then writes those, and so on. A batch that fails
    (a site deleted meanwhile) is written again hit by hit, so each hit gets its own answer."""

    MOST = 16  # hits in one INSERT at most (a prepared statement for each count)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._writing = False

    def write(self, values: list) -> None:
        mine = _Waiting(values)
        with self._lock:
            self._waiting.append(mine)
            # Threads wait only while one writes: a thread that finds none writing leads.
            mine.lead = not self._writing
            self._writing = True
        if not mine.lead:
            mine.ready.wait()  # written, or asked to lead (then it heads the waiting list)
        if mine.lead:
            self._lead()
        if mine.error is not None:
            raise mine.error

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[: self.MOST], self._waiting[self.MOST :]
        try:
            self._insert(batch)
        finally:
            with self._lock:
                following = self._waiting[0] if self._waiting else None
                if following is None:
                    self._writing = False
                else:
                    following.lead = True
            for waiting in batch:
                waiting.ready.set()
            if following is not None:
                following.ready.set()

    @staticmethod
    def _insert(batch: list[_Waiting]) -> None:
        try:
            execute_prepared(_queue_sql(len(batch)), [v for w in batch for v in w.values])
            return
        except BaseException as error:
            if len(batch) == 1:
                batch[0].error = error
                return
        for waiting in batch:
            try:
                execute_prepared(_QUEUE_SQL, waiting.values)
            except BaseException as error:
                waiting.error = error


_queue_writer = _GroupCommit()


@functools.cache
def _queue_sql(rows: int) -> str:
    return _QUEUE_SQL + ", (%s, %s, %s, %s, %s)" * (rows - 1)


def _queue_adapters(vendor: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """How the queue's time stamp and payload become database values, found once per kind of
    database rather than for every hit (neither depends on the connection's state)."""
    adapters = _QUEUE_ADAPTERS.get(vendor)
    if adapters is None:
        adapters = _QUEUE_ADAPTERS[vendor] = (
            db_adapter(Hit._meta.get_field("received_at")) or _unchanged,
            db_adapter(Hit._meta.get_field("data")) or _unchanged,
        )
    return adapters


_QUEUE_ADAPTERS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {}


def _unchanged(value: Any) -> Any:
    return value


_QUEUE_SQL = (
    f"INSERT INTO {Hit._meta.db_table} (site_id, visitor, kind, received_at, data)"
    " VALUES (%s, %s, %s, %s, %s)"
)


def _site_by_key(key: str) -> Site | None:
    now = time.monotonic()
    cached = _sites_by_key.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    site = Site.objects.filter(key=key).first()
    if len(_sites_by_key) >= 1000:  # keys anyone may send must not grow it without end
        _sites_by_key.clear()
    _sites_by_key[key] = (now + SITE_CACHE_SECONDS, site)
    return site


# The worker


def process_hits(*, limit: int | None = None, processes: int | None = None) -> int:
    """Turn queued hits into visits, batch after batch, until the queue is empty (or `limit`
    hits are done). Returns how many hits were taken.

    On PostgreSQL the queue is taken by partition (a hash of the visitor id): each visitor's
    hits stay in one partition, whose batches one process at a time takes in order of
    arrival. A long queue with no limit is drained by `processes` helper processes at once
    (by default one per core), so the worker's Python and the server's work overlap. SQLite
    keeps one writer, in order of arrival."""
    if connection.vendor != "postgresql":
        return _drain(None, limit)
    if processes is None:
        processes = _processes_for_queue() if limit is None else 1
    if processes <= 1 or limit is not None or connection.in_atomic_block:
        # A caller's transaction holds what helpers could not see; a limit is one process's.
        return _drain(list(range(PARTITIONS)), limit)
    processes = min(processes, PARTITIONS)
    # Each helper starts at partitions of its own and goes round all of them, leaving to the
    # others those they hold: a helper done with its own helps with the rest.
    starts = [
        [(first * PARTITIONS // processes + n) % PARTITIONS for n in range(PARTITIONS)]
        for first in range(processes)
    ]
    connections.close_all()  # a forked helper must not share this process's connection
    with helper_pool(processes, niceness=DRAIN_NICENESS) as pool:
        return sum(pool.map(_drain_in_helper, starts, chunksize=1))


# PostgreSQL: the queue's partitions, a hash of the visitor id; the same expression as the
# queue's index (migration 0003), from which a partition's oldest hits are read in order.
PARTITIONS = 16
_PARTITION_OF = "(hashtext(visitor) & 15)"
# The key of the transaction-level advisory lock by which a process holds a partition while
# it takes a batch of it: two drains at once (two workers) still take each partition in turn.
_PARTITION_LOCK = 0x7472616B
# How far below the worker's priority the drain's helpers run (os.nice): while the collector
# keeps the cores busy each gets about a tenth of a core (CFS weights 110 against 1024), more
# than the drain needs to keep up with 2,000 hits a second (docs/benchmarks.md), and all the
# time the cores are idle. Their PostgreSQL server processes keep the server's priority.
DRAIN_NICENESS = 10
# Queued hits from which a drain with no limit is worth helper processes.
PARALLEL_FROM = 5 * BATCH
# A batch PostgreSQL ended to break a deadlock is taken again, up to this many times in all.
_DEADLOCK_TRIES = 3


def _processes_for_queue() -> int:
    cores = os.cpu_count() or 1
    if cores < 2:
        return 1
    ids = Hit.objects.order_by("id").values_list("id", flat=True)
    return cores if ids[PARALLEL_FROM - 1 : PARALLEL_FROM].exists() else 1


def _drain_in_helper(partitions: list[int]) -> int:
    """A helper's drain, on a connection of its own, closed before it ends."""
    try:
        return _drain(partitions, None)
    finally:
        connections.close_all()


def _drain(partitions: list[int] | None, limit: int | None) -> int:
    """Batches from `partitions` in turn (None: from the whole queue), until they are empty or
    `limit` hits are done. A partition that another process holds is tried again in the next
    round; a round in which all were held or empty ends the drain (the others finish theirs)."""
    done = 0
    pending: list[int | None] = [None] if partitions is None else list(partitions)
    while pending:
        remaining: list[int | None] = []
        took = 0
        for partition in pending:
            size = BATCH if limit is None else min(BATCH, limit - done)
            if size <= 0:
                return done
            taken = _process_batch(size, partition)
            if taken is None or taken == size:  # held by another process, or maybe more
                remaining.append(partition)
            done += taken or 0
            took += taken or 0
        if not took:
            break
        pending = remaining
    return done


def _process_batch(size: int, partition: int | None = None) -> int | None:
    """One batch in one transaction: the oldest `size` hits of `partition` (of the whole
    queue where None); None when another process holds the partition. A batch that met a
    deadlock (with a request that locked a contact it writes) is rolled back and taken again."""
    for attempt in range(1, _DEADLOCK_TRIES + 1):
        try:
            return _take_batch(size, partition)
        except OperationalError as error:
            if getattr(error.__cause__, "sqlstate", None) != "40P01" or attempt == _DEADLOCK_TRIES:
                raise
    return 0


def _take_batch(size: int, partition: int | None) -> int | None:
    with transaction.atomic():
        queued = Hit.objects.order_by("id")
        if partition is not None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_xact_lock(%s, %s)", [_PARTITION_LOCK, partition]
                )
                if not cursor.fetchone()[0]:
                    return None
            queued = queued.alias(partition=RawSQL(_PARTITION_OF, [])).filter(partition=partition)
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True)  # several workers share the queue
        hits = [_QueuedHit(*row) for row in queued.values_list(*_QueuedHit.__slots__)[:size]]
        if not hits:
            return 0
        _Batch(hits).write()
        _delete_rows(Hit, [hit.pk for hit in hits])
    return len(hits)


class _QueuedHit:
    """A queued hit as the worker reads it: a batch holds thousands, and a model instance for
    each cost more than all the rest of the work."""

    __slots__ = ("pk", "site_id", "visitor", "kind", "received_at", "data")

    def __init__(self, pk, site_id, visitor, kind, received_at, data) -> None:
        self.pk, self.site_id, self.visitor, self.kind = pk, site_id, visitor, kind
        self.received_at, self.data = received_at, data


class _KnownVisitor:
    """A visitor of the batch: its id and the contact it is known as, if any."""

    __slots__ = ("pk", "contact_id")

    def __init__(self, pk: int, contact_id: int | None) -> None:
        self.pk, self.contact_id = pk, contact_id


_VISIT_COLUMNS = [f.attname for f in Visit._meta.concrete_fields if not f.primary_key]
_VISIT_DEFAULTS = {
    f.attname: f.get_default() for f in Visit._meta.concrete_fields if not f.primary_key
}


class _VisitRow:
    """A visit as the worker writes it, with the columns of Visit: a batch starts or continues
    hundreds, and building a model instance for each cost as much as the rest of the batch."""

    __slots__ = ("pk", *_VISIT_COLUMNS)

    def __init__(self, pk: int | None = None, **values: Any) -> None:
        self.pk = pk
        for name, default in _VISIT_DEFAULTS.items():
            setattr(self, name, values.get(name, default))


class _NewView:
    """A page view to insert, with the visit it belongs to (whose id may not exist yet)."""

    __slots__ = ("visit", "url", "title", "viewed_at", "seconds")

    def __init__(self, visit, url: str, title: str, viewed_at) -> None:
        self.visit, self.url, self.title, self.viewed_at, self.seconds = (
            visit,
            url,
            title,
            viewed_at,
            0,
        )


def _delete_rows(model, ids: list[int]) -> None:
    """DELETE rows by id without the ORM's collector (nothing cascades from them)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({marks})", chunk)


class _Batch:
    """One batch of hits, in the order they arrived, written with a fixed number of queries."""

    def __init__(self, hits: list[_QueuedHit]) -> None:
        self.hits = hits
        self.visitors = self._visitors({hit.visitor for hit in hits})
        self.sites = {site.pk: site for site in Site.objects.all()}
        self.joined: dict[int, int] = {}  # visitor id -> contact id, for visitors known now
        self.opened_links: list[MonitoringLink] = []  # marked opened once contacts are locked
        self.starts_monitoring: set[int] = set()  # contacts a link starts monitoring
        self.new_visits: list[_VisitRow] = []
        self.new_views: list[_NewView] = []
        self.changed_visits: dict[int, _VisitRow] = {}
        self.changed_views: dict[int, PageView] = {}

    @staticmethod
    def _visitors(keys: set[str]) -> dict[str, "_KnownVisitor"]:
        """The batch's visitors, the new ones created."""

        def read(keys):
            rows = Visitor.objects.filter(key__in=keys).values_list("key", "pk", "contact_id")
            return {key: _KnownVisitor(pk, contact_id) for key, pk, contact_id in rows}

        found = read(keys)
        missing = [key for key in keys if key not in found]
        if missing:
            Visitor.objects.bulk_create(
                [Visitor(key=key) for key in missing], ignore_conflicts=True
            )
            found |= read(missing)
        return found

    def write(self) -> None:
        self._identify()
        unmonitored = (
            set(
                visible_contacts(SYSTEM)
                .filter(pk__in={v.contact_id for v in self.visitors.values() if v.contact_id})
                .filter(is_monitored=False)
                .values_list("pk", flat=True)
            )
            - self.starts_monitoring
        )
        open_visits = self._open_visits()
        self.earlier_views = self._earlier_views(open_visits.values())
        for hit in self.hits:
            visitor = self.visitors[hit.visitor]
            if visitor.contact_id in unmonitored or hit.kind == Hit.IDENTIFY:
                continue
            visit = open_visits.get(visitor.pk)
            at = hit.received_at
            if hit.kind == Hit.VIEW:
                if (
                    visit is None
                    or visit.site_id != hit.site_id
                    or at - visit.ended_at > SESSION_GAP
                ):
                    visit = self._new_visit(hit, visitor)
                    open_visits[visitor.pk] = visit
                self._add_view(visit, hit)
            elif visit is not None and at - visit.ended_at <= SESSION_GAP:
                self._left(visit, hit)
        self._save()

    def _identify(self) -> None:
        identifying = [hit for hit in self.hits if hit.kind == Hit.IDENTIFY]
        if not identifying:
            return
        emails = {fold_email(hit.data["email"]) for hit in identifying if "email" in hit.data}
        known = dict(
            visible_contacts(SYSTEM)
            .filter(emails__email_folded__in=emails)
            .values_list("emails__email_folded", "pk")
        )
        links = self._opened_links([hit.data["link"] for hit in identifying if "link" in hit.data])
        for hit in identifying:
            if "link" in hit.data:
                contact_id = links.get(hit.data["link"])
            else:
                contact_id = known.get(fold_email(hit.data["email"]))
            visitor = self.visitors[hit.visitor]
            if contact_id and visitor.contact_id != contact_id:
                visitor.contact_id = contact_id
                self.joined[visitor.pk] = contact_id

    def _opened_links(self, link_ids: list[int]) -> dict[int, int]:
        """The contacts of opened monitoring links (link id -> contact id); links revoked or
        expired since are left out. Marking them opened, and starting monitoring where a link
        asks for it, waits for _save, which first locks the batch's contacts."""
        found = {}
        for link in MonitoringLink.objects.filter(pk__in=link_ids).select_related("contact"):
            if not link.is_active:
                continue
            self.opened_links.append(link)
            if link.starts_monitoring and not link.contact.is_monitored:
                self.starts_monitoring.add(link.contact_id)
            if link.contact.is_monitored or link.starts_monitoring:
                found[link.pk] = link.contact_id
        return found

    def _open_links(self) -> None:
        for link in self.opened_links:
            if link.opened_at is None:
                link.opened_at = timezone.now()
                link.save(update_fields=["opened_at"])
            if link.starts_monitoring and not link.contact.is_monitored:
                link.contact = privacy.set_monitoring(
                    SYSTEM, link.contact, enabled=True, actor_label=_("Monitoring link")
                )

    def _open_visits(self) -> dict[int, _VisitRow]:
        """Each visitor's latest visit that a hit of this batch may still continue."""
        first = min(hit.received_at for hit in self.hits)
        latest: dict[int, _VisitRow] = {}
        names = ("visitor_id", "site_id", "contact_id", "started_at", "ended_at", "pages")
        for pk, *values in (
            Visit.objects.filter(
                visitor__in=[v.pk for v in self.visitors.values()],
                ended_at__gte=first - SESSION_GAP,
            )
            .order_by("ended_at")
            .values_list("pk", *names)
        ):
            visit = _VisitRow(pk, **dict(zip(names, values, strict=True)))
            latest[visit.visitor_id] = visit
        return latest

    def _earlier_views(self, visits) -> dict[tuple[int, str], PageView]:
        """The latest stored view of each page that a "left the page" hit of this batch may
        close, in the visits it may continue: read at once rather than per hit."""
        left = {hit.data["url"] for hit in self.hits if hit.kind == Hit.LEAVE}
        ids = [visit.pk for visit in visits]
        if not left or not ids:
            return {}
        latest = {}
        for view in PageView.objects.filter(visit_id__in=ids, url__in=left).order_by(
            "viewed_at", "id"
        ):
            latest[(view.visit_id, view.url)] = view
        return latest

    def _new_visit(self, hit: _QueuedHit, visitor: "_KnownVisitor") -> _VisitRow:
        device = device_of(hit.data.get("ua", ""))
        query = parse_qs(urlsplit(hit.data["url"]).query)
        attribution = {
            field: query[name][0][:255] for name, field in _PARAMETERS.items() if query.get(name)
        }
        visit = _VisitRow(
            site_id=hit.site_id,
            visitor_id=visitor.pk,
            contact_id=visitor.contact_id,
            started_at=hit.received_at,
            ended_at=hit.received_at,
            entry_url=hit.data["url"],
            referrer=hit.data.get("referrer", ""),
            device_type=device.type,
            os=device.os[:100],
            browser=device.browser[:100],
            **attribution,
        )
        self.new_visits.append(visit)
        return visit

    def _add_view(self, visit: _VisitRow, hit: _QueuedHit) -> None:
        self.new_views.append(
            _NewView(visit, hit.data["url"], hit.data.get("title", ""), hit.received_at)
        )
        visit.pages += 1
        visit.ended_at = max(visit.ended_at, hit.received_at)
        if visit.pk:
            self.changed_visits[visit.pk] = visit

    def _left(self, visit: _VisitRow, hit: _QueuedHit) -> None:
        """The visitor left a page after `seconds`: the last view of that page in the visit."""
        url, seconds = hit.data["url"], hit.data["seconds"]
        view = next(
            (v for v in reversed(self.new_views) if v.visit is visit and v.url == url), None
        )
        if view is None and visit.pk:
            view = self.earlier_views.get((visit.pk, url))
            if view is not None:
                self.changed_views[view.pk] = view
        if view is None:
            return
        view.seconds = max(view.seconds, seconds)
        visit.ended_at = max(visit.ended_at, view.viewed_at + dt.timedelta(seconds=seconds))
        if visit.pk:
            self.changed_visits[visit.pk] = visit

    def _save(self) -> None:
        last_seen = max(hit.received_at for hit in self.hits)
        Visitor.objects.filter(pk__in=[v.pk for v in self.visitors.values()]).update(
            last_seen_at=last_seen
        )
        _update_rows(Visitor, ["contact"], [(c, v) for v, c in self.joined.items()])
        ids = insert_values(
            Visit,
            _VISIT_COLUMNS,
            [tuple(getattr(v, name) for name in _VISIT_COLUMNS) for v in self.new_visits],
            returning=True,
        )
        for visit, pk in zip(self.new_visits, ids, strict=True):
            visit.pk = pk
        insert_values(
            PageView,
            ["visit_id", "url", "title", "viewed_at", "seconds"],
            [(v.visit.pk, v.url, v.title, v.viewed_at, v.seconds) for v in self.new_views],
        )
        _update_rows(
            Visit,
            ["pages", "ended_at"],
            [(v.pages, v.ended_at, v.pk) for v in self.changed_visits.values()],
        )
        _update_rows(
            PageView, ["seconds"], [(v.seconds, v.pk) for v in self.changed_views.values()]
        )
        entries = [
            _visited(visit, self.sites[visit.site_id])
            for visit in self.new_visits
            if visit.contact_id
        ]
        touched = {visit.contact_id for visit in self.new_visits if visit.contact_id}
        touched |= {v.contact_id for v in self.changed_visits.values() if v.contact_id}
        # Visitors known from now on: their earlier, anonymous visits join the contact.
        new_ids = {v.pk for v in self.new_visits}
        earlier = [
            visit
            for visit in Visit.objects.filter(visitor_id__in=self.joined)
            if visit.pk not in new_ids and visit.contact_id != self.joined[visit.visitor_id]
        ]
        touched |= set(self.joined.values()) | {v.contact_id for v in earlier if v.contact_id}
        for visit in earlier:
            visit.contact_id = self.joined[visit.visitor_id]
            entries.append(_visited(visit, self.sites[visit.site_id]))
        _update_rows(Visit, ["contact"], [(v.contact_id, v.pk) for v in earlier])
        # From here on the writes are the contacts' (timeline, last activity, totals, campaign
        # fields, monitoring), which another process's batch may share: the contacts are
        # locked first, all at once and by id, so two batches wait for each other instead of
        # deadlocking, and each counts its contacts' visits with the other's committed.
        _lock_contacts(touched | {link.contact_id for link in self.opened_links})
        self._open_links()
        entries += join_downloads(self.joined)
        timeline.record_many(entries)
        recount(touched)
        _fill_attribution([v for v in self.new_visits if v.contact_id])


def _lock_contacts(ids: set[int]) -> None:
    """Lock the contacts' rows until the transaction ends (PostgreSQL), in order of id. FOR NO
    KEY UPDATE: rows that refer to a contact (a visit, a timeline entry) can still be written
    meanwhile; what changes the contact or its totals waits."""
    if not ids or connection.vendor != "postgresql":
        return
    list(
        visible_contacts(SYSTEM)
        .filter(pk__in=sorted(ids))
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", flat=True)
    )


def join_downloads(joined: dict[int, int]) -> list:
    """Visitors just tied to contacts (visitor id -> contact id): their downloads become the
    contact's; the timeline entries to write are returned."""
    if not joined:
        return []
    earlier = [
        download
        for download in FileDownload.objects.filter(visitor_id__in=joined).select_related("file")
        if download.contact_id != joined[download.visitor_id]
    ]
    for download in earlier:
        download.contact_id = joined[download.visitor_id]
    _update_rows(FileDownload, ["contact"], [(d.contact_id, d.pk) for d in earlier])
    return [kinds.downloaded(d.contact_id, file=d.file.title, at=d.downloaded_at) for d in earlier]


def _update_rows(model, names: list[str], rows: list[tuple]) -> None:
    """UPDATE many rows by id, each a tuple of the new values of `names` and then the id: one
    prepared statement run for every row (what both databases do fastest for scattered ids)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: row[-1])  # in order of id, as every writer locks rows
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    adapted = [
        tuple(
            field.get_db_prep_save(value, connection)
            for field, value in zip(fields, row[:-1], strict=True)
        )
        + (row[-1],)
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE id = %s", adapted
        )


def _visited(visit: "Visit | _VisitRow", site: Site):
    return kinds.visited(
        visit.contact_id,
        site=site.name,
        url=visit.entry_url,
        pages=visit.pages,
        at=visit.started_at,
    )


def recount(contact_ids: set[int]) -> None:
    """Count the contacts' visits again into their totals (after new visits, a merge, an undo)."""
    if not contact_ids:
        return
    counted = {
        row["contact_id"]: row
        for row in Visit.objects.filter(contact_id__in=contact_ids)
        .values("contact_id")
        .annotate(visits=Count("id"), page_views=Sum("pages"), last_visit_at=Max("started_at"))
    }
    VisitTotals.objects.filter(contact_id__in=contact_ids).delete()
    VisitTotals.objects.bulk_create(
        [
            VisitTotals(
                contact_id=contact_id,
                visits=row["visits"],
                page_views=row["page_views"] or 0,
                last_visit_at=row["last_visit_at"],
            )
            for contact_id, row in counted.items()
        ]
    )


def _fill_attribution(visits: list[_VisitRow]) -> None:
    """A known visitor arriving from a campaign: its UTM tags and Ads fields go on the contact
    where the contact has none yet (the first campaign that brought them is kept)."""
    fields = list(_PARAMETERS.values())
    tagged = {v.contact_id: v for v in reversed(visits) if any(getattr(v, f) for f in fields)}
    if not tagged:
        return
    # Only contacts with none of the fields yet are read: most contacts a campaign brings back
    # have theirs already, and reading each whole contact to find that out was most of a batch.
    for contact in visible_contacts(SYSTEM).filter(pk__in=tagged, **dict.fromkeys(fields, "")):
        visit = tagged[contact.pk]
        contacts.update_contact(
            SYSTEM,
            contact,
            data={f: getattr(visit, f) for f in fields if getattr(visit, f)},
            actor_label=_("Website tracking"),
        )


# The monitoring link


def create_monitoring_link(
    actor,
    contact,
    *,
    url: Any,
    expires_in_days: Any = 30,
    starts_monitoring: bool = False,
) -> MonitoringLink:
    """A link that opens `url` (a page of a tracked site) and identifies the browser opening it
    as the contact. The actor must be able to see the contact."""
    contact = get_contact(actor, getattr(contact, "pk", contact))
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or not host_of(url):
        raise InvalidInput("url", _("Give the address of a page, starting with https://."))
    if len(url) > MAX_URL:
        raise InvalidInput("url", _("The address can be at most 2,000 characters long."))
    site = next((s for s in Site.objects.all() if allowed_origin(s, url)), None)
    if site is None:
        raise InvalidInput("url", _("The page must be on a tracked website (Settings → Websites)."))
    if isinstance(expires_in_days, str) and expires_in_days.strip().isdigit():
        expires_in_days = int(expires_in_days)
    if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int):
        raise InvalidInput("expires_in_days", _("Give the number of days as a whole number."))
    if not 1 <= expires_in_days <= 365:
        raise InvalidInput("expires_in_days", _("A link can last from 1 to 365 days."))
    now = timezone.now()
    return MonitoringLink.objects.create(
        contact=contact,
        site=site,
        url=url,
        token=secrets.token_urlsafe(24),
        starts_monitoring=bool(starts_monitoring),
        created_by=user_or_none(actor),
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_in_days),
    )


def revoke_monitoring_link(actor, link: MonitoringLink) -> MonitoringLink:
    get_contact(actor, link.contact_id)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def _active_link(site: Site, token: str) -> MonitoringLink:
    link = MonitoringLink.objects.filter(token=token[:64], site=site).first()
    if link is None or not link.is_active:
        raise InvalidInput("m", _("This link has expired or was revoked."))
    return link


def recount_after_merge(*, contact_id: int, **_payload: Any) -> None:
    recount({contact_id})


def recount_after_undo(*, contact_id: int, restored_contact_id: int, **_payload: Any) -> None:
    recount({contact_id, restored_contact_id})


def identify_visitor(visitor_key: str, *, email: str, page_url: str = "") -> bool:
    """Queue an identify hit for a browser another door (a form) has just learned the address
    of, on the site it was last seen on; False when the browser has no history here."""
    if not VISITOR_ID.match(visitor_key or ""):
        return False
    site_id = (
        Hit.objects.filter(visitor=visitor_key).values_list("site_id", flat=True).first()
        or Visit.objects.filter(visitor__key=visitor_key)
        .order_by("-ended_at")
        .values_list("site_id", flat=True)
        .first()
    )
    if site_id is None:
        return False
    Hit.objects.create(
        site_id=site_id,
        visitor=visitor_key,
        kind=Hit.IDENTIFY,
        data={"url": page_url[:MAX_URL], "email": email},
    )
    return True
