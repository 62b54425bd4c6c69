"""DataSync ARNs in the caller's account, for the emulator: moto 5.2.5 writes every location and task ARN under
account 111222333444, whoever calls, where AWS names the caller's account. Each new location and task is filed again
under its ARN in the backend's own account (task executions follow their task's ARN)."""

from __future__ import annotations

from typing import Any

MOTO_ACCOUNT = ":111222333444:"
_PATCHED = False


def in_callers_account() -> None:
    """Once per process: wrap moto's create_location and create_task so that their ARNs name the backend's account."""
    global _PATCHED
    if _PATCHED:
        return
    from moto.datasync.models import DataSyncBackend

    for method, store in (("create_location", "locations"), ("create_task", "tasks")):
        setattr(DataSyncBackend, method, _refiled(getattr(DataSyncBackend, method), store))
    _PATCHED = True


def _refiled(create: Any, store: str) -> Any:
    def wrapper(backend: Any, *args: Any, **kwargs: Any) -> str:
        arn = create(backend, *args, **kwargs)
        items = getattr(backend, store)
        item = items.pop(arn)
        item.arn = arn.replace(MOTO_ACCOUNT, f":{backend.account_id}:")
        items[item.arn] = item
        return item.arn

    return wrapper
