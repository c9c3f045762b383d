"""/api/v1/tasks/: the same rules as the pages — selectors decide what is visible, services what may change."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import selectors as crm_selectors
from crm.api.errors import as_validation_error, errors
from crm.api.serializers import IdField
from crm.errors import DomainError
from tasks import selectors, services
from tasks.models import Task, TaskParticipant


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class ParticipantSerializer(serializers.ModelSerializer):
    user = PersonSerializer()

    class Meta:
        model = TaskParticipant
        fields = ["user", "role", "part"]


class TaskSerializer(serializers.ModelSerializer):
    author = PersonSerializer(allow_null=True)
    responsible = PersonSerializer()
    participants = ParticipantSerializer(many=True, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    feedback_missing = serializers.BooleanField(read_only=True)
    # Only a ПР has a kind; other tasks carry "".
    pr_kind = serializers.ChoiceField(label="Вид", choices=Task.PrKind.choices, read_only=True, allow_blank=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "form",
            "title",
            "body",
            "status",
            "author",
            "responsible",
            "participants",
            "deadline",
            "deadline_reason",
            "created_at",
            "assigned_at",
            "first_reply_at",
            "completed_at",
            "is_overdue",
            "feedback_missing",
            "client",
            "deal",
            "pr_kind",
            "essence",
            "facts",
            "proposal",
            "wanted_result",
            "questions",
            "answers",
        ]
        read_only_fields = fields


class TaskListSerializer(TaskSerializer):
    class Meta(TaskSerializer.Meta):
        fields = [f for f in TaskSerializer.Meta.fields if f != "participants"]


@extend_schema_field(OpenApiTypes.INT)
class OneStaffField(serializers.Field):
    """One colleague by id; a list is refused in words the office understands."""

    def __init__(self, *, what: str, **kwargs):
        self.what = what
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, list | tuple):
            raise serializers.ValidationError(f"У задачи ровно один {self.what}: остальных добавьте соисполнителями.")
        try:
            pk = int(data)
        except (TypeError, ValueError):
            raise serializers.ValidationError("Укажите сотрудника числом (id).") from None
        user = crm_selectors.staff_visible_to(self.context["request"].user).filter(pk=pk).first()
        if user is None:
            raise serializers.ValidationError("Такого сотрудника нет.")
        return user

    def to_representation(self, value):
        return value.pk


class CoExecutorSerializer(serializers.Serializer):
    user = OneStaffField(what="соисполнитель")
    part = serializers.CharField(max_length=500, allow_blank=True)


class TaskCreateSerializer(serializers.Serializer):
    form = serializers.ChoiceField(choices=Task.Form.choices, default=Task.Form.ORDINARY)
    title = serializers.CharField(max_length=240, required=False, allow_blank=True, default="")
    body = serializers.CharField(required=False, allow_blank=True, default="")
    wanted_result = serializers.CharField(required=False, allow_blank=True, default="")
    responsible = OneStaffField(what="ответственный", required=False)
    deadline = serializers.DateField(required=False)
    deadline_reason = serializers.CharField(required=False, allow_blank=True, default="")
    co_executors = CoExecutorSerializer(many=True, required=False, default=list)
    checklist = serializers.ListField(child=serializers.CharField(max_length=300), required=False, default=list)
    deal = IdField(required=False)
    # ПР
    topic = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    pr_kind = serializers.ChoiceField(choices=Task.PrKind.choices, required=False)
    essence = serializers.CharField(required=False, allow_blank=True, default="")
    facts = serializers.CharField(required=False, allow_blank=True, default="")
    proposal = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, data):
        if data["form"] == Task.Form.REPORT:
            raise serializers.ValidationError({"form": ["Отчёты создаются по расписанию руководителя."]})
        if data["form"] != Task.Form.PR and data.get("responsible") is None:
            raise serializers.ValidationError({"responsible": ["Укажите ответственного."]})
        return data


class TaskFilterSerializer(serializers.Serializer):
    # A tab the caller may not open (`branch`, `all`) lists nothing; an unknown value is a 400.
    tab = serializers.ChoiceField(choices=list(selectors.TABS), required=False, default="mine")
    status = serializers.ChoiceField(choices=list(selectors.STATUS_FILTERS), required=False, default="open")
    form = serializers.ChoiceField(choices=Task.Form.choices, required=False, allow_blank=True, default="")
    cursor = serializers.CharField(required=False, max_length=200, help_text="`next_cursor` of the previous page.")


class TaskListApi(APIView):
    """Tasks by tab (`mine`, `assigned`, `co`, `watching`, `branch`, `all`), overdue first; POST sets a task."""

    @extend_schema(
        # Not a paginated list in DRF's sense, so spectacular would call it "retrieve".
        operation_id="v1_tasks_list",
        parameters=[TaskFilterSerializer],
        responses={
            200: inline_serializer(
                "TaskPage",
                {
                    "results": TaskListSerializer(many=True),
                    "next_cursor": serializers.CharField(
                        allow_null=True, help_text="`cursor` for the next page; null on the last one."
                    ),
                },
            ),
            **errors(400),
        },
    )
    def get(self, request):
        f = TaskFilterSerializer(data=request.query_params)
        f.is_valid(raise_exception=True)
        rows, next_cursor = selectors.tasks_list(request.user, **f.validated_data)
        return Response({"results": TaskListSerializer(rows, many=True).data, "next_cursor": next_cursor})

    @extend_schema(
        request=TaskCreateSerializer,
        responses={201: TaskSerializer, **errors(400, 403, 404, 413)},
        examples=[
            OpenApiExample(
                "Задача",
                request_only=True,
                value={"form": "task", "title": "Запросить справку о долгах", "responsible": 5, "deal": 1},
            ),
            OpenApiExample(
                "ПР",
                request_only=True,
                value={
                    "form": "pr",
                    "topic": "Рассрочка",
                    "pr_kind": "discount",
                    "essence": "Клиент просит рассрочку",
                    "facts": "Потерял работу",
                    "proposal": "Три платежа вместо одного",
                    "deal": 1,
                },
            ),
        ],
    )
    def post(self, request):
        data = TaskCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        d = data.validated_data
        deal = selectors.deal_for_task(request.user, d["deal"]) if d.get("deal") else None
        try:
            if d["form"] == Task.Form.PR:
                task = services.pr_create(
                    author=request.user,
                    topic=d["topic"] or d["title"],
                    pr_kind=d.get("pr_kind", ""),
                    essence=d["essence"],
                    facts=d["facts"],
                    proposal=d["proposal"],
                    deal=deal,
                )
            else:
                create = services.rz_create if d["form"] == Task.Form.RZ else services.task_create
                kwargs = {} if d["form"] == Task.Form.RZ else {"form": d["form"]}
                task = create(
                    author=request.user,
                    responsible=d["responsible"],
                    title=d["title"],
                    body=d["body"],
                    wanted_result=d["wanted_result"],
                    deadline=d.get("deadline"),
                    deadline_reason=d["deadline_reason"],
                    co_executors=[(c["user"], c["part"]) for c in d["co_executors"]],
                    checklist=d["checklist"],
                    deal=deal,
                    **kwargs,
                )
        except DomainError as exc:
            raise as_validation_error(exc) from None
        return Response(TaskSerializer(selectors.task_get_for_user(request.user, task.pk)).data, status=201)


class TaskDetailApi(APIView):
    @extend_schema(responses={200: TaskSerializer, **errors(404)})
    def get(self, request, pk: int):
        return Response(TaskSerializer(selectors.task_get_for_user(request.user, pk)).data)


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, required=False, default="")


class DelegateSerializer(serializers.Serializer):
    to = OneStaffField(what="ответственный")
    text = serializers.CharField(allow_blank=True, required=False, default="")


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=services.Decision.CHOICES)
    text = serializers.CharField()


def _action_api(serializer_class, call, doc: str):
    class ActionApi(APIView):
        __doc__ = doc

        @extend_schema(request=serializer_class, responses={200: TaskSerializer, **errors(400, 403, 404, 413)})
        def post(self, request, pk: int):
            task = selectors.task_get_for_user(request.user, pk)
            data = serializer_class(data=request.data, context={"request": request})
            data.is_valid(raise_exception=True)
            try:
                call(task, request.user, data.validated_data)
            except DomainError as exc:
                if exc.code == "forbidden":
                    return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
                raise as_validation_error(exc) from None
            return Response(TaskSerializer(selectors.task_get_for_user(request.user, pk)).data)

    return ActionApi


TaskCommentApi = _action_api(
    TextSerializer,
    lambda t, u, d: services.task_comment(task=t, by=u, text=d["text"]),
    "A reply in the task (the responsible's first one stops the 24-hour clock).",
)
TaskDelegateApi = _action_api(
    DelegateSerializer,
    lambda t, u, d: services.task_delegate(task=t, by=u, to=d["to"], text=d["text"]),
    "The responsible hands the task on and becomes an observer.",
)
TaskDecideApi = _action_api(
    DecideSerializer,
    lambda t, u, d: services.task_decide(task=t, by=u, decision=d["decision"], text=d["text"]),
    "The supervisor's decision on a ПР: approve, reject, needs_info or escalate (to their own supervisor).",
)
TaskCompleteApi = _action_api(
    TextSerializer,
    lambda t, u, d: services.task_complete(task=t, by=u, text=d["text"]),
    "The responsible reports the task done (to the author's control when someone else set it).",
)
