from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from crm import access
from crm.api.errors import BAD_CURSOR, as_validation_error, errors
from crm.errors import DomainError
from crm.models import Branch, User
from crm.pipelines import ServiceLine
from deals.models import Deal
from leads import selectors, services
from leads.models import Lead, LeadMessage


class LeadMessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = LeadMessage
        fields = ["at", "source", "text"]
        read_only_fields = fields


class LeadSerializer(serializers.ModelSerializer):
    # Both may be left empty by the caller; the model keeps "" for "not given".
    email = serializers.EmailField(label="E-mail", read_only=True, allow_blank=True)
    service_line = serializers.ChoiceField(
        label="Направление", choices=ServiceLine.choices, read_only=True, allow_blank=True
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "created_at",
            "source",
            "name",
            "phone",
            "email",
            "message",
            "service_line",
            "branch",
            "status",
            "assigned_to",
            "routed_to_office",
            "client",
            "deal",
            "history",
        ]
        read_only_fields = fields

    # Later requests of the same caller (repeat calls, merged duplicates), oldest first.
    history = LeadMessageSerializer(many=True, read_only=True)


class LeadCreateSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Deal.Source.choices, default=Deal.Source.SITE)
    name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    service_line = serializers.ChoiceField(choices=ServiceLine.choices, required=False, allow_blank=True, default="")
    branch = serializers.PrimaryKeyRelatedField(
        queryset=Branch.objects.filter(is_active=True), required=False, allow_null=True, default=None
    )
    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(access.owners_q()),
        required=False,
        allow_null=True,
        default=None,
    )


@extend_schema_view(get=extend_schema(responses={200: LeadSerializer(many=True), **errors(), **BAD_CURSOR}))
class LeadListCreateApi(generics.ListCreateAPIView):
    """Leads the caller may see; POST takes a request from the website or a partner.

    A request from the phone (or, without a phone, the e-mail) of an open lead
    continues that lead: 200 with it, the request appended to its `history`.

    Send an `Idempotency-Key` header: the same key twice creates one lead
    (the second answer is 200 with the first lead). A key is the caller's
    own: another caller's equal key is a different key, and the same key
    with a different request body is refused with 422.
    """

    serializer_class = LeadSerializer

    def get_queryset(self):
        # A merged duplicate is no longer listed (it still opens by id).
        return (
            selectors.leads_visible_to(self.request.user)
            .filter(merged_into__isnull=True)
            .prefetch_related("history")
            .order_by("-id")
        )

    @extend_schema(
        request=LeadCreateSerializer,
        responses={
            201: OpenApiResponse(LeadSerializer, "Лид создан."),
            200: OpenApiResponse(
                LeadSerializer,
                "Этот Idempotency-Key уже был: первый лид; или у этого телефона (e-mail) уже есть открытый лид — "
                "запрос добавлен в его историю (history), второй лид не создан.",
            ),
            **errors(400, 403, 413, 422),
        },
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request):
        if not access.may_take_leads(request.user):
            raise PermissionDenied("Юристы не принимают обращения.")
        data = LeadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()[:100] or None
        try:
            lead, created = services.lead_create(by=request.user, idempotency_key=key, **data.validated_data)
        except DomainError as exc:
            if exc.code == "idempotency_key_reused":
                return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
            if exc.code == "forbidden":
                return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
            raise as_validation_error(exc) from None
        return Response(LeadSerializer(lead).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@extend_schema_view(get=extend_schema(responses={200: LeadSerializer, **errors(404)}))
class LeadDetailApi(generics.RetrieveAPIView):
    serializer_class = LeadSerializer

    def get_object(self):
        return selectors.lead_get_for_user(self.request.user, self.kwargs["pk"])
