"""API: click-to-call. POST asks Mango to ring the caller's own extension and then the number (202, sent by
a worker); GET reads how it went, matched to Mango's result event by the command's id."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.selectors import client_get_for_user
from crm import access
from crm.api.errors import as_validation_error, errors
from crm.api.serializers import IdField
from crm.errors import DomainError
from integrations.mango import services
from integrations.models import MangoCommand
from leads.selectors import lead_get_for_user


class CallRequestSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=50, help_text="Номер из карточки клиента или лида, в любом написании.")
    client = IdField(required=False, allow_null=True, help_text="Клиент, чей это номер.")
    lead = IdField(required=False, allow_null=True, help_text="Лид, чей это номер (если не клиент).")

    def validate(self, attrs):
        if bool(attrs.get("client")) == bool(attrs.get("lead")):
            raise serializers.ValidationError({"client": ["Укажите клиента или лид, чей это номер (что-то одно)."]})
        return attrs


class CallCommandSerializer(serializers.ModelSerializer):
    class Meta:
        model = MangoCommand
        fields = ["id", "command_id", "state", "from_extension", "to_number", "client", "lead", "result_code", "error"]
        read_only_fields = fields


class ClickToCallApi(APIView):
    """Call a number from a card you may open: `{"number": "+7 916 123-45-67", "client": 12}`.

    Answers 202 at once; a worker sends Mango's `commands/callback` (your phone rings first). 400 with field
    errors for a number not on the card or no extension of yours in Mango, 404 for a card you may not open,
    503 when telephony is not connected."""

    @extend_schema(
        request=CallRequestSerializer,
        responses={202: CallCommandSerializer, **errors(400, 404, 503)},
        examples=[OpenApiExample("Клиенту", request_only=True, value={"number": "+79161234567", "client": 1})],
    )
    def post(self, request):
        data = CallRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        client = client_get_for_user(request.user, values["client"]) if values.get("client") else None
        lead = lead_get_for_user(request.user, values["lead"]) if values.get("lead") else None
        try:
            command = services.click_to_call(by=request.user, number=values["number"], client=client, lead=lead)
        except DomainError as exc:
            if exc.code == "unavailable":
                return Response({"detail": exc.message}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
            if exc.code == "forbidden":
                raise serializers.ValidationError({"number": [exc.message]}) from None
            raise as_validation_error(exc) from None
        return Response(CallCommandSerializer(command).data, status=status.HTTP_202_ACCEPTED)


class ClickToCallDetailApi(APIView):
    """How a call asked for went: `pending`, `sent` (Mango took it), `done` or `failed` with the reason."""

    @extend_schema(responses={200: CallCommandSerializer, **errors(404)})
    def get(self, request, pk: int):
        command = MangoCommand.objects.filter(pk=pk, kind=MangoCommand.Kind.CALLBACK).first()
        if command is None or not (command.requested_by_id == request.user.pk or access.sees_everything(request.user)):
            raise Http404
        return Response(CallCommandSerializer(command).data)
