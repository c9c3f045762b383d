"""The incoming documents register at /incoming/ (a deal's papers are registered on its card)."""

from django.urls import path

from deals import views

app_name = "incoming"
urlpatterns = [
    path("", views.incoming_register_view, name="register"),
    path("export/", views.incoming_export_view, name="export"),
]
