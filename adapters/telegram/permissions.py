"""The permission sets the adapter applies with restrictChatMember and setChatPermissions."""

from __future__ import annotations

from telegram import ChatPermissions

# A muted member may do nothing; Telegram documents "all True" as lifting a restriction.
MUTED = ChatPermissions.no_permissions()
UNMUTED = ChatPermissions.all_permissions()

# Quiet mode (全员禁言) takes everything from ordinary members; admins are unaffected.
QUIET = ChatPermissions.no_permissions()

# What members may do when quiet mode ends. Not "all permissions": a work group does not let
# every member rename the group, pin messages or manage topics. Kept as data so a deployment
# that wants other defaults changes one place.
GROUP_DEFAULT = ChatPermissions(
    can_send_messages=True,
    can_send_audios=True,
    can_send_documents=True,
    can_send_photos=True,
    can_send_videos=True,
    can_send_video_notes=True,
    can_send_voice_notes=True,
    can_send_polls=True,
    can_send_other_messages=True,
    can_add_web_page_previews=True,
    can_invite_users=True,
    can_change_info=False,
    can_pin_messages=False,
    can_manage_topics=False,
)
