"""/api/v1/daily-reports/: the same rules as the pages — selectors decide what is visible, services what may change."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import access
from crm.api.errors import as_validation_error, errors
from crm.errors import DomainError
from reports import selectors, services
from reports.models import DailyReport

LIST_LIMIT = 200


class ManagerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class AnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    text = serializers.CharField()
    kind = serializers.CharField()
    answer = serializers.CharField(allow_blank=True)


class DailyReportSerializer(serializers.ModelSerializer):
    manager = ManagerSerializer()
    figures = serializers.DictField(child=serializers.CharField(), help_text="Показатель → значение (суммы строкой).")
    comments = serializers.DictField(child=serializers.CharField(), help_text="Показатель → комментарий менеджера.")
    answers = AnswerSerializer(many=True)
    reviewed_by = ManagerSerializer(allow_null=True)

    class Meta:
        model = DailyReport
        fields = [
            "id",
            "manager",
            "branch",
            "date",
            "version",
            "is_current",
            "status",
            "figures",
            "comments",
            "answers",
            "submitted_at",
            "reviewed_by",
            "reviewed_at",
            "review_comment",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["figures"] = {k: str(v) for k, v in instance.figures.items()}
        return data


class DailyReportFilterSerializer(serializers.Serializer):
    date = serializers.DateField(required=False)
    branch = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    manager = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class DailyReportCreateSerializer(serializers.Serializer):
    comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=1000), required=False, default=dict
    )
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        required=False,
        default=dict,
        help_text="id вопроса → ответ.",
    )
    correcting = serializers.BooleanField(required=False, default=False, help_text="Исправить уже сданный отчёт.")


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


def _forbidden(exc: DomainError) -> Response:
    return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)


class DailyReportListCreateApi(APIView):
    """Current end-of-day reports the caller may read (newest first, up to 200); POST files today's report."""

    @extend_schema(
        operation_id="v1_daily_reports_list",
        parameters=[DailyReportFilterSerializer],
        responses={200: DailyReportSerializer(many=True), **errors(400, 403)},
    )
    def get(self, request):
        if not access.offers_daily_reports(request.user):
            return Response({"detail": "Отчёты за день читают менеджеры, РОП и директор."}, status=403)
        f = DailyReportFilterSerializer(data=request.query_params)
        f.is_valid(raise_exception=True)
        qs = selectors.reports_visible_to(request.user).filter(is_current=True)
        for key in ("date", "branch", "manager"):
            if key in f.validated_data:
                qs = qs.filter(**{key: f.validated_data[key]})
        rows = qs.select_related("manager", "reviewed_by").order_by("-date", "manager_id", "-pk")[:LIST_LIMIT]
        return Response(DailyReportSerializer(rows, many=True).data)

    @extend_schema(
        request=DailyReportCreateSerializer,
        responses={201: DailyReportSerializer, **errors(400, 403, 413)},
    )
    def post(self, request):
        data = DailyReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            report = services.daily_report_submit(
                manager=request.user, comments=d["comments"], answers=d["answers"], correcting=d["correcting"]
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                return _forbidden(exc)
            raise as_validation_error(exc) from None
        return Response(DailyReportSerializer(report).data, status=status.HTTP_201_CREATED)


class DailyReportDetailApi(APIView):
    @extend_schema(responses={200: DailyReportSerializer, **errors(404)})
    def get(self, request, pk: int):
        return Response(DailyReportSerializer(selectors.report_get_for_user(request.user, pk)).data)


class DailyReportReviewApi(APIView):
    """The branch's head or the director marks the current version reviewed; the manager is notified."""

    @extend_schema(request=ReviewSerializer, responses={200: DailyReportSerializer, **errors(400, 403, 404, 413)})
    def post(self, request, pk: int):
        report = selectors.report_get_for_user(request.user, pk)
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            report = services.daily_report_review(
                report=report, by=request.user, comment=data.validated_data["comment"]
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                return _forbidden(exc)
            raise as_validation_error(exc) from None
        return Response(DailyReportSerializer(selectors.report_get_for_user(request.user, report.pk)).data)
