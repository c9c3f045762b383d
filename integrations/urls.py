from django.urls import path

from integrations.caldav import views as caldav_views
from integrations.documents import views as document_views
from integrations.mail import letter_views as mail_letter_views
from integrations.mail import views as mail_views
from integrations.mango import call_views, log_views, recording_views
from integrations.mango import views as mango_views
from integrations.yandex_disk import views

app_name = "integrations"
urlpatterns = [
    path("disk/", views.sync_status_view, name="disk_status"),
    path("disk/jobs/<int:job_id>/retry/", views.job_retry_view, name="disk_retry"),
    path("disk/reconcile/", views.reconcile_view, name="disk_reconcile"),
    path("disk/import/", views.import_view, name="disk_import"),
    path("disk/clients/<int:pk>/", views.folder_view, name="disk_folder"),
    path("disk/clients/<int:pk>/file/", views.folder_file_view, name="disk_file"),
    path("calendar/", caldav_views.my_calendar_view, name="caldav_mine"),
    path("calendar/connections/", caldav_views.connections_view, name="caldav_connections"),
    path("mail/", mail_views.my_mail_view, name="mail_mine"),
    path("deals/<int:pk>/documents/", document_views.document_request_view, name="document_request"),
    path("deals/<int:pk>/documents/section/", document_views.documents_section_view, name="documents_section"),
    path("calls/recordings/<int:pk>/", recording_views.recording_view, name="mango_recording"),
    path("calls/", log_views.call_log_view, name="mango_call_log"),
    path("calls/dial/", call_views.dial_view, name="mango_dial"),
    path("mail/clients/<int:pk>/write/", mail_letter_views.compose_view, name="mail_compose"),
    path("mail/letters/<int:pk>/retry/", mail_letter_views.retry_view, name="mail_retry"),
    path("mail/attachments/<int:pk>/", mail_letter_views.attachment_view, name="mail_attachment"),
    path("mango/<path:path>", mango_views.event_view, name="mango_event"),
]
