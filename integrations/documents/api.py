"""API: ask for a document for a deal (202, made on a worker), read its state, download its files."""

from decimal import Decimal

from django.http import FileResponse, Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.errors import as_validation_error, errors
from crm.api.serializers import IdField
from crm.errors import DomainError
from crm.models import AuditEntry
from crm.services import audit_record
from deals.selectors import deal_get_for_user
from integrations.documents import selectors, services
from integrations.models import GeneratedDocument, LegalEntity


class DocumentRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=GeneratedDocument.Kind.choices)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        help_text="Сумма счёта или акта, стоимость по договору. Без неё: счёт — ближайший неоплаченный платёж "
        "графика или остаток, акт — оплаченное, договор — стоимость услуг из сделки.",
    )
    purpose = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    legal_entity = IdField(required=False, allow_null=True, help_text="Реквизиты фирмы; без них — по умолчанию.")


class DocumentSerializer(serializers.ModelSerializer):
    docx = serializers.SerializerMethodField(help_text="Ссылка на .docx, когда документ готов.")
    pdf = serializers.SerializerMethodField(help_text="Ссылка на PDF, когда документ готов.")

    class Meta:
        model = GeneratedDocument
        fields = [
            "id",
            "deal",
            "client",
            "kind",
            "number",
            "version",
            "amount",
            "purpose",
            "status",
            "error",
            "requested_at",
            "ready_at",
            "docx",
            "pdf",
        ]
        read_only_fields = fields

    def _link(self, document, fmt: str) -> str | None:
        if document.status != GeneratedDocument.Status.READY:
            return None
        url = reverse(f"api-document-{fmt}", args=[document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url

    def get_docx(self, document) -> str | None:
        return self._link(document, "docx")

    def get_pdf(self, document) -> str | None:
        return self._link(document, "pdf")


class DealDocumentCreateApi(APIView):
    """Ask for a document for the deal: `{"kind": "invoice", "amount": "40000.00"}`.

    Answers 202 at once with the document's id and state «pending»; a worker makes the .docx and
    the PDF within seconds — read `GET /api/v1/documents/{id}/` for the links. 400 with field errors
    when a figure is missing or wrong (nothing is made, no number is taken), 403 when the role may
    not make this kind, 404 when the caller may not see the deal.
    """

    @extend_schema(
        request=DocumentRequestSerializer,
        responses={202: DocumentSerializer, **errors(400, 403, 404)},
        examples=[
            OpenApiExample("Счёт на сумму", request_only=True, value={"kind": "invoice", "amount": "40000.00"}),
            OpenApiExample("Договор", request_only=True, value={"kind": "contract"}),
        ],
    )
    def post(self, request, pk: int):
        deal = deal_get_for_user(request.user, pk)
        data = DocumentRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        entity = None
        if values.get("legal_entity"):
            entity = LegalEntity.objects.filter(pk=values["legal_entity"]).first()
            if entity is None:
                raise serializers.ValidationError({"legal_entity": ["Таких реквизитов нет."]})
        try:
            document = services.document_request(
                deal=deal,
                by=request.user,
                kind=values["kind"],
                amount=values.get("amount"),
                purpose=values.get("purpose", ""),
                legal_entity=entity,
            )
        except DomainError as exc:
            if exc.code == "forbidden":
                return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
            raise as_validation_error(exc) from None
        body = DocumentSerializer(document, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED)


class DocumentDetailApi(APIView):
    """A document's state (`pending`, `ready`, `failed` with the reason) and, when ready, its links."""

    @extend_schema(responses={200: DocumentSerializer, **errors(404)})
    def get(self, request, pk: int):
        document = selectors.document_get_for_user(request.user, pk)
        return Response(DocumentSerializer(document, context={"request": request}).data)


class DocumentFileApi(APIView):
    """The document's .docx or PDF. Documents hold personal data: every download is in the audit log."""

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="Файл документа"),
            **errors(404),
        }
    )
    def get(self, request, pk: int, fmt: str):
        document = selectors.document_get_for_user(request.user, pk)
        stored = {"docx": document.docx, "pdf": document.pdf}.get(fmt)
        if document.status != GeneratedDocument.Status.READY or stored is None:
            raise Http404("Файла нет: документ ещё не готов")
        audit_record(
            actor=request.user, action=AuditEntry.Action.VIEW_PERSONAL_DATA, target=stored, target_repr=stored.name
        )
        return FileResponse(stored.file.open("rb"), as_attachment=True, filename=stored.name)
