"""Serializer fields every app's API shares."""

from rest_framework import serializers


def vnd(**kwargs) -> serializers.DecimalField:
    """An amount of đồng, written as a string of digits as every amount of the API
    is: whether stored as numeric or as a 64-bit integer, it would not survive a
    JSON number in a JavaScript client above 2^53."""
    return serializers.DecimalField(max_digits=20, decimal_places=0, **kwargs)
