"""Notices and announcements (通知公告) with read receipts and the public disclosure board (公示)."""
from plugins.notices.plugin import *  # noqa: F403
from plugins.notices.plugin import MANIFEST  # noqa: F401
