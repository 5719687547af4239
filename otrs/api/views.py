"""The API's own resources: the caller's profile and their personal access tokens."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from otrs.accounts.models import User

from .models import AccessToken, TokenScope
from .serializers import ApiModelSerializer
from .tokens import create_token, revoke_token


class MeSerializer(ApiModelSerializer):
    kind = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "kind",
            "language",
            "time_zone",
            "rows_per_page",
        ]
        read_only_fields = ["id", "username", "kind"]


class MeView(generics.RetrieveAPIView):
    """The caller's own profile."""

    serializer_class = MeSerializer
    pagination_class = None

    def get_object(self):
        return self.request.user


class TokenSerializer(ApiModelSerializer):
    class Meta:
        model = AccessToken
        fields = ["id", "name", "scope", "created_at", "expires_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "created_at", "last_used_at", "revoked_at"]


class NewTokenSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; keep it now.")
    scope = serializers.ChoiceField(choices=TokenScope.choices)
    expires_at = serializers.DateTimeField()

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]

    def validate_name(self, value: str) -> str:
        return value.strip()

    def create(self, validated_data):
        token, plain = create_token(
            self.context["request"].user,
            name=validated_data["name"],
            scope=validated_data["scope"],
            expires_at=validated_data["expires_at"],
            actor=self.context["request"].user,
        )
        token.token = plain
        return token


class TokenListView(generics.ListCreateAPIView):
    """The caller's tokens (newest first); POST makes one, whose ``token`` is shown once."""

    def get_queryset(self):
        return AccessToken.objects.filter(user=self.request.user).order_by("-created_at", "-id")

    def get_serializer_class(self):
        return NewTokenSerializer if self.request.method == "POST" else TokenSerializer


class TokenDetailView(generics.RetrieveDestroyAPIView):
    """One of the caller's tokens; DELETE revokes it (it stays listed, revoked)."""

    serializer_class = TokenSerializer

    def get_object(self):
        token = AccessToken.objects.filter(user=self.request.user, pk=self.kwargs["pk"]).first()
        if token is None:
            raise Http404
        return token

    @extend_schema(responses={204: None})
    def delete(self, request, *args, **kwargs):
        revoke_token(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
