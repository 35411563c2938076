"""Notification templates: what a notification says, per locale, keyed by a stable name.

Plugins contribute templates through ``register_notification_templates``; the kernel's own
(invitations, verification and reset codes) are defined here. A template renders with
``str.format_map`` over the data the caller passes to :func:`kernel.notifications.notify`; a
placeholder the data lacks is the caller's bug and fails before anything is written.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"


class TemplateError(ValueError):
    """A template is malformed, unknown, or the data lacks one of its placeholders."""


@dataclass(frozen=True)
class NotificationTemplate:
    """One message, in every supported locale.

    :param key: stable name, ``<plugin>.<what>`` (``notices.published``).
    :param category: what a person turns on or off per channel in their preferences
        (``notices``, ``fees``, ``security``…).
    :param subject: per locale, the subject line (e-mail subject, inbox title).
    :param body: per locale, the text.
    :param secret: the rendered text carries a one-time secret (a code, an invitation link): it is
        never kept in the inbox nor in the notification row — only in the outbox message until it
        is delivered, then scrubbed.
    """

    key: str
    category: str
    subject: Mapping[str, str]
    body: Mapping[str, str]
    secret: bool = False
    placeholders: frozenset[str] = field(init=False, default=frozenset())

    def __post_init__(self) -> None:
        missing = [loc for loc in LOCALES if loc not in self.subject or loc not in self.body]
        if missing:
            raise TemplateError(f"template {self.key!r} lacks the locale(s) {', '.join(missing)}")
        names: set[str] = set()
        for text in (*self.subject.values(), *self.body.values()):
            names.update(f for _, f, _, _ in string.Formatter().parse(text) if f)
        object.__setattr__(self, "placeholders", frozenset(n.split(".")[0].split("[")[0] for n in names))

    def render(self, locale: str, data: Mapping[str, Any]) -> tuple[str, str]:
        """``(subject, body)`` in ``locale`` (the default locale when it has none)."""
        missing = self.placeholders - set(data)
        if missing:
            raise TemplateError(f"template {self.key!r} needs data for {', '.join(sorted(missing))}")
        loc = locale if locale in self.subject else DEFAULT_LOCALE
        values = dict(data)
        return self.subject[loc].format_map(values), self.body[loc].format_map(values)


KERNEL_TEMPLATES: tuple[NotificationTemplate, ...] = (
    NotificationTemplate(
        key="identity.invitation",
        category="security",
        secret=True,
        subject={"zh-CN": "{firm} 邀请您加入", "en": "{firm} invites you"},
        body={
            "zh-CN": "{firm} 邀请您以 {roles} 身份加入。邀请码：{code}\n打开链接完成注册：{link}\n有效期至 {expires_at}。",
            "en": "{firm} invites you to join as {roles}. Invitation code: {code}\nOpen the link to finish: {link}\nValid until {expires_at}.",
        },
    ),
    NotificationTemplate(
        key="identity.verification_code",
        category="security",
        secret=True,
        subject={"zh-CN": "验证码", "en": "Verification code"},
        body={
            "zh-CN": "您的验证码是 {code}（用于{purpose}），{minutes} 分钟内有效。请勿告诉他人。",
            "en": "Your verification code is {code} (for {purpose}); it is valid for {minutes} minutes. Do not share it.",
        },
    ),
    NotificationTemplate(
        key="identity.password_reset",
        category="security",
        secret=True,
        subject={"zh-CN": "重置密码", "en": "Password reset"},
        body={
            "zh-CN": "您正在重置密码，验证码 {code}，{minutes} 分钟内有效。如非本人操作，请忽略。",
            "en": "Your password reset code is {code}; it is valid for {minutes} minutes. If you did not ask for it, ignore this message.",
        },
    ),
)


class TemplateRegistry:
    """Templates by key (a runtime's: the kernel's plus its plugins')."""

    def __init__(self, templates: Iterable[NotificationTemplate] = KERNEL_TEMPLATES) -> None:
        self._by_key: dict[str, tuple[str, NotificationTemplate]] = {}
        self.add("kernel", templates)

    def add(self, owner: str, templates: Iterable[NotificationTemplate]) -> None:
        for t in templates:
            if not isinstance(t, NotificationTemplate):
                raise TemplateError(f"{owner}: register_notification_templates must return NotificationTemplate objects")
            found = self._by_key.get(t.key)
            if found is not None and found[1] != t:
                raise TemplateError(f"notification template {t.key!r} is defined by both {found[0]!r} and {owner!r}")
            self._by_key[t.key] = (owner, t)

    def get(self, key: str) -> NotificationTemplate:
        found = self._by_key.get(key)
        if found is None:
            raise TemplateError(f"no notification template {key!r}; register it with register_notification_templates")
        return found[1]

    def categories(self) -> list[str]:
        return sorted({t.category for _, t in self._by_key.values()})
