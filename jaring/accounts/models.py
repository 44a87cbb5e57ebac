from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    OPERATOR = "operator", _("Operator")
    FACILITATOR = "facilitator", _("Pendamping")
    LIAISON = "liaison", _("Petugas BPJSTK")
    AUDITOR = "auditor", _("Auditor")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: object) -> User:
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("role", Role.ADMIN)
        return self.create_user(username, password, is_staff=True, is_superuser=True, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField(_("nama pengguna"), max_length=150, unique=True)
    name = models.CharField(_("nama"), max_length=150)
    role = models.CharField(_("peran"), max_length=12, choices=Role.choices)
    phone = models.CharField(_("telepon"), max_length=20, blank=True)
    # Where a password-reset link is sent (blank: only an admin can reset the password).
    email = models.EmailField(_("surel"), blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)
    # Set when failed logins from many places lock the account for a short while (see LoginThrottle);
    # API tokens are refused until then too.
    locked_until = models.DateTimeField(null=True, blank=True)
    # The language the user last chose with the switch ("id", "en"; blank: the office's default),
    # activated again at each login on any device (accounts.services.user_set_language).
    language = models.CharField(_("bahasa"), max_length=8, blank=True, default="")
    # Set when an admin gives a temporary password: every page asks for a new one until it is changed.
    must_change_password = models.BooleanField(default=False)
    password_changed_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["username"]
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    def __str__(self) -> str:
        return self.name or self.username

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.username

    @property
    def can_write_registry(self) -> bool:
        from jaring.accounts.capabilities import can

        return can(self, "registry.write")

    @property
    def sees_poverty_data(self) -> bool:
        from jaring.accounts.capabilities import can

        return can(self, "poverty.read")


class AreaAssignment(models.Model):
    """A user's area: a region grants every region below it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="areas")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="unique_user_area")]
        verbose_name = _("wilayah tugas")

    def __str__(self) -> str:
        return f"{self.user} → {self.region}"


class ApiToken(models.Model):
    """An API token. Only its SHA-256 is stored; the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("token API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class LoginThrottle(models.Model):
    """Failed password logins counted under one key, with an exponential backoff.

    Three keys per attempt: the typed username with the client address (``pair``), the typed
    username alone (``account``) and the address alone (``ip``). Keys are HMACs: neither the typed
    username (sometimes a password typed in the wrong box) nor the address is stored in clear.
    Unknown usernames are counted exactly like known ones, so the counters reveal nothing.
    """

    class Scope(models.TextChoices):
        PAIR = "pair", "pair"
        ACCOUNT = "account", "account"
        IP = "ip", "ip"

    key = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=8, choices=Scope.choices)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pembatasan masuk")
        indexes = [models.Index(fields=["last_failure_at"], name="login_throttle_last_idx")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:8]}… {self.failures}"
