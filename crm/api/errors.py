from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from crm.errors import DomainError


def as_validation_error(exc: DomainError) -> serializers.ValidationError:
    """A service's refusal as a DRF 400 with the field it names."""
    field = exc.field or "non_field_errors"
    return serializers.ValidationError({field: [exc.message]}, code=exc.code)


# --- How errors look in the OpenAPI schema ------------------------------------------------
# DRF renders them (no custom exception handler): a refused input is a 400 with messages by
# field, everything else an object with `detail`. The views declare them with `errors(...)`.


class ErrorSerializer(serializers.Serializer):
    """401, 403, 404, 413, 429: what went wrong, in Russian."""

    detail = serializers.CharField()


class CodedErrorSerializer(ErrorSerializer):
    """409 and 422: the reason and a code a program can act on."""

    code = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """400: `{"field": ["message", ...]}` for each refused field (a nested list or object for nested input).

    `non_field_errors` holds refusals that name no one field; `detail` alone
    answers a body that is not valid JSON.
    """

    detail = serializers.CharField(required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class FieldErrorsSchema(OpenApiSerializerExtension):
    # A serializer cannot say "any other key, with a list of messages"; this adds it.
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        schema = super().map_serializer(auto_schema, direction)
        messages = {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}}
        return {**schema, "additionalProperties": {"anyOf": [messages, {"type": "object"}]}}


ERROR_RESPONSES = {
    400: OpenApiResponse(FieldErrorsSerializer, "Ошибки ввода: тексты по полям."),
    401: OpenApiResponse(ErrorSerializer, "Нет токена, он неверен или сотрудник отключён."),
    403: OpenApiResponse(ErrorSerializer, "Это действие вам не разрешено (или запрос по сессии без CSRF-токена)."),
    404: OpenApiResponse(ErrorSerializer, "Нет такого объекта или он вам не виден."),
    409: OpenApiResponse(CodedErrorSerializer, "Время занято: пересечение с другой встречей (code `overlap`)."),
    413: OpenApiResponse(ErrorSerializer, "Тело запроса больше допустимого."),
    422: OpenApiResponse(CodedErrorSerializer, "Запрос отклонён по смыслу; причина в `detail`, код в `code`."),
    429: OpenApiResponse(
        ErrorSerializer,
        "Слишком много неверных паролей: вход заблокирован на время из заголовка Retry-After.",
    ),
    503: OpenApiResponse(ErrorSerializer, "Внешняя система (например, телефония) не подключена."),
}

# DRF's cursor pagination answers a cursor it did not issue with a 404.
BAD_CURSOR = {404: OpenApiResponse(ErrorSerializer, "Курсор `cursor` не тот, что выдал API.")}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error answers of an operation, for `extend_schema(responses={...})`; 401 comes with every token call."""
    return {code: ERROR_RESPONSES[code] for code in sorted({401, *codes})}
