"""The registry of periodic jobs and the arithmetic of their slots.

A job runs once per *slot*: every ``every`` (aligned to the Unix epoch, UTC), once a day at
``daily_at``, or at the times of a ``cron`` expression (five fields, e.g. ``0 2 * * mon-fri``),
both in ``MAMORI_TIME_ZONE``. A slot that has no completed run once its ``window`` has
passed is *missed*, and that is an alert in itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter
from django.utils.functional import Promise

__all__ = ["Job", "get_job", "jobs", "register_job"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Job:
    """A periodic job; ``func`` returns a short text or JSON-able summary of what it did."""

    name: str
    func: Callable[[], object]
    description: str | Promise
    every: timedelta | None = None
    daily_at: time | None = None
    cron: str | None = None
    window: timedelta = timedelta(minutes=5)
    alert_roles: tuple[tuple[str, ...], ...] = field(
        default=(("operator",), ("dept_system_manager",), ("system_general_manager",))
    )

    def __post_init__(self) -> None:
        schedules = [self.every, self.daily_at, self.cron]
        if sum(value is not None for value in schedules) != 1:
            raise ValueError(f"job {self.name!r} needs exactly one of every, daily_at or cron")
        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ValueError(f"job {self.name!r}: {self.cron!r} is not a cron expression")
        if self.every is not None and self.every < timedelta(seconds=1):
            raise ValueError(f"job {self.name!r} cannot run more than once a second")
        if self.window <= timedelta(0):
            raise ValueError(f"job {self.name!r} needs a positive window")

    def slot(self, now: datetime, time_zone: str) -> datetime:
        """Return the start of the slot ``now`` falls in (UTC)."""
        if self.every is not None:
            step = int(self.every.total_seconds())
            elapsed = int((now - EPOCH).total_seconds())
            return EPOCH + timedelta(seconds=elapsed - elapsed % step)
        zone = ZoneInfo(time_zone)
        if self.cron is not None:  # the latest fire time at or before now
            after_now = now.astimezone(zone) + timedelta(microseconds=1)
            previous: datetime = croniter(self.cron, after_now).get_prev(datetime)
            return previous.astimezone(UTC)
        assert self.daily_at is not None
        local = now.astimezone(zone)
        today = datetime.combine(local.date(), self.daily_at, tzinfo=zone)
        start = today if local >= today else today - timedelta(days=1)
        return start.astimezone(UTC)

    def previous_slot(self, slot: datetime, time_zone: str) -> datetime:
        """Return the slot before ``slot``."""
        if self.every is not None:
            return slot - self.every
        return self.slot(slot - timedelta(seconds=1), time_zone)

    def next_slot(self, now: datetime, time_zone: str) -> datetime:
        """Return the start of the next slot after ``now``."""
        if self.every is not None:
            return self.slot(now, time_zone) + self.every
        if self.cron is not None:
            following: datetime = croniter(self.cron, now.astimezone(ZoneInfo(time_zone))).get_next(
                datetime
            )
            return following.astimezone(UTC)
        return self.slot(self.slot(now, time_zone) + timedelta(days=1, hours=1), time_zone)

    @property
    def schedule_text(self) -> str:
        """Describe the schedule for people, in the active language."""
        from django.utils.translation import gettext as _

        if self.every is not None:
            return _("every %(seconds)s s") % {"seconds": int(self.every.total_seconds())}
        if self.cron is not None:
            return _("cron %(expression)s") % {"expression": self.cron}
        assert self.daily_at is not None
        return _("daily at %(time)s") % {"time": f"{self.daily_at:%H:%M}"}


_JOBS: dict[str, Job] = {}


def register_job(job: Job) -> None:
    """Declare a periodic job (a module does this in its AppConfig.ready)."""
    _JOBS[job.name] = job


def jobs() -> list[Job]:
    """Return the registered jobs, by name."""
    return [_JOBS[name] for name in sorted(_JOBS)]


def get_job(name: str) -> Job:
    """Return the job called ``name`` or raise KeyError naming the known ones."""
    try:
        return _JOBS[name]
    except KeyError:
        raise KeyError(f"no job {name!r}; known: {', '.join(sorted(_JOBS))}") from None
