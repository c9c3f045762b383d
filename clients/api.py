from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from clients import selectors as client_selectors
from clients import services as client_services
from clients.models import Client
from crm import access
from crm import selectors as crm_selectors
from crm.api.errors import BAD_CURSOR, as_validation_error, errors
from crm.api.serializers import IdField
from crm.errors import DomainError
from crm.validators import mask


class ClientSerializer(serializers.ModelSerializer):
    phones = serializers.SerializerMethodField()
    email = serializers.EmailField(label="E-mail", read_only=True, allow_blank=True)
    # Personal data leaves the CRM masked; the full value is shown only on the
    # card, one field at a time, and every opening is logged.
    passport = serializers.SerializerMethodField()
    snils = serializers.SerializerMethodField()
    inn = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = [
            "id",
            "kind",
            "display_name",
            "last_name",
            "first_name",
            "patronymic",
            "company_name",
            "phones",
            "email",
            "birth_date",
            "region",
            "passport",
            "snils",
            "inn",
            "manager",
            "branch",
            "status",
            "created_at",
        ]
        read_only_fields = fields

    def get_phones(self, obj) -> list[str]:
        return [p.number for p in obj.phones.all()]

    def get_passport(self, obj) -> str:
        return mask(obj.passport)

    def get_snils(self, obj) -> str:
        return mask(obj.snils)

    def get_inn(self, obj) -> str:
        return mask(obj.inn)


class ClientCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Client.Kind.choices, default=Client.Kind.PERSON)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    patronymic = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    company_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    phones = serializers.ListField(child=serializers.CharField(max_length=32), required=False, default=list)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    manager = IdField(required=False)


@extend_schema_view(get=extend_schema(responses={200: ClientSerializer(many=True), **errors(), **BAD_CURSOR}))
class ClientListCreateApi(generics.ListCreateAPIView):
    """Clients the caller may see, newest first; POST opens a client card (personal data come back masked)."""

    serializer_class = ClientSerializer

    def get_queryset(self):
        # A merged duplicate is no longer listed (its card still opens by id and names the survivor).
        return (
            client_selectors.clients_visible_to(self.request.user)
            .filter(merged_into__isnull=True)
            .prefetch_related("phones")
        )

    @extend_schema(
        request=ClientCreateSerializer,
        responses={201: ClientSerializer, **errors(400, 403, 413)},
        examples=[
            OpenApiExample(
                "Физлицо",
                request_only=True,
                value={
                    "kind": "person",
                    "last_name": "Васильев",
                    "first_name": "Олег",
                    "patronymic": "Петрович",
                    "phones": ["+7 916 555-12-34"],
                    "region": "Москва",
                },
            )
        ],
    )
    def post(self, request):
        data = ClientCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        manager_id = fields.pop("manager", request.user.pk)
        manager = crm_selectors.staff_visible_to(request.user).filter(pk=manager_id).first()
        if manager is None or not access.may_open_case_for(request.user, manager):
            raise serializers.ValidationError({"manager": ["Этому менеджеру вы не можете поручить клиента."]})
        try:
            client = client_services.client_create(by=request.user, branch=manager.branch, manager=manager, **fields)
        except DomainError as exc:
            raise as_validation_error(exc) from None
        return Response(ClientSerializer(client).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(responses={200: ClientSerializer, **errors(404)}))
class ClientDetailApi(generics.RetrieveAPIView):
    serializer_class = ClientSerializer

    def get_object(self):
        return client_selectors.client_get_for_user(self.request.user, self.kwargs["pk"])
