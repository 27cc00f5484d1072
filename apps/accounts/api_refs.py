"""How every API names a person it points to: id and display name, nothing more."""

from rest_framework import serializers


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
