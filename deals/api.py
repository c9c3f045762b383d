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
from deals.models import Deal, Payment


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
