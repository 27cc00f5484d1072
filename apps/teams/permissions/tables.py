"""Guardian's direct-FK object permission tables for care teams.

A permission check joins an indexed integer column instead of guardian's
generic (content type, text object id) pair, so it stays fast at any size.
"""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from apps.teams.models import CareTeam


class CareTeamUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(CareTeam, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        app_label = "teams"


class CareTeamGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(CareTeam, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        app_label = "teams"
