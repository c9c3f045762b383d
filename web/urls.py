"""The root URLconf: every app's pages and the API under one site."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from crm.api.docs import ApiDocsView
from web import views

urlpatterns = [
    path("", views.home_view, name="home"),
    path("search/", views.search_view, name="search"),
    path("search/box/", views.search_box_view, name="search_box"),
    path("", include("crm.urls")),
    path("", include("clients.urls")),
    path("", include("activities.urls")),
    path("deals/", include("deals.urls")),
    path("payments/", include("deals.payments_urls")),
    path("incoming/", include("deals.incoming_urls")),
    path("leads/", include("leads.urls")),
    path("tasks/", include("tasks.urls")),
    path("reports/", include("reports.urls")),
    path("integrations/", include("integrations.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("web.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = views.not_found

admin.site.site_header = "CRM — администрирование"
admin.site.site_title = "CRM"
admin.site.index_title = "Справочники и сотрудники"
