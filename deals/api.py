from django.urls import reverse
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from clients.selectors import client_get_for_user
from crm import access
from crm import selectors as crm_selectors
from crm.api.errors import BAD_CURSOR, as_validation_error, errors
from crm.api.serializers import IdField
from crm.errors import DomainError
from crm.pipelines import ServiceLine, Stage
from crm.validators import as_field_validator, check_period_date
from deals import selectors, services
from deals import validators as bounds
from deals.models import Deal, IncomingDocument, Payment


class DealSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.display_name", read_only=True)
    has_overdue = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Deal
        fields = [
            "id",
            "client",
            "client_name",
            "service_line",
            "stage",
            "title",
            "manager",
            "branch",
            "source",
            "created_at",
            "stage_changed_at",
            "contract_number",
            "contract_date",
            "fee",
            "court",
            "case_number",
            "filing_date",
            "judge",
            "outcome_written_off",
            "outcome_date",
            "termination_reason",
            "has_overdue",
        ]
        read_only_fields = fields


class DealCreateSerializer(serializers.Serializer):
    client = IdField()
    service_line = serializers.ChoiceField(choices=ServiceLine.choices)
    manager = IdField(required=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(choices=Deal.Source.choices, default=Deal.Source.CALL)


class DealMoveSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    contract_number = serializers.CharField(max_length=50, required=False)
    # The same bounds as the card's form (deals.validators); those that need the deal are the service's.
    contract_date = serializers.DateField(required=False, validators=[as_field_validator(bounds.check_contract_date)])
    fee = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, validators=[as_field_validator(bounds.check_fee)]
    )
    court = serializers.CharField(max_length=200, required=False)
    case_number = serializers.CharField(max_length=40, required=False)
    filing_date = serializers.DateField(required=False, validators=[as_field_validator(bounds.check_filing_date)])
    outcome_written_off = serializers.BooleanField(required=False, allow_null=True, default=None)
    outcome_date = serializers.DateField(required=False, validators=[as_field_validator(bounds.check_outcome_date)])
    termination_reason = serializers.CharField(required=False, max_length=2000)


class DealFilterSerializer(serializers.Serializer):
    branch = IdField(required=False)
    manager = IdField(required=False)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    service_line = serializers.ChoiceField(choices=ServiceLine.choices, required=False)
    source = serializers.ChoiceField(choices=Deal.Source.choices, required=False)
    created_from = serializers.DateField(required=False, validators=[as_field_validator(check_period_date)])
    created_to = serializers.DateField(required=False, validators=[as_field_validator(check_period_date)])
    q = serializers.CharField(required=False, max_length=100)
    sort = serializers.ChoiceField(choices=list(selectors.SORTS), required=False, default="new")
    cursor = serializers.CharField(required=False, max_length=200)


class DealListCreateApi(APIView):
    """Deals the caller may see, with the list page's filters; POST opens a deal for a client."""

    @extend_schema(
        # Not a paginated list in DRF's sense, so spectacular would call it "retrieve".
        operation_id="v1_deals_list",
        parameters=[DealFilterSerializer],
        responses={
            200: inline_serializer(
                "DealPage",
                {
                    "results": DealSerializer(many=True),
                    "next_cursor": serializers.CharField(
                        allow_null=True, help_text="`cursor` for the next page; null on the last one."
                    ),
                },
            ),
            **errors(400),
        },
    )
    def get(self, request):
        f = DealFilterSerializer(data=request.query_params)
        f.is_valid(raise_exception=True)
        d = f.validated_data
        rows, next_cursor = selectors.deals_filtered(
            request.user,
            branch_id=d.get("branch"),
            manager_id=d.get("manager"),
            stage=d.get("stage"),
            service_line=d.get("service_line"),
            source=d.get("source"),
            created_from=d.get("created_from"),
            created_to=d.get("created_to"),
            q=d.get("q", ""),
            sort=d["sort"],
            cursor=d.get("cursor"),
        )
        return Response({"results": DealSerializer(rows, many=True).data, "next_cursor": next_cursor})

    @extend_schema(
        request=DealCreateSerializer,
        responses={201: DealSerializer, **errors(400, 403, 404, 413)},
        examples=[
            OpenApiExample(
                "Сделка ДУ",
                request_only=True,
                value={"client": 1, "service_line": "du", "title": "Консультация по долгам", "source": "call"},
            )
        ],
    )
    def post(self, request):
        data = DealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        client = client_get_for_user(request.user, d["client"])
        manager_id = d.get("manager", request.user.pk)
        manager = crm_selectors.staff_visible_to(request.user).filter(pk=manager_id).first()
        if manager is None or not access.may_open_case_for(request.user, manager):
            raise serializers.ValidationError({"manager": ["Этому менеджеру вы не можете поручить сделку."]})
        try:
            deal = services.deal_create(
                by=request.user,
                client=client,
                service_line=d["service_line"],
                manager=manager,
                title=d["title"],
                source=d["source"],
            )
        except DomainError as exc:
            raise as_validation_error(exc) from None
        return Response(DealSerializer(deal).data, status=status.HTTP_201_CREATED)


@extend_schema_view(get=extend_schema(responses={200: DealSerializer, **errors(404)}))
class DealDetailApi(generics.RetrieveAPIView):
    serializer_class = DealSerializer

    def get_object(self):
        return selectors.mark_overdue([selectors.deal_get_for_user(self.request.user, self.kwargs["pk"])])[0]


class DealMoveApi(APIView):
    """Move a deal: `{"stage": code, ...fields the stage requires}`.

    400 with field errors when a field is missing or wrong, or the move skips
    the order; 404 when the caller may not see the deal.
    """

    @extend_schema(
        request=DealMoveSerializer,
        responses={200: DealSerializer, **errors(400, 403, 404, 413)},
        examples=[
            OpenApiExample(
                "Договор заключён",
                request_only=True,
                value={
                    "stage": "db_prep_court",
                    "contract_number": "ДБ-17/2026",
                    "contract_date": "2026-11-02",
                    "fee": "120000.00",
                },
            )
        ],
    )
    def post(self, request, pk: int):
        deal = selectors.deal_get_for_user(request.user, pk)
        data = DealMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k != "stage"}
        try:
            services.deal_move_to_stage(deal=deal, stage=data.validated_data["stage"], by=request.user, data=fields)
        except DomainError as exc:
            if exc.code == "forbidden":
                return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
            raise as_validation_error(exc) from None
        deal = selectors.mark_overdue([selectors.deal_get_for_user(request.user, pk)])[0]
        return Response(DealSerializer(deal).data)


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "deal", "paid_on", "amount", "method", "comment", "recorded_by", "recorded_at"]
        read_only_fields = ["id", "recorded_by", "recorded_at"]
        # The same bounds as the card's form; «not before the contract» needs the deal
        # the caller may see, so the service checks it after the access check.
        extra_kwargs = {
            "paid_on": {"validators": [as_field_validator(bounds.check_payment_date)]},
            "amount": {"validators": [as_field_validator(bounds.check_payment_amount)]},
        }


class PaymentFilterSerializer(serializers.Serializer):
    deal = IdField(required=False)


class PaymentListCreateApi(generics.ListCreateAPIView):
    """Payments on the deals the caller may see; `?deal=<id>` for one deal."""

    serializer_class = PaymentSerializer

    @extend_schema(
        parameters=[PaymentFilterSerializer],
        responses={200: PaymentSerializer(many=True), **errors(400), **BAD_CURSOR},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # `?deal=abc` used to list every payment, and `?deal=²` (a digit to str.isdigit, not to int) was a 500.
        f = PaymentFilterSerializer(data=self.request.query_params)
        f.is_valid(raise_exception=True)
        qs = Payment.objects.filter(deal__in=selectors.deals_visible_to(self.request.user))
        return qs.filter(deal_id=f.validated_data["deal"]) if "deal" in f.validated_data else qs

    @extend_schema(
        responses={201: PaymentSerializer, **errors(400, 403, 404, 413)},
        examples=[
            OpenApiExample(
                "Наличными",
                request_only=True,
                value={"deal": 2, "paid_on": "2026-11-20", "amount": "15000.00", "method": "cash", "comment": ""},
            )
        ],
    )
    def post(self, request):
        data = PaymentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        deal = selectors.deal_get_for_user(request.user, d.pop("deal").pk)
        try:
            payment = services.payment_record(deal=deal, by=request.user, **d)
        except DomainError as exc:
            if exc.code == "forbidden":
                return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
            raise as_validation_error(exc) from None
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


# --- incoming documents ------------------------------------------------------------------------


class IncomingDocumentSerializer(serializers.ModelSerializer):
    client_name = serializers.CharField(source="client.display_name", read_only=True)
    file_name = serializers.CharField(source="file.name", read_only=True)
    file_url = serializers.SerializerMethodField(help_text="Скачивание скана (журналируется, как любой документ).")

    class Meta:
        model = IncomingDocument
        fields = [
            "id",
            "number",
            "year",
            "seq",
            "deal",
            "client",
            "client_name",
            "received_on",
            "sender",
            "kind",
            "summary",
            "file",
            "file_name",
            "file_url",
            "reply_deadline",
            "responsible",
            "task",
            "registered_by",
            "registered_at",
        ]
        read_only_fields = fields

    def get_file_url(self, doc: IncomingDocument) -> str:
        return reverse("clients:document_download", args=[doc.client_id, doc.file_id])


class IncomingCreateSerializer(serializers.Serializer):
    deal = IdField()
    received_on = serializers.DateField(validators=[as_field_validator(check_period_date)])
    sender = serializers.CharField(max_length=services.MAX_SENDER_LENGTH)
    kind = serializers.ChoiceField(choices=IncomingDocument.Kind.choices)
    file = serializers.FileField(help_text="Скан документа; он попадёт в документы и папку клиента.")
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    reply_deadline = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[as_field_validator(check_period_date)]
    )
    responsible = IdField(
        required=False, allow_null=True, default=None, help_text="По умолчанию — менеджер сделки (если есть срок)."
    )


class IncomingFilterSerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    kind = serializers.ChoiceField(choices=IncomingDocument.Kind.choices, required=False)
    date_from = serializers.DateField(required=False, validators=[as_field_validator(check_period_date)])
    date_to = serializers.DateField(required=False, validators=[as_field_validator(check_period_date)])
    branch = IdField(required=False)
    manager = IdField(required=False)
    deal = IdField(required=False)
    deadline = serializers.ChoiceField(
        choices=[c for c in selectors.IncomingDeadline.CHOICES if c[0]],
        required=False,
        help_text="`waiting` — ждут ответа, `overdue` — срок ответа прошёл.",
    )
    q = serializers.CharField(required=False, max_length=100, help_text="Номер или отправитель.")
    cursor = serializers.CharField(required=False, max_length=200)


def _refused(user) -> Response | None:
    if not access.may_see_deals(user):
        return Response({"detail": "Реестр входящих ведут менеджеры, РОП, юристы и директор."}, status=403)
    return None


class IncomingListCreateApi(APIView):
    """The incoming register: papers on the deals the caller may see, newest first; POST (multipart) registers one."""

    @extend_schema(
        operation_id="v1_incoming_documents_list",
        parameters=[IncomingFilterSerializer],
        responses={
            200: inline_serializer(
                "IncomingDocumentPage",
                {
                    "results": IncomingDocumentSerializer(many=True),
                    "next_cursor": serializers.CharField(
                        allow_null=True, help_text="`cursor` for the next page; null on the last one."
                    ),
                },
            ),
            **errors(400, 403),
        },
    )
    def get(self, request):
        if refusal := _refused(request.user):
            return refusal
        f = IncomingFilterSerializer(data=request.query_params)
        f.is_valid(raise_exception=True)
        d = f.validated_data
        filters = selectors.IncomingFilters(
            year=d.get("year"),
            kind=d.get("kind", ""),
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            branch_id=d.get("branch"),
            manager_id=d.get("manager"),
            deal_id=d.get("deal"),
            deadline=d.get("deadline", ""),
            q=d.get("q", ""),
        )
        rows, next_cursor = selectors.incoming_page(request.user, filters, cursor=d.get("cursor"))
        return Response({"results": IncomingDocumentSerializer(rows, many=True).data, "next_cursor": next_cursor})

    @extend_schema(
        request={"multipart/form-data": IncomingCreateSerializer},
        responses={201: IncomingDocumentSerializer, **errors(400, 403, 404, 413)},
    )
    def post(self, request):
        if refusal := _refused(request.user):
            return refusal
        data = IncomingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        deal = selectors.deal_get_for_user(request.user, d["deal"])
        responsible = None
        if d["responsible"] is not None:
            responsible = selectors.incoming_responsibles(request.user, deal).filter(pk=d["responsible"]).first()
            if responsible is None:
                raise serializers.ValidationError(
                    {"responsible": ["Этот сотрудник не может открыть сделку: выберите другого ответственного."]}
                )
        try:
            incoming = services.incoming_register(
                deal=deal,
                by=request.user,
                received_on=d["received_on"],
                sender=d["sender"],
                kind=d["kind"],
                upload=d["file"],
                summary=d["summary"],
                reply_deadline=d["reply_deadline"],
                responsible=responsible,
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
            raise as_validation_error(exc) from None
        incoming = selectors.incoming_get_for_user(request.user, incoming.pk)
        return Response(IncomingDocumentSerializer(incoming).data, status=status.HTTP_201_CREATED)


class IncomingDetailApi(APIView):
    @extend_schema(
        operation_id="v1_incoming_documents_retrieve", responses={200: IncomingDocumentSerializer, **errors(404)}
    )
    def get(self, request, pk: int):
        return Response(IncomingDocumentSerializer(selectors.incoming_get_for_user(request.user, pk)).data)
