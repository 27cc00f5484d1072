from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.http import AuthenticatedRequest
from apps.teams.selectors import team_active_members, team_list_for_user


class MemberSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField(source="user.display_name")
    role = serializers.CharField()
    is_lead = serializers.BooleanField()


class TeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    members = MemberSerializer(many=True)


class MyTeamsApi(APIView):
    @extend_schema(responses=TeamSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        teams = list(team_list_for_user(user=request.user))
        members_by_team: dict[int, list[object]] = {team.pk: [] for team in teams}
        for member in team_active_members(team_ids=list(members_by_team)):
            members_by_team[member.team_id].append(member)
        payload = [
            {"id": team.pk, "name": team.name, "members": members_by_team[team.pk]}
            for team in teams
        ]
        return Response(TeamSerializer(payload, many=True).data)
