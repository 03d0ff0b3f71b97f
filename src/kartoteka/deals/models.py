"""Sales funnels: pipelines with ordered stages, deals moving through them, the contacts in each
deal, the deal's own history of stage moves, and notes kept on a deal."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StageKind(models.TextChoices):
    OPEN = "open", _("Open")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


# Names of what ships with the app, shown in the reader's language until an admin renames it
# (a row with a `key` and an empty `name` reads its name from here).
BUILTIN_NAMES = {
    "sales": _("Sales"),
    "new": _("New"),
    "qualified": _("Qualified"),
    "proposal": _("Send proposal"),
    "negotiation": _("Negotiation"),
    "won": _("Won"),
    "lost": _("Lost"),
    "new_business": _("New business"),
    "upsell": _("Upsell"),
    "cross_sell": _("Cross-sell"),
    "renewal": _("Renewal"),
}


class Named(models.Model):
    """A row whose name is either the one an admin gave or, for what ships with the app, its
    translated built-in name."""

    key = models.SlugField(max_length=40, blank=True)
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        return str(BUILTIN_NAMES.get(self.key, self.key))


class Pipeline(Named):
    position = models.PositiveIntegerField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]


class Stage(Named):
    """A column of a pipeline. Retired stages take no new deals but keep their history."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveIntegerField(default=0)
    probability = models.PositiveSmallIntegerField(default=0)  # percent, 0–100
    kind = models.CharField(max_length=10, choices=StageKind.choices, default=StageKind.OPEN)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pipeline", "position", "id"]


class DealType(Named):
    position = models.PositiveIntegerField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]


class DealField(models.Model):
    """A typed custom detail of deals (the same types as contacts' custom details); values live
    in Deal.properties[key]."""

    key = models.SlugField(max_length=64, unique=True)
    label = models.CharField(max_length=255)
    type = models.CharField(max_length=20)  # one of contacts.models.PropertyType
    choices = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label


class Deal(models.Model):
    name = models.CharField(max_length=255)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="EUR")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # db_index=False: the (pipeline, stage, …) and (pipeline, status, …) indexes below serve
    # look-ups by pipeline. A pipeline-only index, small once PostgreSQL deduplicates it,
    # drew its planner to read every deal of a pipeline for a few stages or one status.
    pipeline = models.ForeignKey(
        Pipeline, on_delete=models.PROTECT, related_name="deals", db_index=False
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    # Copied from the stage's kind by the services, so lists filter without a join.
    status = models.CharField(max_length=10, choices=StageKind.choices, default=StageKind.OPEN)
    type = models.ForeignKey(
        DealType, null=True, blank=True, on_delete=models.PROTECT, related_name="deals"
    )
    expected_close_date = models.DateField(null=True, blank=True)
    # Why it was lost (or won), given with the move that closed it.
    close_reason = models.CharField(max_length=500, blank=True)
    # Typed custom details, keyed by contacts' PropertyDefinition keys.
    properties = models.JSONField(default=dict, blank=True)
    stage_entered_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # Bumped on every write so that concurrent moves and edits are detected.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            # A board column: a stage's deals, newest first, one keyset page at a time.
            models.Index(fields=["stage", "-id"], name="deal_stage_column"),
            # The columns' counts and totals per currency, read from the index alone.
            models.Index(
                fields=["pipeline", "stage", "currency", "amount"], name="deal_board_sums"
            ),
            # The same for the deals one user owns (a sales user's board).
            models.Index(
                fields=["owner", "pipeline", "stage", "currency", "amount"],
                name="deal_owner_board_sums",
            ),
            models.Index(
                fields=["pipeline", "status", "expected_close_date"], name="deal_forecast"
            ),
            models.Index(fields=["owner", "status"], name="deal_owner_status"),
            models.Index(fields=["status", "closed_at"], name="deal_status_closed"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def days_in_stage(self) -> int:
        return (timezone.now() - self.stage_entered_at).days

    @property
    def first_contact(self):
        """The first of the deal's contacts as they were read (a card's and a row's: the
        primary first, among those the reader sees), or None."""
        links = self.contact_links.all()
        return links[0].contact if links else None


class DealContact(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="contact_links")
    # NULL once the person was forgotten: the deal still counts them, nothing names them.
    # db_index=False: the (contact, deal) index below serves look-ups by contact.
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        on_delete=models.CASCADE,
        related_name="deal_links",
        db_index=False,
    )
    is_primary = models.BooleanField(default=False)

    class Meta:
        # A contact's deals, and a sales user's deals on their contacts, from the index alone.
        indexes = [models.Index(fields=["contact", "deal"], name="deal_contact_by_contact")]
        constraints = [
            models.UniqueConstraint(fields=["deal", "contact"], name="unique_deal_contact"),
            models.UniqueConstraint(
                fields=["deal"], condition=Q(is_primary=True), name="one_primary_deal_contact"
            ),
        ]


class DealViewer(models.Model):
    """Who may see a deal through its contacts: a row per link of the deal to a contact and
    owner of that contact (deals' links joined with contacts' ownership rows), so that a sales
    user's deals on their contacts are a range of the (user, deal) index rather than a join of
    every contact they own with the links. The deals' and contacts' services keep it exact in
    the transaction of every change of either side (services.refresh_viewers_*); nothing else
    writes it, and no read but the scope's uses it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "deal", "contact"], name="unique_deal_viewer")
        ]


class StageMove(models.Model):
    """One entry of a deal's own history: created in a stage, or moved from one to another."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="moves")
    from_stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    moved_at = models.DateTimeField()
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Seconds the deal spent in from_stage before this move.
    seconds_in_previous = models.BigIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["moved_at", "id"]
        indexes = [models.Index(fields=["from_stage", "moved_at"], name="stage_move_from")]

    @property
    def days_in_previous(self) -> float | None:
        if self.seconds_in_previous is None:
            return None
        return round(self.seconds_in_previous / 86400, 1)


class DealNote(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class DealActivity(models.Model):
    """A comment, task or file of the activity app kept on a deal: the activity row lives on
    the deal's contact (comments and files) or its contacts (tasks) as anywhere else, with its
    mentions, notifications, timeline entries, merge and forget rules; this row shows it on
    the deal too. It goes with the deal or with the activity row."""

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="activity_links")
    comment = models.ForeignKey(
        "activity.Comment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    task = models.ForeignKey(
        "activity.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    file = models.ForeignKey(
        "activity.ContactFile", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(comment__isnull=False, task__isnull=True, file__isnull=True)
                    | Q(comment__isnull=True, task__isnull=False, file__isnull=True)
                    | Q(comment__isnull=True, task__isnull=True, file__isnull=False)
                ),
                name="deal_activity_one_kind",
            )
        ]


class DealImport(models.Model):
    """One run of `kartoteka deals import`: the deals it created, so it can be reverted."""

    file_name = models.CharField(max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    warned_count = models.PositiveIntegerField(default=0)
    reverted_at = models.DateTimeField(null=True, blank=True)


class DealImportRow(models.Model):
    """A deal an import created (NULL once the deal was deleted)."""

    deal_import = models.ForeignKey(DealImport, on_delete=models.CASCADE, related_name="rows")
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    line = models.PositiveIntegerField()
