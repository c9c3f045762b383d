"""API endpoints that compose several apps: the search."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api.errors import errors
from web import search


class SearchHitSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[("client", "клиент"), ("lead", "лид"), ("deal", "сделка")])
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField(help_text="Страница в CRM, которую открывает результат.")
    detail = serializers.CharField(help_text="Стадия или статус, ответственный.")


class SearchResultsSerializer(serializers.Serializer):
    results = SearchHitSerializer(many=True)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class SearchApi(APIView):
    """Clients, deals and leads by part of a name (any word order), a phone fragment in any format,
    an e-mail, a contract number or an arbitration case number — up to 20 of each kind, only
    what the caller may see (the front desk: clients by phone or e-mail and its leads)."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="Запрос: «Иванов Иван», «903 555», «+7 (903) 555-12-34», «ivanov@mail.ru», "
                "«ДБ-777», «А40-123456/2024». Короче 3 символов — пустой ответ.",
            )
        ],
        responses={200: SearchResultsSerializer, **errors(400)},
    )
    def get(self, request):
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        hits = search.search(request.user, query.validated_data["q"]).all
        return Response(SearchResultsSerializer({"results": hits}).data)
