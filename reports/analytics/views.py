"""The dashboards' pages and their Excel files: one view for all, the numbers come from `build`."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render

from crm import access
from reports.analytics.excel import dashboard_workbook
from reports.analytics.filters import AnalyticsFilterForm
from reports.analytics.registry import DASHBOARDS

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def dashboard_view(request, slug: str):
    if not access.offers_analytics(request.user):
        raise PermissionDenied("Аналитику видят РОП своего филиала и директор.")
    if slug not in DASHBOARDS:
        raise Http404
    title, build = DASHBOARDS[slug]
    form = AnalyticsFilterForm(request.user, request.GET)
    if not form.is_valid():
        # Bad filters change nothing and show nothing misleading: the form says what to fix.
        context = {"form": form, "slug": slug, "title": title, "dashboards": DASHBOARDS, "dashboard": None}
        return render(request, "reports/analytics.html", context, status=400)
    filters = form.filters()
    dashboard = build(request.user, filters)
    described = form.describe(filters)
    if request.GET.get("export") == "xlsx":
        response = HttpResponse(dashboard_workbook(dashboard, described), content_type=XLSX)
        name = f"{slug}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    query = request.GET.copy()
    query.pop("export", None)
    context = {
        "form": form,
        "slug": slug,
        "title": title,
        "dashboards": DASHBOARDS,
        "dashboard": dashboard,
        "described": described,
        "query": query.urlencode(),
    }
    return render(request, "reports/analytics.html", context)
