"""The API shapes of customer users and companies, and of their details as a change gives
them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from otrs.api.custom_fields import CustomFieldsField
from otrs.api.serializers import ApiModelSerializer, ApiSerializer, HighlightsField
from otrs.fields.selectors import definitions

from ..fields import CUSTOMER_COMPANY, CUSTOMER_USER
from ..models import CustomerCompany, CustomerUser


class CompanyRef(serializers.Serializer):
    id = serializers.IntegerField()
    customer_id = serializers.CharField()
    name = serializers.CharField()


class CustomerUserSerializer(ApiModelSerializer):
    login = serializers.CharField(source="user.username")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    company = CompanyRef(allow_null=True)
    other_companies = serializers.SerializerMethodField()
    custom_fields = CustomFieldsField(
        lambda: definitions(CUSTOMER_USER), component="CustomerUserCustomFields", read_only=True
    )
    highlights = HighlightsField()

    class Meta:
        model = CustomerUser
        fields = [
            "id",
            "login",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "other_companies",
            "is_valid",
            "custom_fields",
            "highlights",
        ]

    @extend_schema_field(CompanyRef(many=True))
    def get_other_companies(self, customer: CustomerUser) -> list[dict]:
        # Prefetched by the view.
        return [
            {"id": c.pk, "customer_id": c.customer_id, "name": c.name}
            for c in customer.other_companies.all()
        ]


class CompanySerializer(ApiModelSerializer):
    custom_fields = CustomFieldsField(
        lambda: definitions(CUSTOMER_COMPANY), component="CompanyCustomFields", read_only=True
    )
    highlights = HighlightsField()

    class Meta:
        model = CustomerCompany
        fields = [
            "id",
            "customer_id",
            "name",
            "street",
            "zip_code",
            "city",
            "country",
            "url",
            "comment",
            "is_valid",
            "custom_fields",
            "highlights",
        ]


class CustomerUserInputSerializer(ApiSerializer):
    """A customer user's details for a new one (POST) or a change (PATCH: only what is
    given changes). Companies by id: a valid company, or one the customer user already has."""

    login = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=50, allow_blank=True, required=False)
    company = serializers.IntegerField(
        min_value=1, allow_null=True, required=False, help_text="The main company's id."
    )
    other_companies = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=500,
        required=False,
        help_text="Further companies' ids.",
    )
    is_valid = serializers.BooleanField(required=False)
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=4096,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="A new password (checked by the site's password rules); never answered.",
    )
    custom_fields = CustomFieldsField(
        lambda: definitions(CUSTOMER_USER), component="CustomerUserCustomFields", required=False
    )


class CompanyInputSerializer(ApiSerializer):
    """A company's details for a new one (POST) or a change (PATCH: only what is given
    changes)."""

    customer_id = serializers.CharField(max_length=150)
    name = serializers.CharField(max_length=200)
    street = serializers.CharField(max_length=200, allow_blank=True, required=False)
    zip_code = serializers.CharField(max_length=20, allow_blank=True, required=False)
    city = serializers.CharField(max_length=200, allow_blank=True, required=False)
    country = serializers.CharField(max_length=200, allow_blank=True, required=False)
    url = serializers.URLField(max_length=200, allow_blank=True, required=False)
    comment = serializers.CharField(max_length=250, allow_blank=True, required=False)
    is_valid = serializers.BooleanField(required=False)
    custom_fields = CustomFieldsField(
        lambda: definitions(CUSTOMER_COMPANY), component="CompanyCustomFields", required=False
    )
