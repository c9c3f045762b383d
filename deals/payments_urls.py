"""The payments register at /payments/ (the Excel table stays at deals:payments_table)."""

from django.urls import path

from deals import views

app_name = "payments"
urlpatterns = [
    path("", views.payments_register_view, name="register"),
    path("export/", views.payments_register_export_view, name="export"),
]
