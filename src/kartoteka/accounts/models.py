"""Team members, their roles and preferences, API tokens and workspace-wide settings."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SALES = "sales", _("Sales")


class User(AbstractUser):
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.SALES)
    # Per-user UI state: list columns, card dashboard layout and lock, language.
    preferences = models.JSONField(default=dict, blank=True)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class WorkspaceSettings(models.Model):
    """Settings of the whole workspace; a single row (pk=1)."""

    default_owner = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Owner of contacts added automatically (forms, imports, API)."),
    )

    @classmethod
    def load(cls) -> "WorkspaceSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj
