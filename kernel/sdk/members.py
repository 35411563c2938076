"""The firm's members (tenant-scoped accounts), as plugins check them: ``require_member`` answers
NOT_FOUND for an account of another firm exactly as for an unknown one."""

from __future__ import annotations

from kernel.identity.members import require_member

__all__ = ["require_member"]
