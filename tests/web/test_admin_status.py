"""/admin/status (issue 12, item 5): the instance's jobs, intake, indexes, digests and sizes, for its
admins alone: the first account created, and those `paperfeed admin add` names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import lxml.html
import pytest

from factories import store_paper
from paperfeed.db.jobs import claim, finish
from paperfeed.db.users import make_admin
from paperfeed.errors import NotFound
from web_client import build_app, sqlite_engine, visit


@pytest.fixture
def site(tmp_path):
    with sqlite_engine(tmp_path) as engine:
        yield engine, build_app(engine, tmp_path)


def test_the_first_account_sees_the_status_and_a_later_one_only_once_made_an_admin(site):
    engine, app = site
    store_paper(engine, 1)
    due = datetime.now(UTC) - timedelta(minutes=5)
    with engine.begin() as conn:
        assert claim(conn, "backup", due, "test-runner")
        finish(conn, "backup", due, "failed", 1.5, 3, None, error="disk full <b>now</b>")
    with visit(app) as anonymous:
        assert anonymous.client.get("/admin/status").status_code == 401
    with visit(app) as first, visit(app) as second:
        first.sign_up("first@example.org")
        second.sign_up("second@example.org")
        assert second.client.get("/admin/status").status_code == 403
        assert "paperfeed admin add" in second.client.get("/admin/status").text

        page = first.client.get("/admin/status")
        report = first.client.get("/admin/status.json").json()
        assert page.status_code == 200 and page.headers["cache-control"] == "private"
        html = lxml.html.fromstring(page.text)
        backup = html.xpath('//tr[@class="job-backup"]')[0].text_content()
        assert "failed" in backup and "1.5 s" in backup and "disk full <b>now</b>" in backup  # escaped, as text
        assert "<b>now</b>" not in page.text
        assert {row["name"] for row in report["jobs"]} >= {"arxiv", "hf-daily", "keyword-index", "index",
                                                          "digests", "backup"}
        today = datetime.now(UTC).date().isoformat()
        assert report["papers"]["total"] == 1 and len(report["papers"]["by_day"]) == 14
        assert list(report["papers"]["by_day"])[0] == today and sum(report["papers"]["by_day"][today].values()) == 1
        assert report["index"]["keyword"]["built"] is False and report["index"]["semantic"]["queue"] == 1
        assert report["database"]["dialect"] == "sqlite" and report["database"]["bytes"] > 0

        with engine.begin() as conn:
            make_admin(conn, "Second@Example.org")  # however the address is spelled
        assert second.client.get("/admin/status").status_code == 200
    with engine.begin() as conn, pytest.raises(NotFound, match="sign up first"):
        make_admin(conn, "nobody@example.org")
