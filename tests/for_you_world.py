"""A small store for "For you" tests: papers in four research topics, written from each topic's own
phrases so that the real embedding model and TF-IDF tell the topics apart as they would real papers.
The library papers are announced in October 2026; the new ones on five days of the week of 2026-11-02."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from factories import make_record
from paperfeed.db.papers import upsert_papers
from paperfeed.normalize import normalize_record

TOPICS = {
    "diffusion": (
        "cs.CV",
        ["Denoising diffusion", "Score-based generative", "Latent diffusion", "Classifier-free guidance in diffusion",
         "Consistency distillation of diffusion", "Fast samplers for diffusion", "Video diffusion",
         "Text-to-image diffusion"],
        ["models synthesize high quality images by reversing a gradual noising process",
         "the denoiser is trained to predict the added Gaussian noise at every step of the diffusion",
         "fewer sampling steps of the reverse diffusion keep image fidelity",
         "guidance trades sample diversity for fidelity in conditional image generation"],
    ),
    "protein": (
        "q-bio.BM",
        ["Protein structure prediction", "Protein language models", "De novo protein design",
         "Side-chain packing for protein folds", "Protein stability under mutation", "Antibody design",
         "Protein-ligand docking", "Inverse folding of proteins"],
        ["we predict the folded three-dimensional structure of a protein from its amino acid sequence",
         "residue contacts and evolutionary couplings from multiple sequence alignments",
         "an equivariant network refines the predicted protein backbone",
         "designed sequences fold into the target structure in silico and in the lab"],
    ),
    "galaxies": (
        "astro-ph.GA",
        ["Galaxy cluster formation", "Dark matter halos", "Star formation in dwarf galaxies",
         "Intracluster gas profiles", "Cosmological hydrodynamical simulations", "Galaxy mergers",
         "Active galactic nuclei feedback", "Stellar mass functions of galaxies"],
        ["we follow the assembly of massive galaxy clusters in cosmological simulations",
         "X-ray observations of the hot intracluster medium constrain the gas profiles",
         "feedback from supernovae and black holes regulates star formation in galaxies",
         "dark matter halo masses are inferred from weak gravitational lensing"],
    ),
    "economics": (
        "econ.GN",
        ["Tax policy and household savings", "Minimum wage and employment", "Monetary policy transmission",
         "Labor market search frictions", "Housing prices and credit", "Inflation expectations of firms",
         "Trade tariffs and prices", "Pension reform and retirement"],
        ["a natural experiment identifies the response of households to the after-tax return",
         "administrative data on wages and employment across regions",
         "we estimate the pass-through of interest rates to bank lending and consumption",
         "a structural model of the labor market matches job finding rates"],
    ),
}
LIBRARY_DAY = date(2026, 10, 5)
NEW_DAYS = [date(2026, 11, 2) + timedelta(days=i) for i in range(5)]


def topic_records(topic: str, n: int, *, start: int, day_of) -> list:
    category, titles, sentences = TOPICS[topic]
    records = []
    for i in range(n):
        number = start + i
        title = f"{titles[i % len(titles)]}: study {number}"
        abstract = " ".join(sentences[(i + j) % len(sentences)].capitalize() + "." for j in range(3))
        records.append(make_record(arxiv_id=f"2610.{number:05d}", title=title, abstract=abstract,
                                   categories=(category,), authors=(f"Author {topic} {number}",),
                                   announced_on=day_of(i), published_on=day_of(i)))
    return records


def build_world(engine: sa.Engine) -> dict[str, dict[str, list[int]]]:
    """Per topic: 8 "library" papers (October) and 10 "new" ones spread over NEW_DAYS; their paper ids."""
    ids: dict[str, dict[str, list[int]]] = {}
    for t, topic in enumerate(TOPICS):
        library = topic_records(topic, 8, start=1000 * t + 1, day_of=lambda i: LIBRARY_DAY + timedelta(days=i))
        new = topic_records(topic, 10, start=1000 * t + 500, day_of=lambda i: NEW_DAYS[i % len(NEW_DAYS)])
        with engine.begin() as conn:
            stored = upsert_papers(conn, [normalize_record(r) for r in library + new]).paper_ids
        ids[topic] = {"library": stored[:8], "new": stored[8:]}
    return ids
