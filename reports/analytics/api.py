"""/api/v1/analytics/<dashboard>/: the same tables as the pages, as JSON, with the same filters."""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import access
from crm.api.errors import errors
from reports.analytics.filters import AnalyticsFilterForm
from reports.analytics.registry import DASHBOARDS


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["text", "int", "money", "percent", "days", "hours"],
        help_text="money — рубли строкой с копейками; percent — проценты; days/hours — длительность.",
    )


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    columns = ColumnSerializer(many=True)
    rows = serializers.ListField(
        child=serializers.DictField(allow_null=True), help_text="Строки: ключ колонки → значение."
    )
    totals = serializers.DictField(allow_null=True, required=False)


class FiltersSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    branch = serializers.IntegerField(allow_null=True)
    manager = serializers.IntegerField(allow_null=True)
    source = serializers.CharField(allow_blank=True)
    pipeline = serializers.CharField(allow_blank=True)
    stuck_days = serializers.IntegerField()


class DashboardSerializer(serializers.Serializer):
    dashboard = serializers.CharField()
    title = serializers.CharField()
    filters = FiltersSerializer()
    tables = TableSerializer(many=True)


def _plain(value):
    """Money as a string with kopecks (no float rounding), other numbers as they are."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        # A sum comes back as 150000 from SQLite and 150000.00 from PostgreSQL: always two places.
        return f"{value:.2f}"
    return str(value)


FILTER_PARAMETERS = [
    OpenApiParameter(
        "date_from", OpenApiTypes.DATE, description="Начало периода, ГГГГ-ММ-ДД (по умолчанию — начало месяца)."
    ),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Конец периода, ГГГГ-ММ-ДД (по умолчанию — сегодня)."),
    OpenApiParameter("branch", int, description="Филиал (РОП всегда видит свой)."),
    OpenApiParameter("manager", int, description="Менеджер."),
    OpenApiParameter("source", str, description="Источник: call, site, referral, mail, partner, walk_in, other."),
    OpenApiParameter("pipeline", str, description="Воронка: db или du."),
    OpenApiParameter("stuck_days", int, description="Порог «застряли», дней (1–365, по умолчанию 30)."),
]


class AnalyticsApi(APIView):
    slug = ""

    def get(self, request):
        if not access.offers_analytics(request.user):
            return Response({"detail": "Аналитику видят РОП своего филиала и директор."}, status=403)
        form = AnalyticsFilterForm(request.user, request.query_params)
        if not form.is_valid():
            return Response({k: list(v) for k, v in form.errors.items()}, status=400)
        filters = form.filters()
        title, build = DASHBOARDS[self.slug]
        dashboard = build(request.user, filters)
        data = {
            "dashboard": self.slug,
            "title": dashboard.title,
            "filters": {
                "date_from": filters.date_from,
                "date_to": filters.date_to,
                "branch": filters.branch_id,
                "manager": filters.manager_id,
                "source": filters.source,
                "pipeline": filters.pipeline,
                "stuck_days": filters.stuck_days,
            },
            "tables": [
                {
                    "key": t.key,
                    "title": t.title,
                    "note": t.note,
                    "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in t.columns],
                    "rows": [{k: _plain(v) for k, v in row.items()} for row in t.rows],
                    "totals": {k: _plain(v) for k, v in t.totals.items()} if t.totals else None,
                }
                for t in dashboard.tables
            ],
        }
        return Response(DashboardSerializer(data).data)


def _api(slug: str, summary: str) -> type[AnalyticsApi]:
    """One API view per dashboard, each its own operation in the schema."""

    @extend_schema(
        operation_id=f"v1_analytics_{slug}",
        summary=summary,
        parameters=FILTER_PARAMETERS,
        responses={200: DashboardSerializer, **errors(400, 403)},
    )
    def get(self, request):
        return AnalyticsApi.get(self, request)

    return type(f"{slug.title()}AnalyticsApi", (AnalyticsApi,), {"slug": slug, "get": get})


FunnelApi = _api("funnel", "Воронка: вход в стадии, конверсия, время на стадии, застрявшие, потери, источники")
EfficiencyApi = _api(
    "efficiency",
    "Эффективность менеджеров: первый ответ на обращение, дела, нарушения «Моих дел», задачи, договоры и деньги",
)
PaymentsApi = _api("payments", "Платежи: ожидалось и получено по месяцам, просроченные взносы, собираемость")
