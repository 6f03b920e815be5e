"""Table definitions (SQLAlchemy Core). Migrations under migrations/ create exactly these tables."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa


class UTCDateTime(sa.TypeDecorator):
    """Timestamps go in as UTC and always come out timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None:
            # A naive timestamp is taken to be UTC already, on every database alike.
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

papers = sa.Table(
    "papers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # arXiv id without version, else "doi:<doi>", else "h:<content hash>" (paperfeed.identity).
    sa.Column("key", sa.String(128), nullable=False, unique=True),
    sa.Column("arxiv_id", sa.String(64), unique=True),
    sa.Column("doi", sa.String(255), index=True),
    sa.Column("title_key", sa.String(32), nullable=False, index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("abstract", sa.Text, nullable=False),
    sa.Column("authors", sa.JSON, nullable=False),  # ordered list of names
    sa.Column("categories", sa.JSON, nullable=False),  # primary first
    sa.Column("primary_category", sa.String(64), index=True),
    sa.Column("sources", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer),
    sa.Column("published_on", sa.Date),
    sa.Column("updated_on", sa.Date),
    sa.Column("announced_on", sa.Date, index=True),
    sa.Column("abs_url", sa.Text),
    sa.Column("pdf_url", sa.Text),
    sa.Column("code_url", sa.Text),
    sa.Column("project_url", sa.Text),
    sa.Column("text_rank", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("modified_at", UTCDateTime(), nullable=False, index=True),
)

# A paper's day: when arXiv announced it, else when it was published (models.Paper.day in Python).
PAPER_DAY = sa.func.coalesce(papers.c.announced_on, papers.c.published_on)

# Category lookup kept in step with papers.categories, for category pages and filters.
paper_categories = sa.Table(
    "paper_categories",
    metadata,
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("category", sa.String(64), primary_key=True),
    sa.Index("ix_paper_categories_category", "category"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("username", sa.String(64), unique=True),
    sa.Column("password_hash", sa.Text),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),  # may see /admin/status
    # Mail me when a comment mentions me (@username): on unless the reader turns it off in settings.
    sa.Column("mention_mail", sa.Boolean, nullable=False, server_default=sa.true()),
)

listings = sa.Table(
    "listings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("source", sa.String(32), nullable=False),  # "hf-daily", "user"
    sa.Column("submitted_by", sa.String(255)),  # username on the source (or local user name)
    sa.Column("submitted_by_user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
    sa.Column("submitted_at", UTCDateTime()),
    sa.Column("upvotes", sa.Integer, nullable=False, server_default="0"),  # as counted by the source
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("day", "paper_id", name="uq_listings_day_paper"),
    sa.Index("ix_listings_day", "day"),
)

votes = sa.Table(
    "votes",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Index("ix_votes_paper_id", "paper_id"),
)

# Personal API tokens for scripts (db/api_tokens.py): only the sha256 of each token is kept; revoking deletes the row.
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # hex sha256
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_used_at", UTCDateTime()),
    sa.Index("ix_api_tokens_user_id", "user_id"),
)

# Resumable harvests: the cursor of an unfinished run, written in the same transaction as its papers.
checkpoints = sa.Table(
    "checkpoints",
    metadata,
    sa.Column("name", sa.String(512), primary_key=True),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

# Digest subscribers: one per address. status: pending (until the confirmation link is followed),
# active, unsubscribed or bouncing (a permanent SMTP failure; nothing more is sent).
subscribers = sa.Table(
    "subscribers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("email", sa.String(320), nullable=False, unique=True),
    sa.Column("frequency", sa.String(16), nullable=False),  # daily, weekly
    sa.Column("timezone", sa.String(64), nullable=False),  # IANA name
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("confirmation_sent_at", UTCDateTime()),
    sa.Column("confirmed_at", UTCDateTime()),
    sa.Column("unsubscribed_at", UTCDateTime()),
    sa.Column("bounced_at", UTCDateTime()),
    sa.Column("bounce_reason", sa.Text),
    sa.Index("ix_subscribers_status", "status"),
)

# What a subscriber follows: kind is category, query or author.
subscriber_interests = sa.Table(
    "subscriber_interests",
    metadata,
    sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(300), primary_key=True),
)

# One digest per subscriber and period ("daily:2026-11-23", "weekly:2026-W48"), written with its papers
# before it is sent. status: pending, sent, empty (nothing new), failed (bounced) or expired.
digests = sa.Table(
    "digests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("period", sa.String(32), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),  # the same on every attempt
    sa.Column("paper_count", sa.Integer, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("sent_at", UTCDateTime()),
    sa.UniqueConstraint("subscriber_id", "period", name="uq_digests_subscriber_period"),
    sa.Index("ix_digests_status", "status"),
)

# The papers of each digest, with why they are there. The primary key is (subscriber, paper):
# a paper goes into at most one digest of a subscriber, ever.
digest_papers = sa.Table(
    "digest_papers",
    metadata,
    sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("digest_id", sa.Integer, sa.ForeignKey("digests.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.SmallInteger, nullable=False),
    sa.Column("section", sa.String(16), nullable=False),  # interests or trending
    sa.Column("reason", sa.Text, nullable=False),  # "matches your query 'x'; new in cs.CL"
    sa.Index("ix_digest_papers_digest_id", "digest_id"),
)

# A reader's library (db/library.py): named collections, the papers saved (with a private note), and
# which collections each saved paper is in (several, like tags). Everything here is private to its
# reader. A membership names its reader twice over, through its collection and through its saved
# paper, so the database itself keeps both the same reader's and drops it when the paper is unsaved.
collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("user_id", "name", name="uq_collections_user_name"),
    sa.UniqueConstraint("id", "user_id", name="uq_collections_id_user"),  # the memberships' foreign key
)

saved_papers = sa.Table(
    "saved_papers",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("saved_at", UTCDateTime(), nullable=False),
    sa.Column("note", sa.Text),  # at most paperfeed.library.MAX_NOTE characters
    sa.Index("ix_saved_papers_user_saved_at", "user_id", "saved_at"),
    sa.Index("ix_saved_papers_paper_id", "paper_id"),
)

collection_papers = sa.Table(
    "collection_papers",
    metadata,
    sa.Column("collection_id", sa.Integer, primary_key=True),
    sa.Column("paper_id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("added_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["collection_id", "user_id"], ["collections.id", "collections.user_id"],
                            ondelete="CASCADE", name="fk_collection_papers_collection"),
    sa.ForeignKeyConstraint(["user_id", "paper_id"], ["saved_papers.user_id", "saved_papers.paper_id"],
                            ondelete="CASCADE", name="fk_collection_papers_saved"),
    sa.Index("ix_collection_papers_user_paper", "user_id", "paper_id"),
)

# Private ratings (db/ratings.py): +1 "more like this", -1 "less like this"; one per reader and paper.
ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("value", sa.SmallInteger, nullable=False),
    sa.Column("rated_at", UTCDateTime(), nullable=False),
    sa.CheckConstraint("value IN (-1, 1)", name="ck_ratings_value"),
    sa.Index("ix_ratings_paper_id", "paper_id"),
)

# "For you" (paperfeed.foryou): each reader's fitted model, for the whole library (collection_id NULL,
# scope "library") or one collection (scope "collection:<id>"), refitted when what it learns from
# changes (signals_key); the days ranked under it; and its best papers of each ranked day, kept so that
# pages, feeds and digests only read them. Everything cascades from the reader, the collection and the paper.
reader_models = sa.Table(
    "reader_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("collection_id", sa.Integer),
    sa.Column("scope", sa.String(40), nullable=False),
    sa.Column("signals_key", sa.String(64), nullable=False),  # sha256 of the positive and negative ids
    sa.Column("positives", sa.Integer, nullable=False),
    sa.Column("fitted_at", UTCDateTime(), nullable=False),
    sa.Column("model", sa.LargeBinary, nullable=False),  # recommend.kept.KeptModel.to_bytes()
    sa.ForeignKeyConstraint(["collection_id", "user_id"], ["collections.id", "collections.user_id"],
                            ondelete="CASCADE", name="fk_reader_models_collection"),
    sa.UniqueConstraint("user_id", "scope", name="uq_reader_models_user_scope"),
)

ranked_days = sa.Table(
    "ranked_days",
    metadata,
    sa.Column("model_id", sa.Integer, sa.ForeignKey("reader_models.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("candidates", sa.Integer, nullable=False),  # a day whose count changed is ranked again
    sa.Column("ranked_at", UTCDateTime(), nullable=False),
)

kept_rankings = sa.Table(
    "kept_rankings",
    metadata,
    sa.Column("model_id", sa.Integer, sa.ForeignKey("reader_models.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("percentile", sa.Float, nullable=False),  # share of random store papers it outscores
    sa.Index("ix_kept_rankings_model_day", "model_id", "day"),
    sa.Index("ix_kept_rankings_paper_id", "paper_id"),
)

# Private feeds of a reader's ranking: only the sha256 of each unguessable token is kept; revoking deletes it.
private_feeds = sa.Table(
    "private_feeds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("collection_id", sa.Integer),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["collection_id", "user_id"], ["collections.id", "collections.user_id"],
                            ondelete="CASCADE", name="fk_private_feeds_collection"),
    sa.Index("ix_private_feeds_user_id", "user_id"),
)

# Papers a reader has opened (their paper page, signed in): "For you" can hide them. Private.
paper_reads = sa.Table(
    "paper_reads",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("read_at", UTCDateTime(), nullable=False),
    sa.Index("ix_paper_reads_paper_id", "paper_id"),
)

# Scheduled jobs (paperfeed.jobs): one row per job (per node for a node's own jobs). A runner holding
# the job's lock owns a due time by moving `claimed_due` forward in one conditional UPDATE, so however
# many processes or machines fire the same schedule, one runs each due time; a row left "running" is a
# runner that died (its lock died with it), and the next due time runs.
job_state = sa.Table(
    "job_state",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("claimed_due", UTCDateTime()),  # the latest due time a runner took
    sa.Column("runner", sa.String(255)),  # host:pid of that runner
    sa.Column("status", sa.String(16)),  # running, ok, failed, timeout
    sa.Column("started_at", UTCDateTime()),
    sa.Column("finished_at", UTCDateTime()),
    sa.Column("duration_s", sa.Float),
    sa.Column("attempts", sa.Integer),
    sa.Column("result", sa.JSON),
    sa.Column("last_error", sa.Text),
    sa.Column("last_error_at", UTCDateTime()),
    sa.Column("next_run_at", UTCDateTime()),
    sa.Column("runs", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
)

# A paper's discussion (paperfeed.discussion): comments in Markdown, replies one level deep (parent_id
# names a top-level comment). A comment deleted while it has replies keeps its row, body emptied
# (deleted_at), so the replies keep their place; without replies it is gone.
comments = sa.Table(
    "comments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("paper_id", sa.Integer, sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE")),
    sa.Column("body", sa.Text, nullable=False),  # the Markdown as written; rendered (and sanitized) on display
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("edited_at", UTCDateTime()),
    sa.Column("deleted_at", UTCDateTime()),
    sa.Index("ix_comments_paper_id_created_at", "paper_id", "created_at"),
    sa.Index("ix_comments_created_at", "created_at"),
    sa.Index("ix_comments_user_id", "user_id"),
    sa.Index("ix_comments_parent_id", "parent_id"),
)

# Mail owed to a reader for a comment that names them (@username): one row per (comment, reader), so a
# comment edited to mention them again is not mailed twice. `claimed_at` is set by the one sender that
# takes the row before it sends (a crash after the claim loses that mail rather than sending it twice).
mention_notices = sa.Table(
    "mention_notices",
    metadata,
    sa.Column("comment_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("claimed_at", UTCDateTime()),
    sa.Column("sent_at", UTCDateTime()),
    sa.Column("error", sa.Text),
    sa.Index("ix_mention_notices_user_id", "user_id"),
)
