from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from stq02.models import Unit, User
from stq02.scoping import visible_units


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    provinces = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "name_en", "kind", "parent", "provinces"]


class MeSerializer(serializers.ModelSerializer):
    unit = UnitSerializer(read_only=True)
    sees_everything = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "title",
            "language",
            "unit",
            "sees_everything",
        ]


class MeView(APIView):
    """The caller's own profile and unit."""

    serializer_class = MeSerializer

    def get(self, request):
        return Response(MeSerializer(request.user).data)


class UnitListView(generics.ListAPIView):
    """Units the caller may see: their own and those below it (all, for central units)."""

    serializer_class = UnitSerializer
    filterset_fields = ["kind", "code"]

    def get_queryset(self):
        return (
            visible_units(self.request.user).select_related("parent").prefetch_related("provinces")
        )
