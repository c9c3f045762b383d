from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import selectors, services
from crm.api.errors import BAD_CURSOR, ERROR_RESPONSES, errors
from crm.api.serializers import (
    StaffFilterSerializer,
    StaffSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from crm.errors import DomainError, LoginThrottled
from crm.http import client_ip


class TokenObtainApi(APIView):
    """Exchange a login and password for an API token."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: ERROR_RESPONSES[400],
            413: ERROR_RESPONSES[413],
            429: ERROR_RESPONSES[429],
        },
        parameters=[
            OpenApiParameter(
                "Retry-After",
                int,
                OpenApiParameter.HEADER,
                description="Через сколько секунд снова можно входить.",
                response=[429],
                required=True,
            )
        ],
        tags=["auth"],
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ip = client_ip(request)
        try:
            user = services.login_attempt(**data.validated_data, ip=ip, request=request)
        except LoginThrottled as exc:
            return Response(
                {"detail": exc.message},
                status=status.HTTP_429_TOO_MANY_REQUESTS,
                headers={"Retry-After": str(exc.retry_after_seconds)},
            )
        except DomainError as exc:
            return Response({"non_field_errors": [exc.message]}, status=status.HTTP_400_BAD_REQUEST)
        token = services.api_token_issue(user=user, ip=ip)
        return Response({"token": token.key})


class MeApi(APIView):
    @extend_schema(responses={200: StaffSerializer, **errors()}, tags=["staff"])
    def get(self, request):
        return Response(StaffSerializer(request.user).data)


class StaffListApi(generics.ListAPIView):
    """Staff the caller may see, newest first; filter by role and branch."""

    serializer_class = StaffSerializer

    @extend_schema(
        parameters=[StaffFilterSerializer],
        responses={200: StaffSerializer(many=True), **errors(400), **BAD_CURSOR},
        tags=["staff"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = StaffFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        return selectors.staff_filtered(
            self.request.user, role=f.get("role"), branch_id=f.get("branch"), search=f.get("search", "")
        )


class StaffDetailApi(APIView):
    @extend_schema(responses={200: StaffSerializer, **errors(404)}, tags=["staff"])
    def get(self, request, pk: int):
        return Response(StaffSerializer(selectors.staff_get_for_user(request.user, pk)).data)
