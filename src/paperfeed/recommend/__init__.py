"""The reader model of "For you" (issue 11): ranks new papers for one reader by their content, learned
from the reader's positives, explicit negatives and random store papers. Pure: features in, scores and
labels out; the store, the embedding store and the pages supply and show them.

    model = fit(positives, random_negatives, reference, explicit_negatives=negatives)
    scores = model.score(candidates)            # comparable across readers
    model.labels(scores)                        # Match.STRONG / Match.WEAK / None
    model.closest_positives(candidates, n=3)    # the library papers that explain each one
"""

from paperfeed.recommend.calibration import Match
from paperfeed.recommend.features import PaperFeatures
from paperfeed.recommend.model import DEFAULT_SETTINGS, ModelSettings, NotEnoughToLearn, ReaderModel, fit

__all__ = ["DEFAULT_SETTINGS", "Match", "ModelSettings", "NotEnoughToLearn", "PaperFeatures", "ReaderModel", "fit"]
