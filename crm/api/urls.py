from django.urls import path

from crm.api import views

urlpatterns = [
    path("auth/token/", views.TokenObtainApi.as_view(), name="api-token"),
    path("me/", views.MeApi.as_view(), name="api-me"),
    path("users/", views.StaffListApi.as_view(), name="api-users"),
    path("users/<int:pk>/", views.StaffDetailApi.as_view(), name="api-user-detail"),
]
