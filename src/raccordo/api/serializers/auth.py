"""Serializers of the token endpoint."""

from rest_framework import serializers


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="Send it as `Authorization: Bearer <token>`; shown once.")
    scope = serializers.CharField(read_only=True, help_text="`write` (default) or `read`, as asked with `scope`.")
    expires_at = serializers.DateTimeField(read_only=True)
