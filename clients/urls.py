from django.urls import path

from clients import views

app_name = "clients"
urlpatterns = [
    path("clients/", views.client_list_view, name="list"),
    path("clients/<int:pk>/", views.client_detail_view, name="client_detail"),
    path("clients/<int:pk>/edit/", views.client_edit_view, name="client_edit"),
    path("clients/<int:pk>/contact/", views.client_contact_view, name="client_contact"),
    path("clients/<int:pk>/reveal/<str:field>/", views.client_reveal_view, name="client_reveal"),
    path("clients/<int:pk>/comment/", views.client_comment_view, name="client_comment"),
    path("clients/<int:pk>/documents/", views.document_add_view, name="document_add"),
    path("clients/<int:pk>/documents/<int:document_id>/", views.document_download_view, name="document_download"),
]
