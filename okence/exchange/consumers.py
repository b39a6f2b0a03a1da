"""The folder page's live updates: a finished upload appears for both sides without reloading."""

from channels.db import database_sync_to_async

from okence.exchange import access, services
from okence.meetings.consumers import GuardedConsumer


class FolderConsumer(GuardedConsumer):
    handlers = {"ping": "ping"}

    async def connect(self):
        kwargs = self.scope["url_route"]["kwargs"]
        if "token" in kwargs:
            grant = await database_sync_to_async(access.for_citizen)(kwargs["token"])
        else:
            grant = await database_sync_to_async(access.for_official)(
                self.scope["user"], kwargs["public_id"]
            )
        if grant is None or not services.available(grant.folder):  # none yet, or purged
            await self.close()
            return
        self.group = services.folder_group(grant.appointment.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def folder_changed(self, event):
        await self.send_json({"type": "changed"})
