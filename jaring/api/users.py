"""API v1 for user administration (issue 15): the same services and rules as the web pages and
``jaring user …`` (``accounts.user_admin``, decision 0045).

Admins only (``users.manage``). An admin sees and changes the users inside their own region; anyone
else is 404, as for persons. A role or an area above the admin's own is a 400 naming the field;
leaving no admin over the whole tenant, or changing one's own role, area or account, is a 409.

Credentials are handed over once, in the answer that makes them (``temporary_password`` or an
absolute ``reset_link``), with ``Cache-Control: no-store``; they are never stored in clear, which is
why these POSTs take no ``Idempotency-Key`` (its stored answer would keep the password): a retried
create answers 409, the username being taken.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from jaring.accounts.models import Role, User
from jaring.accounts.services import user_totp_reset, user_unlock
from jaring.accounts.types import AuthenticatedRequest
from jaring.accounts.user_admin import (
    Credentials,
    login_facts_many,
    user_activate,
    user_add,
    user_for,
    user_reset_password,
    user_revoke_tokens,
    user_update,
    users_for,
)
from jaring.accounts.user_info import user_as_dict
from jaring.api.pagination import PAGE_PARAMETERS, paginate
from jaring.core import params as p
from jaring.core.errors import NotFound

CAPABILITY = "users.manage"
METHODS = ["temporary", "link"]
MAX_AREAS = 50  # far above any real assignment: a longer list is a mistake, not a user


# A pattern, not an enum: drf-spectacular would name one enum component per field name
# ("credentials", "method") for the same two values and warn of it.
@extend_schema_field({"type": "string", "pattern": "^(temporary|link)$", "default": "temporary"})
class MethodField(serializers.ChoiceField):
    """``temporary`` (a temporary password) or ``link`` (a one-time link to set one)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=METHODS, required=False, default="temporary", **kwargs)


def _no_control_chars(value: str) -> None:
    if p.has_control_chars(value):
        raise serializers.ValidationError(_("Berisi karakter yang tidak diizinkan."))


def _areas_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=32, validators=[_no_control_chars]), max_length=MAX_AREAS,
        help_text=gettext_lazy("Kode wilayah (kode sekarang atau kode lama); kosong: seluruh wilayah untuk peran "
                               "kantor. Hanya di dalam wilayah Anda."), **kwargs)


class UserCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[_no_control_chars])
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="",
                                 validators=[_no_control_chars])
    role = serializers.ChoiceField(choices=Role.choices)
    areas = _areas_field(required=False, default=list)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                  validators=[_no_control_chars])
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True, default="")
    credentials = MethodField(
        help_text=gettext_lazy("temporary: kata sandi sementara (diganti saat masuk pertama); link: tautan sekali "
                               "pakai untuk membuat kata sandi. Ditampilkan sekali."))


class UserUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, validators=[_no_control_chars])
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, validators=[_no_control_chars])
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    areas = _areas_field(required=False)


class ResetPasswordSerializer(serializers.Serializer):
    method = MethodField(help_text=gettext_lazy("temporary: kata sandi sementara; link: tautan sekali pakai. "
                                                "Ditampilkan sekali."))


class AreaSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class UserSerializer(serializers.Serializer):
    """A user as an admin sees them (the shape of ``accounts.user_info.user_as_dict``)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    role = serializers.CharField()
    role_label = serializers.CharField()
    areas = AreaSerializer(many=True)
    is_active = serializers.BooleanField()
    date_joined = serializers.DateTimeField(allow_null=True)
    last_login = serializers.DateTimeField(allow_null=True)
    failed_logins_recent = serializers.IntegerField(help_text="Failed password logins in the last failed_logins_days")
    failed_logins_days = serializers.IntegerField()
    last_failed_login = serializers.DateTimeField(allow_null=True)
    locked = serializers.BooleanField()
    locked_until = serializers.DateTimeField(allow_null=True)
    active_tokens = serializers.IntegerField()
    has_second_factor = serializers.BooleanField()
    must_change_password = serializers.BooleanField()


class UserCreatedSerializer(UserSerializer):
    temporary_password = serializers.CharField(required=False, help_text="Shown once (credentials=temporary)")
    reset_link = serializers.URLField(required=False, help_text="Shown once (credentials=link)")
    reset_link_minutes = serializers.IntegerField(required=False)


class CredentialsSerializer(serializers.Serializer):
    temporary_password = serializers.CharField(required=False, help_text="Shown once (method=temporary)")
    reset_link = serializers.URLField(required=False, help_text="Shown once (method=link)")
    reset_link_minutes = serializers.IntegerField(required=False)


UserPage = inline_serializer(name="UserPage", fields={
    "next": serializers.URLField(allow_null=True),
    "previous": serializers.URLField(allow_null=True),
    "results": UserSerializer(many=True),
})
NOT_FOUND = OpenApiResponse(description="Not found, or outside the admin's region")


def _users_page(users: list[User]) -> list[dict[str, Any]]:
    facts = login_facts_many(users)
    return [user_as_dict(u, facts[u.pk]) for u in users]


def _user_of(request: AuthenticatedRequest, user_id: int) -> User:
    if user_id > p.DB_INT_MAX:
        raise NotFound(_("Pengguna tidak ditemukan."))
    return user_for(request.user, user_id)


def _credentials(request: AuthenticatedRequest, credentials: Credentials) -> dict[str, Any]:
    if credentials.reset_path:
        return {"reset_link": request.build_absolute_uri(credentials.reset_path),
                "reset_link_minutes": settings.JARING_PASSWORD_RESET_MINUTES}
    return {"temporary_password": credentials.temporary_password} if credentials.temporary_password else {}


def _once(response: Response) -> Response:
    """An answer holding a credential: no cache, no proxy, no browser history keeps it."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


class UserListCreate(APIView):
    """The users the admin manages (by username), and a new user with a credential shown once."""

    capability = CAPABILITY

    @extend_schema(parameters=[OpenApiParameter("q", str, description="Part of the username or the name"),
                               OpenApiParameter("role", str, enum=Role.values),
                               OpenApiParameter("active", str, enum=["true", "false"]), *PAGE_PARAMETERS],
                   responses=UserPage, operation_id="users_list")
    def get(self, request: AuthenticatedRequest) -> Response:
        active = p.choice_param(request, "active", ["true", "false"])
        users = users_for(request.user, query=p.text_param(request, "q", max_length=150),
                          role=p.choice_param(request, "role", Role.values),
                          active=None if not active else active == "true")
        queryset = User.objects.filter(pk__in=[u.pk for u in users]).prefetch_related("areas__region")
        return paginate(request, self, queryset, user_as_dict, ordering="username", render_page=_users_page)

    @extend_schema(request=UserCreateSerializer, responses={201: UserCreatedSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user, credentials = user_add(actor=request.user, username=v["username"], name=v["name"], role=v["role"],
                                     areas=v["areas"], phone=v["phone"], email=v["email"],
                                     credentials=v["credentials"])
        response = Response({**user_as_dict(user), **_credentials(request, credentials)},
                            status=status.HTTP_201_CREATED)
        response["Location"] = reverse("api-user", kwargs={"user_id": user.pk})
        return _once(response)


class UserDetail(APIView):
    """One user; a change of their name, phone, e-mail, role or areas (absent fields unchanged)."""

    capability = CAPABILITY

    @extend_schema(responses={200: UserSerializer, 404: NOT_FOUND})
    def get(self, request: AuthenticatedRequest, user_id: int) -> Response:
        return Response(user_as_dict(_user_of(request, user_id)))

    @extend_schema(request=UserUpdateSerializer, responses={200: UserSerializer, 404: NOT_FOUND})
    def patch(self, request: AuthenticatedRequest, user_id: int) -> Response:
        user = _user_of(request, user_id)
        data = UserUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user_update(actor=request.user, user=user, name=v.get("name"), phone=v.get("phone"), email=v.get("email"),
                    role=v.get("role"), areas=v.get("areas"))
        return Response(user_as_dict(User.objects.get(pk=user.pk)))


class UserDeactivate(APIView):
    """The user can no longer log in; their sessions end and their tokens are refused. Not one's
    own account, not the last admin over the whole tenant (409)."""

    capability = CAPABILITY

    @extend_schema(request=None, responses={200: UserSerializer, 404: NOT_FOUND})
    def post(self, request: AuthenticatedRequest, user_id: int) -> Response:
        user = _user_of(request, user_id)
        user_activate(actor=request.user, user=user, active=False)
        return Response(user_as_dict(user))


class UserReactivate(APIView):
    """The user may log in again (their role and areas must still be within the admin's own)."""

    capability = CAPABILITY

    @extend_schema(request=None, responses={200: UserSerializer, 404: NOT_FOUND})
    def post(self, request: AuthenticatedRequest, user_id: int) -> Response:
        user = _user_of(request, user_id)
        user_activate(actor=request.user, user=user, active=True)
        return Response(user_as_dict(user))


class UserResetPassword(APIView):
    """A temporary password (the user's sessions end; a new password is asked at the next login)
    or a one-time link to set one; shown once."""

    capability = CAPABILITY

    @extend_schema(request=ResetPasswordSerializer, responses={200: CredentialsSerializer, 404: NOT_FOUND})
    def post(self, request: AuthenticatedRequest, user_id: int) -> Response:
        user = _user_of(request, user_id)
        data = ResetPasswordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credentials = user_reset_password(actor=request.user, user=user, method=data.validated_data["method"])
        return _once(Response(_credentials(request, credentials)))


class UserRevokeTokens(APIView):
    """Revoke every live API token of the user (a lost laptop, a leaver)."""

    capability = CAPABILITY

    @extend_schema(request=None, responses={200: inline_serializer(
        name="TokensRevoked", fields={"revoked": serializers.IntegerField()}), 404: NOT_FOUND})
    def post(self, request: AuthenticatedRequest, user_id: int) -> Response:
        user = _user_of(request, user_id)
        return Response({"revoked": user_revoke_tokens(actor=request.user, user=user)})


class UserUnlock(APIView):
    """Lift the lock that failed logins put on the account, and forget those failures."""

    capability = CAPABILITY

    @extend_schema(request=None, responses={200: UserSerializer, 404: NOT_FOUND})
    def post(self, request: AuthenticatedRequest, user_id: int) -> Response:
        user = _user_of(request, user_id)
        user_unlock(actor=request.user, user=user)
        return Response(user_as_dict(user))


class UserResetSecondFactor(APIView):
    """Remove the user's second-factor devices and backup codes (a lost phone): they enrol again at
    their next login."""

    capability = CAPABILITY

    @extend_schema(request=None, responses={200: inline_serializer(
        name="SecondFactorReset", fields={"devices_removed": serializers.IntegerField()}), 404: NOT_FOUND})
    def post(self, request: AuthenticatedRequest, user_id: int) -> Response:
        user = _user_of(request, user_id)
        return Response({"devices_removed": user_totp_reset(actor=request.user, user=user)})
