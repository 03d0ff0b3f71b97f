"""What happens to a contact outside the CRM: external events (purchases, carts, payments,
downloads, custom types), their product lines, the product catalogue, coupons, the contact's
eCommerce totals kept on ingest, and the conversion rates to the workspace currency.

Money is kept twice: as sent (`value`, `currency`) and converted to the workspace currency in
hundredths (`amount`), which the totals add up exactly on both databases."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.Model):
    """A custom event type an admin registers (the built-in ones are in kinds.BUILT_IN)."""

    name = models.CharField(max_length=40, unique=True)
    label = models.CharField(max_length=100)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PaymentStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")
    REFUNDED = "refunded", _("Refunded")


class EventSource(models.TextChoices):
    API = "api", _("API")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("By hand")


class ExternalEvent(models.Model):
    """One event sent from outside. `client_id` is the sender's own id for it: sending it again
    changes nothing (NULL once the contact is forgotten, so nothing links it to the person)."""

    client_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    # NULL once the contact is forgotten: the value stays for reports, the person does not.
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="external_events",
        db_index=False,
    )
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # `value` converted to hundredths of the workspace currency, unsigned: what an event of
    # its type does to the totals is decided where the totals are kept (totals.py).
    amount = models.BigIntegerField(null=True, blank=True)
    # The rate `value` was converted at, when its currency is not the workspace's.
    rate = models.DecimalField(max_digits=18, decimal_places=8, null=True, blank=True)
    location = models.CharField(max_length=255, blank=True)
    coupon = models.CharField(max_length=64, blank=True)
    order_ref = models.CharField(max_length=100, blank=True)
    payment_method = models.CharField(max_length=50, blank=True)
    payment_status = models.CharField(max_length=10, blank=True, choices=PaymentStatus.choices)
    details = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=EventSource.choices)
    # The events import that wrote it (reverted together), if any.
    batch = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["contact", "-occurred_at", "-id"], name="event_by_contact"),
            models.Index(fields=["type", "occurred_at"], name="event_type_time"),
            models.Index(fields=["batch"], name="event_batch"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.client_id}"


class EventLine(models.Model):
    """A product line of an event (a purchase, a cart, a cancellation)."""

    event = models.ForeignKey(ExternalEvent, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=100)
    name = models.CharField(max_length=255, blank=True)
    price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    quantity = models.IntegerField(default=1)
    category = models.CharField(max_length=255, blank=True)
    url = models.CharField(max_length=2000, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["sku"], name="line_sku"),
            models.Index(fields=["category"], name="line_category"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


class Product(models.Model):
    """A product seen in events, by SKU; the newest event's name, price, category and URL."""

    sku = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=255, blank=True)
    price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    category = models.CharField(max_length=255, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return self.sku


class CouponStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    USED = "used", _("Used")
    EXPIRED = "expired", _("Expired")


class CouponSource(models.TextChoices):
    MANUAL = "manual", _("By hand")
    API = "api", _("API")
    GENERATED = "generated", _("Generated")


class Coupon(models.Model):
    """A code a contact may use. Expired is read from `valid_until`; `status` stores used."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="coupons"
    )
    code = models.CharField(max_length=64, unique=True)
    description = models.CharField(max_length=255, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=CouponStatus.choices, default=CouponStatus.AVAILABLE
    )
    source = models.CharField(max_length=10, choices=CouponSource.choices)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.code


class ContactKey(models.Model):
    """A shop's own id for a contact (`external_id` in events), learnt from an event that names
    both the contact and the id."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="external_keys"
    )
    external_id = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return self.external_id


class Totals(models.Model):
    """A contact's eCommerce totals, kept by every write of events (never recounted on read).
    Money in hundredths of the workspace currency."""

    contact = models.OneToOneField(
        "contacts.Contact", on_delete=models.CASCADE, primary_key=True, related_name="ecommerce"
    )
    total = models.BigIntegerField(default=0)
    transactions = models.IntegerField(default=0)
    average_cart = models.BigIntegerField(default=0)
    refunds = models.IntegerField(default=0)
    cancellations = models.IntegerField(default=0)
    # Events whose value was converted from another currency.
    converted = models.IntegerField(default=0)
    first_purchase_at = models.DateTimeField(null=True, blank=True)
    last_purchase_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # With the contact, `ecommerce.total_value > X` joins the contacts it counts from the
            # index alone, not a read of each totals row.
            models.Index(fields=["total", "contact"], name="totals_total_contact"),
            models.Index(fields=["transactions"], name="totals_transactions"),
            models.Index(fields=["average_cart"], name="totals_average"),
            models.Index(fields=["last_purchase_at"], name="totals_last_purchase"),
        ]

    def __str__(self) -> str:
        return f"totals of {self.contact_id}"


class CurrencyRate(models.Model):
    """How much one unit of `currency` is worth in the workspace currency; kept by an admin."""

    currency = models.CharField(max_length=3, unique=True)
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["currency"]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate}"
