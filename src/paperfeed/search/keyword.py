"""The keyword leg: a BM25 index (tantivy) of titles, authors and abstracts, in a folder under the data dir.

The index is derived data, rebuilt from the papers table. Queries are built with tantivy's Query API from
a ParsedQuery, never from user text handed to tantivy's query parser, so odd input cannot make a search
fail. Filters are clauses of the engine query itself: results never include a filtered-out paper and are
never short while enough papers match. Writes become visible, all at once, at commit(); until then the
previous commit is what every reader (in this process or another) sees, even after a crash.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from itertools import islice
from pathlib import Path

import numpy as np
import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from paperfeed.errors import InvalidInput, PaperfeedError
from paperfeed.identity import category_keys, name_key
from paperfeed.search.base import FieldClause, Filters, IndexDoc, ParsedQuery, Ranked

# Free words score BM25 on "text" (title and abstract as one field: on SciFact, nDCG@10 0.70 against 0.68 for
# adding up per-field BM25s, which saturate a word once per field), plus a bonus for title matches and a score
# for author names. A title bonus of 0.2 is best on SciFact (claims against abstracts), larger ones on finding
# arXiv papers by title words; 0.5 costs 0.01 of the one and 3 points of the other (bench/keyword_engines.py).
DEFAULT_BOOSTS: Mapping[str, float] = {"text": 1.0, "title": 0.5, "authors": 1.0}
SORTS = ("relevance", "date")
_EPOCH = date(1970, 1, 1)
_TEXT, _NAME = "paperfeed_text", "paperfeed_name"  # our analyzers, registered on every open
_WRITER_HEAP_BYTES = 128_000_000
_BATCH = 2_000  # documents per delete-then-add round of an upsert
_NO_DAY = float("-inf")  # date-sorted score of a paper without a day: last
# A pasted abstract has a hundred or more distinct words; scoring them all costs a posting list each (three
# fields), most of them common words that barely move BM25. The rarest ones carry the score: keep those.
MAX_FREE_WORDS = 32


class StaleIndex(PaperfeedError):
    """The folder holds an index built with another schema; delete it and rebuild (it is derived data)."""


def _analyzer(*, stem: bool) -> tantivy.TextAnalyzer:
    builder = TextAnalyzerBuilder(Tokenizer.simple()).filter(Filter.remove_long(40)).filter(Filter.lowercase())
    builder = builder.filter(Filter.ascii_fold())  # Schölkopf matches Scholkopf
    return (builder.filter(Filter.stemmer("english")) if stem else builder).build()


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("paper_id", stored=True, indexed=True, fast=True)
    builder.add_text_field("text", tokenizer_name=_TEXT)  # title and abstract, for free words and phrases
    builder.add_text_field("title", tokenizer_name=_TEXT)
    builder.add_text_field("authors", tokenizer_name=_NAME)
    builder.add_text_field("abstract", tokenizer_name=_TEXT)
    builder.add_text_field("categories", tokenizer_name="raw", index_option="basic")  # lowercased by us
    builder.add_text_field("author_key", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("day", indexed=True, fast=True)  # days since 1970-01-01
    return builder.build()


class KeywordIndex:
    """One tantivy index folder. Readers may search from many threads; writes are serialized by a lock.

    A KeywordIndex that has written holds the folder's write lock until close()."""

    def __init__(self, index: tantivy.Index, boosts: Mapping[str, float]) -> None:
        self._index = index
        self._schema = index.schema
        self._boosts = dict(boosts)
        self._text = _analyzer(stem=True)
        self._name = _analyzer(stem=False)
        self._write_lock = threading.Lock()
        self._writer: tantivy.IndexWriter | None = None

    @classmethod
    def open(cls, path: Path, *, boosts: Mapping[str, float] | None = None) -> KeywordIndex:
        """Open the index in `path`, creating an empty one if there is none."""
        boosts = {**DEFAULT_BOOSTS, **(boosts or {})}
        if set(boosts) != set(DEFAULT_BOOSTS):
            raise InvalidInput(f"boosts are for {', '.join(DEFAULT_BOOSTS)}, not {', '.join(sorted(boosts))}")
        path.mkdir(parents=True, exist_ok=True)
        try:
            index = tantivy.Index(_schema(), str(path), reuse=True)
        except ValueError as error:
            if "schema does not match" not in str(error):
                raise
            raise StaleIndex(f"the keyword index in {path} has an older layout; delete it and reindex") from None
        index.register_tokenizer(_TEXT, _analyzer(stem=True))
        index.register_tokenizer(_NAME, _analyzer(stem=False))
        return cls(index, boosts)

    def upsert(self, docs: Iterable[IndexDoc]) -> int:
        """Add or replace papers by paper_id (the last one wins within a batch). Visible after commit()."""
        written = 0
        docs = iter(docs)
        with self._write_lock:
            writer = self._open_writer()
            while batch := {doc.paper_id: doc for doc in islice(docs, _BATCH)}:
                # A delete only removes documents added before it, so the new versions survive.
                writer.delete_documents_by_query(Query.term_set_query(self._schema, "paper_id", list(batch)))
                for doc in batch.values():
                    writer.add_document(self._document(doc))
                written += len(batch)
        return written

    def delete(self, ids: Iterable[int]) -> None:
        """Remove these papers (unknown ids are ignored). Visible after commit()."""
        ids = iter(ids)
        with self._write_lock:
            writer = self._open_writer()
            while batch := [int(paper_id) for paper_id in islice(ids, _BATCH)]:
                # delete_documents_by_term would take a Python int as i64 and silently miss the u64 field.
                writer.delete_documents_by_query(Query.term_set_query(self._schema, "paper_id", batch))

    def commit(self) -> None:
        """Make every write since the last commit visible at once; readers see the new state right away."""
        with self._write_lock:
            if self._writer is not None:
                self._writer.commit()
        self._index.reload()

    def close(self) -> None:
        """Drop the writer and its uncommitted writes, releasing the folder's write lock."""
        with self._write_lock:
            self._writer = None

    def __enter__(self) -> KeywordIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            self._writer = self._index.writer(heap_size=_WRITER_HEAP_BYTES)
        return self._writer

    def _document(self, doc: IndexDoc) -> tantivy.Document:
        document = tantivy.Document()
        document.add_unsigned("paper_id", doc.paper_id)
        document.add_text("title", doc.title)
        document.add_text("abstract", doc.abstract)
        document.add_text("text", doc.title)
        document.add_text("text", doc.abstract)
        for name in doc.authors:
            document.add_text("authors", name)
            document.add_text("author_key", name_key(name))
        for key in category_keys(doc.categories):
            document.add_text("categories", key)
        if doc.day is not None:
            document.add_integer("day", (doc.day - _EPOCH).days)
        return document

    def count(self) -> int:
        return self._index.searcher().num_docs

    def ids(self) -> np.ndarray:
        """Every indexed paper id, sorted (int64)."""
        return self.matching_ids(Filters())

    def matching_ids(self, filters: Filters, limit: int | None = None) -> np.ndarray:
        """Ids of the papers passing `filters`, sorted (int64); with `limit`, only the `limit` newest of them."""
        searcher = self._index.searcher()
        count = searcher.num_docs if limit is None else min(limit, searcher.num_docs)
        if count <= 0:
            return np.zeros(0, dtype=np.int64)
        query = self._filter_query(filters) or Query.all_query()
        # Ordering by day costs twice the time of the (constant) score order, so only when it matters.
        order = {"order_by_field": "day"} if limit is not None else {}
        hits = searcher.search(query, count, count=False, **order).hits
        ids = searcher.fast_field_values("paper_id", [address for _, address in hits])
        return np.sort(np.array(ids, dtype=np.int64))

    def filter_ids(self, ids: Iterable[int], filters: Filters) -> set[int]:
        """Which of these (few) papers pass `filters`: cheaper than matching_ids() for a broad filter."""
        candidates = [int(i) for i in ids]
        filter_query = self._filter_query(filters)
        if not candidates or filter_query is None:
            return set(candidates)
        query = Query.boolean_query(
            [(Occur.Must, Query.term_set_query(self._schema, "paper_id", candidates)), (Occur.Must, filter_query)]
        )
        searcher = self._index.searcher()
        hits = searcher.search(query, len(candidates), count=False).hits
        return set(searcher.fast_field_values("paper_id", [address for _, address in hits]))

    def search(self, query: ParsedQuery, filters: Filters, limit: int, *, sort: str = "relevance",
               among: Sequence[int] | None = None) -> Ranked:
        """Best BM25 matches passing `filters`, or with sort='date' the newest matches (then the score is the
        day, as days since 1970-01-01). An empty query lists the filtered papers newest first. `among`:
        only these papers (the scores are the same as without it)."""
        if sort not in SORTS:
            raise InvalidInput(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        filter_query = self._filter_query(filters)
        if limit <= 0 or (query.is_empty and filter_query is None):
            return []
        searcher = self._index.searcher()
        scored, clauses = self._clauses(query, searcher, every_term=sort == "date")
        if not query.is_empty and not clauses:
            return []  # nothing left after tokenizing (symbols only)
        if filter_query is not None:
            clauses.append((Occur.Must, filter_query))
        if among is not None:
            if not among:
                return []
            clauses.append((Occur.Must, Query.const_score_query(
                Query.term_set_query(self._schema, "paper_id", [int(i) for i in among]), 0.0)))
        # A lone clause is the query itself: for plain words that leaves one flat disjunction of term
        # queries at the top, where tantivy can skip blocks that cannot reach the top k (block-max WAND).
        engine_query = clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)
        if sort == "date" or not scored:
            hits = searcher.search(engine_query, limit, count=False, order_by_field="day").hits
            scores = [_NO_DAY if day is None else float(day) for day, _ in hits]
        else:
            hits = searcher.search(engine_query, limit, count=False).hits
            scores = [float(score) for score, _ in hits]
        ids = searcher.fast_field_values("paper_id", [address for _, address in hits])
        return list(zip(ids, scores, strict=True))

    def _clauses(self, query: ParsedQuery, searcher: tantivy.Searcher, *,
                 every_term: bool) -> tuple[bool, list[tuple[Occur, Query]]]:
        """Required engine clauses for the query, and whether any of them scores (not only au:/cat: clauses).

        Every part must match: each phrase, each field clause, and one of the free words (all with
        every_term); BM25 ranks by how many words match and where. Of more than MAX_FREE_WORDS free
        words (a pasted abstract) only the rarest MAX_FREE_WORDS are scored."""
        pairs = []  # distinct token pairs; zip stops early should the analyzers ever disagree
        for term in query.terms:
            pairs += zip(self._text.analyze(term), self._name.analyze(term), strict=False)
        pairs = list(dict.fromkeys(pairs))
        if len(pairs) > MAX_FREE_WORDS and not every_term:
            pairs = sorted(pairs, key=lambda pair: searcher.doc_freq("text", pair[0]))[:MAX_FREE_WORDS]
        if every_term:
            clauses = [(Occur.Must, self._any_field([stemmed], [plain])) for stemmed, plain in pairs]
        else:
            # One flat "any of" over every (word, field) term: the same BM25 sum as a clause per word
            # holding its fields, but 2.4x faster on a million papers (identical top 10s).
            terms = [(Occur.Should, term) for stemmed, plain in pairs for term in self._word_in_fields(stemmed, plain)]
            clauses = [(Occur.Must, Query.boolean_query(terms))] if terms else []
        for phrase in query.phrases:
            if tokens := self._text.analyze(phrase):
                clauses.append((Occur.Must, self._any_field(tokens, self._name.analyze(phrase))))
        scored = bool(clauses)
        for clause in query.fields:
            if field_query := self._field_query(clause):
                clauses.append((Occur.Must, field_query))
                scored = scored or clause.field in ("title", "abstract")
        return scored, clauses

    def _any_field(self, stemmed: list[str], plain: list[str]) -> Query:
        """The words (one, or a phrase) in the title and abstract, with a title bonus, or in the authors."""
        fields = (("text", stemmed), ("title", stemmed), ("authors", plain))
        return Query.boolean_query(
            [(Occur.Should, self._words(f, tokens, phrase=True)) for f, tokens in fields if self._boosts[f]]
        )

    def _word_in_fields(self, stemmed: str, plain: str) -> list[Query]:
        """One word as a boosted term query per field: title and abstract, the title bonus, authors."""
        fields = (("text", stemmed), ("title", stemmed), ("authors", plain))
        return [Query.boost_query(Query.term_query(self._schema, f, token), self._boosts[f])
                for f, token in fields if self._boosts[f]]

    def _field_query(self, clause: FieldClause) -> Query | None:
        if clause.field == "categories":
            return Query.const_score_query(Query.term_query(self._schema, "categories", clause.text.lower()), 0.0)
        tokens = (self._name if clause.field == "authors" else self._text).analyze(clause.text)
        return self._words(clause.field, tokens, phrase=clause.phrase) if tokens else None

    def _words(self, field: str, tokens: list[str], *, phrase: bool) -> Query:
        """Tokens as a phrase, or each one required, in `field`, boosted by the field's weight."""
        if not tokens:
            return Query.empty_query()
        if len(tokens) == 1:  # tantivy panics on a one-word phrase query
            query = Query.term_query(self._schema, field, tokens[0])
        elif phrase:
            query = Query.phrase_query(self._schema, field, tokens)
        else:
            query = Query.boolean_query([(Occur.Must, Query.term_query(self._schema, field, t)) for t in tokens])
        return Query.boost_query(query, self._boosts.get(field, 1.0))

    def _filter_query(self, filters: Filters) -> Query | None:
        """One engine clause for all filters (scoring nothing), or None when no filter is active."""
        parts = []
        if filters.since or filters.until:
            since = None if filters.since is None else (filters.since - _EPOCH).days
            until = None if filters.until is None else (filters.until - _EPOCH).days
            parts.append(Query.range_query(self._schema, "day", tantivy.FieldType.Integer, since, until))
        if filters.categories:
            parts.append(Query.term_set_query(self._schema, "categories", [c.lower() for c in filters.categories]))
        if filters.authors:
            parts.append(Query.term_set_query(self._schema, "author_key", [name_key(a) for a in filters.authors]))
        if not parts:
            return None
        return Query.const_score_query(Query.boolean_query([(Occur.Must, part) for part in parts]), 0.0)
