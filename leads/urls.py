from django.urls import path

from leads import views

app_name = "leads"
urlpatterns = [
    path("", views.lead_list_view, name="list"),
    path("new/", views.lead_new_view, name="new"),
    path("lookup/", views.lead_lookup_view, name="lookup"),
    path("office/", views.office_queue_view, name="office"),
    path("non-target/<int:contact_id>/lift/", views.non_target_lift_view, name="non_target_lift"),
    path("<int:pk>/", views.lead_detail_view, name="detail"),
    path("<int:pk>/assign/", views.lead_assign_view, name="assign"),
    path("<int:pk>/non-target/", views.lead_non_target_view, name="non_target"),
    path("<int:pk>/close/", views.lead_close_view, name="close"),
    path("<int:pk>/convert/", views.lead_convert_view, name="convert"),
    path("<int:pk>/merge/", views.lead_merge_view, name="merge"),
    path("clients/<int:pk>/merge/", views.client_merge_view, name="client_merge"),
]
