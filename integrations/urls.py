from django.urls import path

from integrations.yandex_disk import views

app_name = "integrations"
urlpatterns = [
    path("disk/", views.sync_status_view, name="disk_status"),
    path("disk/jobs/<int:job_id>/retry/", views.job_retry_view, name="disk_retry"),
    path("disk/reconcile/", views.reconcile_view, name="disk_reconcile"),
    path("disk/import/", views.import_view, name="disk_import"),
    path("disk/clients/<int:pk>/", views.folder_view, name="disk_folder"),
    path("disk/clients/<int:pk>/file/", views.folder_file_view, name="disk_file"),
]
