"""«Мой календарь Яндекса» (connect, check, disconnect), the admin's list of connections, and the same over the API."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import access
from crm.api.errors import errors
from integrations.caldav import services
from integrations.models import CalendarConnection


class ConnectionForm(forms.Form):
    url = forms.CharField(label="Адрес сервера CalDAV", max_length=300)
    username = forms.CharField(label="Логин (адрес Яндекс-почты целиком)", max_length=254)
    # Never rendered back: the stored password is not shown again.
    password = forms.CharField(
        label="Пароль приложения", max_length=200, widget=forms.PasswordInput(render_value=False)
    )
    calendar = forms.CharField(label="Название календаря", max_length=200, initial="Мои события")


@login_required
def my_calendar_view(request):
    if not access.may_connect_calendar(request.user):
        raise PermissionDenied
    conn = services.connection_get(request.user)
    initial = {"url": settings.CALDAV_DEFAULT_URL, "username": request.user.email or ""}
    if conn is not None:
        initial = {"url": conn.url, "username": conn.username, "calendar": conn.calendar}
    form = ConnectionForm(initial=initial)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "connect":
        form = ConnectionForm(request.POST)
        if form.is_valid():
            _, result = services.connection_save(user=request.user, **form.cleaned_data)
            if result.ok:
                messages.success(request, "Календарь подключён: новые встречи появятся в нём сами.")
                return redirect("integrations:caldav_mine")
            form.add_error(result.field_name if result.field_name in form.fields else None, result.reason)
    elif action == "check" and conn is not None:
        result = services.connection_check(connection=conn)
        if result.ok:
            messages.success(request, "Подключение работает.")
        else:
            messages.error(request, result.reason)
        return redirect("integrations:caldav_mine")
    elif action == "disconnect" and conn is not None:
        services.connection_delete(user=request.user)
        messages.success(request, "Календарь отключён. События, уже записанные в него, остались там.")
        return redirect("integrations:caldav_mine")
    return render(
        request,
        "integrations/caldav_mine.html",
        {"form": form, "conn": conn, "enabled": settings.CALDAV_ENABLED},
    )


@login_required
def connections_view(request):
    """Every staff member's connection state (never a password), for the admin."""
    if not access.may_see_calendar_connections(request.user):
        raise PermissionDenied
    rows = CalendarConnection.objects.select_related("user", "user__branch").order_by("user__full_name")[:500]
    return render(request, "integrations/caldav_connections.html", {"rows": rows, "enabled": settings.CALDAV_ENABLED})


# --- API ------------------------------------------------------------------------------------


class CalendarConnectionInSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=300, help_text="https://caldav.yandex.ru")
    username = serializers.CharField(max_length=254, help_text="Логин: адрес Яндекс-почты целиком.")
    password = serializers.CharField(max_length=200, write_only=True, help_text="Пароль приложения для календаря.")
    calendar = serializers.CharField(max_length=200, help_text="Название календаря в учётной записи.")


class CalendarConnectionSerializer(serializers.ModelSerializer):
    """The connection without its password."""

    enabled = serializers.SerializerMethodField()

    class Meta:
        model = CalendarConnection
        fields = ["url", "username", "calendar", "state", "last_check_at", "last_error", "last_readback_at", "enabled"]
        read_only_fields = fields

    def get_enabled(self, obj) -> bool:
        return settings.CALDAV_ENABLED


def _require_may_connect(request) -> None:
    if not access.may_connect_calendar(request.user):
        raise ApiDenied("Подключить календарь может тот, у кого в CRM есть свой календарь.")


class MyCalendarConnectionApi(APIView):
    """The signed-in user's Yandex.Calendar connection: read (no password), connect with a check, disconnect."""

    @extend_schema(
        responses={
            200: CalendarConnectionSerializer,
            **errors(403),
            404: OpenApiResponse(errors(404)[404].response, "Календарь не подключён."),
        },
        tags=["calendar"],
    )
    def get(self, request):
        _require_may_connect(request)
        conn = services.connection_get(request.user)
        if conn is None:
            raise NotFound("Календарь не подключён.")
        return Response(CalendarConnectionSerializer(conn).data)

    @extend_schema(
        request=CalendarConnectionInSerializer,
        responses={200: CalendarConnectionSerializer, **errors(400, 403, 413)},
        tags=["calendar"],
        description="Проверяет подключение (вход, список календарей) и сохраняет его, если всё работает; "
        "иначе 400 с причиной по-русски. Пароль хранится зашифрованным и не возвращается.",
    )
    def put(self, request):
        _require_may_connect(request)
        data = CalendarConnectionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conn, result = services.connection_save(user=request.user, **data.validated_data)
        if not result.ok:
            raise serializers.ValidationError({result.field_name: [result.reason]})
        return Response(CalendarConnectionSerializer(conn).data)

    @extend_schema(responses={204: None, **errors(403, 404)}, tags=["calendar"])
    def delete(self, request):
        _require_may_connect(request)
        if not services.connection_delete(user=request.user):
            raise NotFound("Календарь не подключён.")
        return Response(status=204)
