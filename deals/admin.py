from django.contrib import admin

from deals.models import Deal, StageAutomation, StageDocumentRule


@admin.register(StageAutomation)
class StageAutomationAdmin(admin.ModelAdmin):
    """The firm sets here which tasks entering a stage creates, for whom, and how soon."""

    list_display = ["stage", "title", "assignee", "deadline_working_days", "is_active"]
    list_filter = ["stage", "assignee", "is_active"]
    list_editable = ["is_active"]


@admin.register(StageDocumentRule)
class StageDocumentRuleAdmin(admin.ModelAdmin):
    """The firm sets here which client documents a deal needs before it may enter a stage."""

    list_display = ["stage", "document_kind", "is_active"]
    list_filter = ["stage", "is_active"]
    list_editable = ["is_active"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Deals change only through the CRM's own pages (services keep counters,
    timeline and audit in step), so the admin shows them without editing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Deal)
class DealAdmin(ReadOnlyAdmin):
    list_display = ["id", "client", "service_line", "stage", "manager", "branch", "created_at"]
    list_filter = ["service_line", "stage", "branch"]
    list_select_related = ["client", "manager", "branch"]
    search_fields = ["case_number", "contract_number"]
    show_full_result_count = False
    # Debts are personal data, shown only on the deal card behind an audited reveal.
    exclude = ["total_debt"]
