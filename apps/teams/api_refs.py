"""How every API names a care team it points to."""

from rest_framework import serializers


class TeamRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
