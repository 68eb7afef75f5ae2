"""Every consumer of an episode's randomness draws from a stream of its own."""
import numpy as np

from visuotactile_grasp.streams import STREAMS, keyed_rng, stream_seed


def test_zero_padding_is_why_labels_are_non_zero():
    # numpy pads entropy with zeros: a stream labelled 0 repeats the unlabelled key
    assert np.random.default_rng([3, 5]).random() == np.random.default_rng([3, 5, 0]).random()
    assert all(label > 0 for label in STREAMS.values())


def test_streams_of_one_episode_differ():
    key = (0, 1234, 7)
    draws = {name: keyed_rng(key, name).random(4).tolist() for name in STREAMS}
    assert len({tuple(v) for v in draws.values()}) == len(STREAMS)
    # a collection trial's plan (key (seed, trial)) does not repeat that trial's object placement
    assert keyed_rng((0, 7), "grasp_plan").random() != keyed_rng((0, 7), "placement").random()
    assert not np.array_equal(np.random.default_rng(stream_seed(key, "gel_left")).random(4), draws["attempt"])
