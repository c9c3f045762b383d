from rest_framework import serializers

from crm.errors import DomainError


def as_validation_error(exc: DomainError) -> serializers.ValidationError:
    """A service's refusal as a DRF 400 with the field it names."""
    field = exc.field or "non_field_errors"
    return serializers.ValidationError({field: [exc.message]}, code=exc.code)
