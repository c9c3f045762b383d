"""/api/v1/activities/ and /api/v1/meetings/: the same services and access rules as the pages.

A booking answers 201; an overlap answers 409 with the reason; a booking the
caller may not make answers 403; bad input 400 with field errors.
"""

from datetime import datetime

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from activities import selectors as activity_selectors
from activities import services as activity_services
from activities.models import Activity
from clients.models import Client
from crm import access
from crm import selectors as crm_selectors
from crm.api.errors import as_validation_error, errors
from crm.api.serializers import IdField
from crm.errors import DomainError
from crm.validators import PERIOD_FIRST_DAY, PERIOD_LAST_DAY, as_field_validator, check_period_date
from leads.selectors import lead_get_for_user


class ActivitySerializer(serializers.ModelSerializer):
    who = serializers.CharField(read_only=True)
    # Calls, letters and busy time have no place: "".
    place = serializers.ChoiceField(label="Место", choices=Activity.Place.choices, read_only=True, allow_blank=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "kind",
            "direction",
            "status",
            "subject",
            "client",
            "deal",
            "lead",
            "who",
            "responsible",
            "planned_at",
            "ends_at",
            "place",
            "location",
            "result",
            "booked_by",
            "created_at",
            "done_at",
        ]
        read_only_fields = fields


def _check_moment(value: datetime) -> None:
    # A year like 0114 is a typo; its Moscow offset then is local mean time, +02:30:17,
    # which the answer's date-time could not even be written in.
    if not PERIOD_FIRST_DAY <= value.date() <= PERIOD_LAST_DAY:
        raise DomainError(f"Дата — с {PERIOD_FIRST_DAY:%d.%m.%Y} по {PERIOD_LAST_DAY:%d.%m.%Y}.")


MOMENT = {"validators": [as_field_validator(_check_moment)]}


class ActivityCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[k for k in Activity.Kind.choices if k[0] not in Activity.CALENDAR_KINDS])
    direction = serializers.ChoiceField(choices=Activity.Direction.choices, default=Activity.Direction.OUTBOUND)
    planned_at = serializers.DateTimeField(**MOMENT)
    client = IdField()
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ActivityFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Activity.Status.choices, required=False, default=Activity.Status.PLANNED)


class MeetingCreateSerializer(serializers.Serializer):
    manager = IdField()
    kind = serializers.ChoiceField(choices=activity_services.BOOKABLE, default=Activity.Kind.MEETING)
    starts_at = serializers.DateTimeField(**MOMENT)
    ends_at = serializers.DateTimeField(**MOMENT)
    client = IdField(required=False)
    lead = IdField(required=False)
    location = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


def _client_for(user, pk: int) -> Client:
    client = activity_selectors.client_for_booking(user, pk)
    if client is None:
        raise serializers.ValidationError({"client": ["Такого клиента нет."]})
    return client


def _refusal(exc: DomainError) -> Response:
    if exc.code == "overlap":
        return Response({"detail": exc.message, "code": "overlap"}, status=status.HTTP_409_CONFLICT)
    if exc.code == "forbidden":
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    raise as_validation_error(exc)


class ActivityListCreateApi(APIView):
    """The caller's planned activities (`?status=planned|done|cancelled`); POST plans a call, letter, message…"""

    @extend_schema(parameters=[ActivityFilterSerializer], responses={200: ActivitySerializer(many=True), **errors(400)})
    def get(self, request):
        # An unknown status used to drop the filter and list every status; now it is a 400 like any bad input.
        f = ActivityFilterSerializer(data=request.query_params)
        f.is_valid(raise_exception=True)
        qs = activity_selectors.activities_visible_to(request.user).filter(responsible=request.user)
        qs = qs.filter(status=f.validated_data["status"])
        rows = list(qs.select_related("client", "lead").order_by("planned_at", "pk")[:200])
        return Response(ActivitySerializer(rows, many=True).data)

    @extend_schema(
        request=ActivityCreateSerializer,
        responses={201: ActivitySerializer, **errors(400, 403, 413)},
        examples=[
            OpenApiExample(
                "Звонок",
                request_only=True,
                value={"kind": "call", "planned_at": "2026-12-15T10:00:00+03:00", "client": 1, "subject": "Документы"},
            )
        ],
    )
    def post(self, request):
        data = ActivityCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        client = _client_for(request.user, d["client"])
        # The page's question: the desk finds any client by contact but writes into none.
        if not access.can_plan_activity_for(request.user, client):
            return Response({"detail": activity_services.PLAN_FORBIDDEN}, status=status.HTTP_403_FORBIDDEN)
        try:
            activity = activity_services.activity_plan(
                by=request.user,
                kind=d["kind"],
                planned_at=d["planned_at"],
                client=client,
                subject=d["subject"],
                direction=d["direction"],
            )
        except DomainError as exc:
            return _refusal(exc)
        return Response(ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)


class MeetingCreateApi(APIView):
    """Book a meeting or remote consultation: 201 booked, 409 the time is taken (with the reason)."""

    @extend_schema(
        request=MeetingCreateSerializer,
        responses={201: ActivitySerializer, **errors(400, 403, 404, 409, 413)},
        examples=[
            OpenApiExample(
                "Встреча в офисе",
                request_only=True,
                value={
                    "manager": 5,
                    "kind": "meeting",
                    "starts_at": "2026-12-15T11:00:00+03:00",
                    "ends_at": "2026-12-15T12:00:00+03:00",
                    "client": 1,
                    "subject": "Первичная консультация",
                },
            )
        ],
    )
    def post(self, request):
        if not access.may_book_meetings(request.user):
            return Response({"detail": "Вы не записываете на встречи."}, status=status.HTTP_403_FORBIDDEN)
        data = MeetingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        manager = activity_selectors.calendar_owners(request.user).filter(pk=d["manager"]).first()
        if manager is None:
            raise serializers.ValidationError({"manager": ["Такого менеджера нет."]})
        subject = {}
        if d.get("lead"):
            lead = lead_get_for_user(request.user, d["lead"])
            subject = {"lead": lead, "client": lead.client}
        elif d.get("client"):
            subject = {"client": _client_for(request.user, d["client"])}
        try:
            activity = activity_services.meeting_book(
                by=request.user,
                manager=manager,
                starts_at=d["starts_at"],
                ends_at=d["ends_at"],
                kind=d["kind"],
                location=d["location"],
                subject=d["subject"],
                **subject,
            )
        except DomainError as exc:
            return _refusal(exc)
        return Response(ActivitySerializer(activity).data, status=status.HTTP_201_CREATED)


class SlotSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class ManagerSlotsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    free = SlotSerializer(many=True)


class FreeSlotsSerializer(serializers.Serializer):
    branch = serializers.IntegerField()
    date = serializers.DateField()
    managers = ManagerSlotsSerializer(many=True)


class FreeSlotsQuerySerializer(serializers.Serializer):
    # `?branch=²` passed str.isdigit and failed int(), a 500; a day past 9999-12-31 overflowed.
    branch = IdField()
    date = serializers.DateField(
        validators=[as_field_validator(check_period_date)],
        error_messages={"invalid": "Укажите дату в виде ГГГГ-ММ-ДД.", "required": "Укажите дату в виде ГГГГ-ММ-ДД."},
    )


class MeetingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class FreeSlotsApi(APIView):
    """Free slots of every manager of a branch on a day (working hours minus meetings and busy time)."""

    @extend_schema(parameters=[FreeSlotsQuerySerializer], responses={200: FreeSlotsSerializer, **errors(400)})
    def get(self, request):
        query = FreeSlotsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data["date"]
        branch = crm_selectors.branches_visible_to(request.user).filter(pk=query.validated_data["branch"]).first()
        if branch is None:
            raise serializers.ValidationError({"branch": ["Такого филиала нет."]})
        grid = activity_selectors.free_slots(request.user, branch=branch, day=day)
        return Response(
            {
                "branch": branch.pk,
                "date": day.isoformat(),
                "managers": [
                    {
                        "id": m.manager.pk,
                        "full_name": m.manager.full_name,
                        "free": [{"start": s.start.isoformat(), "end": s.end.isoformat()} for s in m.slots if s.free],
                    }
                    for m in grid
                ],
            }
        )


class MeetingCancelApi(APIView):
    """Cancel a planned meeting, with an optional reason (up to 300 characters, as on the page)."""

    @extend_schema(request=MeetingCancelSerializer, responses={200: ActivitySerializer, **errors(400, 403, 404, 413)})
    def post(self, request, pk: int):
        activity = activity_selectors.activity_get_for_user(request.user, pk)
        # A serializer, not request.data.get(): a JSON list or string as the body was a 500.
        data = MeetingCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            activity = activity_services.meeting_cancel(
                activity=activity, by=request.user, reason=data.validated_data["reason"]
            )
        except DomainError as exc:
            return _refusal(exc)
        return Response(ActivitySerializer(activity).data)
