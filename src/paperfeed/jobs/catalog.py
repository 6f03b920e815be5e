"""The jobs paperfeed runs by itself: when, for how long at most, how often it is retried, and
whether one process of the whole instance runs it (ONCE: harvests, digests, backups) or every node
(NODE: each node keeps its own search index in step with the shared store)."""

from __future__ import annotations

from dataclasses import dataclass

from paperfeed.config import Settings
from paperfeed.jobs import schedule

ONCE, NODE = "once", "node"


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    target: str  # "module:function" taking (settings, engine) and returning a summary dict
    trigger: object  # an APScheduler trigger (schedule.cron / schedule.every)
    timeout_s: float
    retries: int  # further attempts after a failure (not after a timeout)
    scope: str = ONCE
    backoff_s: float = 30.0  # the first retry's pause; doubled for each next one

    @property
    def description(self) -> str:
        return _describe(self.target)


def _describe(target: str) -> str:
    module, function = target.split(":")
    doc = getattr(__import__(module, fromlist=[function]), function).__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else function


def jobs(settings: Settings) -> list[Job]:
    tasks = "paperfeed.jobs.tasks"
    return [
        Job("arxiv", f"{tasks}:harvest_arxiv", schedule.cron(settings.jobs_arxiv_cron, settings.jobs_arxiv_timezone),
            timeout_s=3600, retries=3, backoff_s=300),
        Job("hf-daily", f"{tasks}:import_hf_daily", schedule.cron(settings.jobs_hf_cron), timeout_s=600, retries=2,
            backoff_s=60),
        Job("keyword-index", f"{tasks}:keyword_index", schedule.every(settings.jobs_keyword_seconds), timeout_s=300,
            retries=0, scope=NODE),
        Job("index", f"{tasks}:embed_and_rank", schedule.every(settings.jobs_index_seconds), timeout_s=6 * 3600,
            retries=1, scope=NODE),
        Job("digests", f"{tasks}:send_digests", schedule.cron(settings.jobs_digest_cron), timeout_s=1800, retries=2,
            backoff_s=120),
        Job("mentions", f"{tasks}:send_mentions", schedule.every(settings.jobs_mentions_seconds), timeout_s=600,
            retries=1, backoff_s=60),
        Job("backup", f"{tasks}:backup", schedule.cron(settings.jobs_backup_cron), timeout_s=3600, retries=2),
    ]


def job_named(settings: Settings, name: str) -> Job:
    for job in jobs(settings):
        if job.name == name:
            return job
    known = ", ".join(job.name for job in jobs(settings))
    from paperfeed.errors import InvalidInput

    raise InvalidInput(f"no job named {name!r} (the jobs: {known})")


def check_job_names(settings: Settings, names: list[str] | None) -> None:
    """InvalidInput naming the jobs there are, for a name that is none of them."""
    for name in names or ():
        job_named(settings, name)
