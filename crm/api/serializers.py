from rest_framework import serializers

from crm.models import Branch, User
from crm.roles import Role

# BigAutoField's range. A larger number matches no row, but SQLite cannot even take it
# as a query parameter: `?branch=<21 digits>` was a 500 (OverflowError).
MAX_ID = 2**63 - 1


class IdField(serializers.IntegerField):
    """An object's id in a filter or a request body: 1 … 2⁶³−1."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label="Логин", max_length=150)
    password = serializers.CharField(
        label="Пароль", max_length=128, style={"input_type": "password"}, trim_whitespace=False
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class BranchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "name", "city"]


class StaffRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "full_name"]


class StaffSerializer(serializers.ModelSerializer):
    # The director, the admin and the call centre have no branch; the director has no supervisor.
    branch = BranchSerializer(read_only=True, allow_null=True)
    supervisor = StaffRefSerializer(read_only=True, allow_null=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    email = serializers.EmailField(label="E-mail", read_only=True, allow_blank=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "full_name",
            "role",
            "role_display",
            "branch",
            "supervisor",
            "email",
            "phone",
            "is_active",
        ]
        read_only_fields = fields


class StaffFilterSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    branch = IdField(required=False)
    search = serializers.CharField(required=False, max_length=100)
