"""API: the signed-in user's own mailbox (`/api/v1/me/mailbox/`), read without its password, connected with a
check, disconnected. The same service as «Моя почта» in the profile."""

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.exceptions import PermissionDenied as ApiDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import access
from crm.api.errors import as_validation_error, errors
from crm.errors import DomainError
from integrations.mail import selectors, services
from integrations.models import Mailbox

NOT_CONNECTED = "Почта не подключена."
SWITCHED_OFF = "Почта в CRM выключена на этом сервере (MAIL_ENABLED)."


class MailboxInSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="Адрес почты целиком: он же логин.")
    password = serializers.CharField(
        max_length=200, write_only=True, help_text="Пароль приложения для почты (id.yandex.ru → Пароли приложений)."
    )
    imap_host = serializers.CharField(max_length=200, default=services.YANDEX["imap_host"])
    imap_port = serializers.IntegerField(min_value=1, max_value=65535, default=services.YANDEX["imap_port"])
    smtp_host = serializers.CharField(max_length=200, default=services.YANDEX["smtp_host"])
    smtp_port = serializers.IntegerField(min_value=1, max_value=65535, default=services.YANDEX["smtp_port"])
    security = serializers.ChoiceField(
        choices=Mailbox.Security.choices,
        default=Mailbox.Security.SSL,
        help_text="`ssl`; `plain` — только для тестового сервера на этой машине (127.0.0.1, localhost).",
    )


class MailboxSerializer(serializers.ModelSerializer):
    """The mailbox without its password."""

    username = serializers.CharField(source="address", read_only=True, help_text="Адрес почты: он же логин.")

    class Meta:
        model = Mailbox
        fields = [
            "username",
            "imap_host",
            "imap_port",
            "smtp_host",
            "smtp_port",
            "security",
            "state",
            "last_check_at",
            "last_polled_at",
            "last_error",
        ]
        read_only_fields = fields


class MailUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = SWITCHED_OFF
    default_code = "unavailable"


def _require_may_connect(request) -> None:
    """403 for whoever may not connect a mailbox; 503 while mail is switched off."""
    if not access.may_connect_mailbox(request.user):
        raise ApiDenied("Подключить почту может действующий сотрудник.")
    if not settings.MAIL_ENABLED:
        raise MailUnavailable()


def _not_connected():
    return OpenApiResponse(errors(404)[404].response, NOT_CONNECTED)


def _switched_off():
    return OpenApiResponse(
        errors(503)[503].response, "Почта в CRM выключена (MAIL_ENABLED) или не задан ключ шифрования."
    )


class MyMailboxApi(APIView):
    """The signed-in user's Yandex mailbox: read (no password), connect with a check, disconnect."""

    @extend_schema(
        responses={200: MailboxSerializer, **errors(403), 404: _not_connected(), 503: _switched_off()},
        tags=["mail"],
    )
    def get(self, request):
        _require_may_connect(request)
        mailbox = selectors.personal_mailbox(request.user)
        if mailbox is None:
            raise NotFound(NOT_CONNECTED)
        return Response(MailboxSerializer(mailbox).data)

    @extend_schema(
        request=MailboxInSerializer,
        responses={200: MailboxSerializer, **errors(400, 403, 413), 503: _switched_off()},
        tags=["mail"],
        description="Проверяет вход по IMAP и SMTP и сохраняет ящик, только если оба работают; иначе 400 "
        "с причиной по-русски на поле (`password` — логин, пароль приложения, IMAP в настройках ящика; "
        "`security` — `plain` для чужого сервера). Серверы по умолчанию — Яндекса. Повторный PUT заменяет "
        "ящик. Пароль хранится зашифрованным и не возвращается.",
        examples=[
            OpenApiExample(
                "Яндекс",
                request_only=True,
                value={"username": "ivanov@yandex.ru", "password": "abcdefghijklmnop"},
            )
        ],
    )
    def put(self, request):
        _require_may_connect(request)
        data = MailboxInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            mailbox = services.mailbox_connect(by=request.user, **data.validated_data)
        except DomainError as exc:
            if exc.code == "unavailable":
                raise MailUnavailable(exc.message) from None
            if exc.code == "forbidden":
                raise ApiDenied(exc.message) from None
            raise as_validation_error(exc) from None
        return Response(MailboxSerializer(mailbox).data)

    @extend_schema(responses={204: None, **errors(403), 404: _not_connected(), 503: _switched_off()}, tags=["mail"])
    def delete(self, request):
        _require_may_connect(request)
        mailbox = selectors.personal_mailbox(request.user)
        if mailbox is None:
            raise NotFound(NOT_CONNECTED)
        services.mailbox_disconnect(mailbox=mailbox)
        return Response(status=status.HTTP_204_NO_CONTENT)
