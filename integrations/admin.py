"""Admin screens for documents: the firm's requisites, the templates and the numbering.

Saves go through the documents' services, so the checksums, the template check and the
«never reuse a number» rule hold here as they do everywhere."""

from django import forms
from django.contrib import admin
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html

from crm.errors import DomainError
from deals.admin import ReadOnlyAdmin
from integrations.documents import fields as document_fields
from integrations.documents import selectors as document_selectors
from integrations.documents import services, templates
from integrations.mail import admin as mail_admin  # noqa: F401  (registers the mailboxes' admin)
from integrations.models import (
    DocumentSeries,
    DocumentTemplate,
    GeneratedDocument,
    LegalEntity,
    MangoCall,
    MangoEvent,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class ServiceCheckedForm(forms.ModelForm):
    """Runs the service's check on the built instance and shows a refusal on its field."""

    check = None

    def _post_clean(self):
        super()._post_clean()
        if self.errors or self.check is None:
            return
        try:
            type(self).check(self.instance)
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)


class LegalEntityForm(ServiceCheckedForm):
    check = staticmethod(services.legal_entity_clean)

    class Meta:
        model = LegalEntity
        fields = [
            "name",
            "short_name",
            "inn",
            "kpp",
            "ogrn",
            "address",
            "phone",
            "email",
            "signatory",
            "signatory_position",
            "signatory_basis",
            "bank",
            "bik",
            "account",
            "corr_account",
            "vat_mode",
            "vat_rate",
            "is_default",
            "is_active",
        ]


@admin.register(LegalEntity)
class LegalEntityAdmin(admin.ModelAdmin):
    form = LegalEntityForm
    list_display = ["short_name", "inn", "bank", "vat_mode", "is_default", "is_active"]
    fieldsets = [
        (None, {"fields": ["name", "short_name", "inn", "kpp", "ogrn", "address", "phone", "email"]}),
        ("Подпись", {"fields": ["signatory", "signatory_position", "signatory_basis"]}),
        ("Банк", {"fields": ["bank", "bik", "account", "corr_account"]}),
        ("НДС и использование", {"fields": ["vat_mode", "vat_rate", "is_default", "is_active"]}),
    ]

    def save_model(self, request, obj, form, change):
        services.legal_entity_save(entity=obj, by=request.user)


class TemplateUploadForm(forms.ModelForm):
    class Meta:
        model = DocumentTemplate
        fields = ["kind", "file", "note"]

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None and not self.errors:
            try:
                templates.check(upload.read())
            except templates.TemplateRefused as exc:
                self.add_error("file", str(exc))
            upload.seek(0)
        return cleaned


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    """Upload a new version (the newest active one is used); the page lists every field a template may use."""

    form = TemplateUploadForm
    list_display = ["kind", "version", "note", "is_active", "uploaded_by", "uploaded_at", "download"]
    list_filter = ["kind", "is_active"]
    change_list_template = "admin/integrations/documenttemplate/change_list.html"
    change_form_template = "admin/integrations/documenttemplate/change_form.html"

    def get_urls(self):
        own = [
            path(
                "default/<str:kind>/",
                self.admin_site.admin_view(self.default_view),
                name="integrations_documenttemplate_default",
            )
        ]
        return own + super().get_urls()

    def default_view(self, request, kind: str):
        """The template in use for `kind` (the upload or the project's default) — a start for editing in Word."""
        if kind not in DocumentTemplate.Kind.values:
            raise Http404
        chosen = templates.current(kind)
        response = HttpResponse(chosen.data, content_type=DOCX)
        response["Content-Disposition"] = f'attachment; filename="{kind}.docx"'
        return response

    @admin.display(description="файл")
    def download(self, obj):
        return format_html('<a href="{}">скачать</a>', obj.file.url) if obj.file else "—"

    def get_readonly_fields(self, request, obj=None):
        # A version once used stays as it was: a change is a new upload.
        return ["kind", "file", "version", "uploaded_by", "uploaded_at"] if obj else []

    def get_fields(self, request, obj=None):
        if obj:
            return ["kind", "version", "file", "note", "is_active", "uploaded_by", "uploaded_at"]
        return ["kind", "file", "note"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["note", "is_active"])
            return
        upload = form.cleaned_data["file"]
        upload.seek(0)
        saved = services.template_upload(kind=obj.kind, upload=upload, by=request.user, note=obj.note)
        obj.pk, obj.version, obj.file = saved.pk, saved.version, saved.file

    def changelist_view(self, request, extra_context=None):
        in_use = document_selectors.templates_in_use()
        kinds = [
            {
                "label": label,
                "template": in_use.get(value),
                "url": reverse("admin:integrations_documenttemplate_default", args=[value]),
            }
            for value, label in DocumentTemplate.Kind.choices
        ]
        extra = {"catalogue": document_fields.catalogue(), "kinds_in_use": kinds}
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def add_view(self, request, form_url="", extra_context=None):
        extra = {"catalogue": document_fields.catalogue()}
        return super().add_view(request, form_url, {**(extra_context or {}), **extra})


class SeriesForm(ServiceCheckedForm):
    check = staticmethod(services.series_check)

    class Meta:
        model = DocumentSeries
        fields = ["key", "year", "pattern", "next_number"]


@admin.register(DocumentSeries)
class DocumentSeriesAdmin(admin.ModelAdmin):
    form = SeriesForm
    list_display = ["key", "year", "pattern", "next_number", "example"]
    list_filter = ["key", "year"]

    @admin.display(description="пример")
    def example(self, obj):
        try:
            return services.format_number(obj.pattern, year=obj.year, n=obj.next_number)
        except DomainError:
            return "—"

    def save_model(self, request, obj, form, change):
        services.series_save(series=obj, by=request.user)


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(ReadOnlyAdmin):
    """Read only: documents are asked for on the deal card; the admin sees what was made and why one failed."""

    list_display = ["number", "kind", "version", "deal", "status", "requested_by", "requested_at", "ready_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["deal", "requested_by"]
    search_fields = ["number"]
    show_full_result_count = False


@admin.register(MangoCall)
class MangoCallAdmin(ReadOnlyAdmin):
    """Calls as Mango reported them, assembled from their events."""

    list_display = ["entry_id", "direction", "from_number", "to_number", "to_extension", "state", "answered"]
    list_filter = ["direction", "state", "answered"]
    search_fields = ["from_number", "to_number", "entry_id"]
    show_full_result_count = False


@admin.register(MangoEvent)
class MangoEventAdmin(ReadOnlyAdmin):
    """Every event Mango posted, as it came."""

    list_display = ["kind", "entry_id", "call_id", "seq", "received_at"]
    list_filter = ["kind"]
    search_fields = ["entry_id", "call_id"]
    show_full_result_count = False
