"""How every API names a patient it points to: enough to recognise them, no more."""

from rest_framework import serializers


class PatientRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mrn = serializers.CharField()
    given_name = serializers.CharField()
    family_name = serializers.CharField()
