"""The API shapes of customer users and companies (read only: changes are the customer
screens' for now)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from otrs.api.custom_fields import CustomFieldsField
from otrs.api.serializers import ApiModelSerializer
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
        ]
