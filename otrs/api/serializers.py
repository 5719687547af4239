"""Serializer base: ``?fields=a,b`` keeps only the named fields of each object."""

from __future__ import annotations

from rest_framework import serializers


class FieldSelectionMixin:
    # Drops the fields a GET request's ``fields`` parameter does not name (unknown names are
    # ignored; nested objects come whole), on the top-level serializer of a response only.
    # (A comment, not a docstring: the schema would take it as every object's description.)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request") if hasattr(self, "context") else None
        if request is None or request.method != "GET" or self.parent is not None:
            return
        wanted = {f.strip() for f in request.query_params.get("fields", "").split(",")}
        wanted.discard("")
        if not wanted:
            return
        for name in list(self.fields):
            if name not in wanted:
                self.fields.pop(name)


class ApiSerializer(FieldSelectionMixin, serializers.Serializer):
    pass


class ApiModelSerializer(FieldSelectionMixin, serializers.ModelSerializer):
    pass


def optional_response_fields(result, generator, request, public):
    """drf-spectacular post-processing hook: with ``?fields=`` any field of an answer may be
    left out, so no field of a response object is required in the schema (request bodies
    keep their required fields)."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request") and not name.startswith("Paginated"):
            component.pop("required", None)
    return result


class HighlightsField(serializers.ListField):
    """Where a list's searched words occur in an object, from the serializer context's
    ``highlights`` (``{object id: [passage]}``, made by the view for one page)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            "Where the searched words (q, fulltext) occur: passages as HTML, the text escaped "
            "and each match in <mark>. Empty without a search.",
        )
        super().__init__(child=serializers.CharField(), read_only=True, **kwargs)

    def get_attribute(self, instance):
        return self.context.get("highlights", {}).get(instance.pk, [])
