"""The decoded-inputs cache (model/inputs.py): images memory-mapped from DIR/cache, subsets as row views
that read the same pixels a copy holds, and a cache cut short is decoded again."""
import numpy as np
import pytest

from test_ddp_train import _dataset
from visuotactile_grasp.model.inputs import RowView, load_datasets, load_inputs
from visuotactile_grasp.model.network import ModelConfig

CONFIG = ModelConfig(variant="tactile_vision", backbone="small", image_size=32)


def _cache_folder(data):
    (folder,) = [p for p in (data / "cache").iterdir() if p.is_dir()]
    return folder


def test_images_are_mapped_from_the_cache_and_subsets_are_views(tmp_path):
    data = _dataset(tmp_path / "ds", 12)
    first = load_inputs(data, CONFIG, workers=1, progress=False)
    cache = _cache_folder(data)
    assert (cache / "done").exists() and not list((data / "cache").glob("*.tmp"))
    again = load_datasets([data], CONFIG, workers=1, progress=False)
    assert isinstance(again.rgb, np.memmap) and not isinstance(again.labels, np.memmap)
    for f in ("rgb", "gel_left", "gel_right", "actions", "labels", "object_ids", "kinds"):
        np.testing.assert_array_equal(np.asarray(getattr(again, f)), np.asarray(getattr(first, f)))
    mask = again.object_ids != "train_001"
    part = again.subset(mask)
    assert isinstance(part.gel_left, RowView) and part.gel_left.shape == (int(mask.sum()), 37, 37, 3)
    np.testing.assert_array_equal(np.asarray(part.gel_left), np.asarray(again.gel_left)[mask])
    inner = part.subset(np.arange(len(part)) % 2 == 1)  # a view of a view: rows of the same file
    assert inner.rgb.parts == (again.rgb,)
    np.testing.assert_array_equal(inner.rgb[[0, 2]], np.asarray(again.rgb)[mask][1::2][[0, 2]])
    np.testing.assert_array_equal(np.stack(list(inner.rgb)), np.asarray(again.rgb)[mask][1::2])
    np.testing.assert_array_equal(inner.labels, again.labels[mask][1::2])


def test_a_cache_cut_short_is_decoded_again(tmp_path):
    data = _dataset(tmp_path / "ds", 6)
    whole = load_inputs(data, CONFIG, workers=1, progress=False)
    cache = _cache_folder(data)
    (cache / "done").unlink()
    (cache / "labels.npy").write_bytes(b"")
    again = load_inputs(data, CONFIG, workers=1, progress=False)
    assert (cache / "done").exists()
    np.testing.assert_array_equal(again.labels, whole.labels)
    np.testing.assert_array_equal(np.asarray(again.rgb), np.asarray(whole.rgb))


def test_several_datasets_are_one_view_over_their_files(tmp_path):
    """--data A --data B (random and on-policy data, as the paper retrained): the images stay mapped in
    each dataset's cache, and every way of reading them gives the concatenated arrays' pixels."""
    a, b = _dataset(tmp_path / "a", 5), _dataset(tmp_path / "b", 7)
    one, two = (load_inputs(d, CONFIG, workers=1, progress=False) for d in (a, b))
    both = load_datasets([a, b], CONFIG, workers=1, progress=False)
    assert isinstance(both.gel_right, RowView) and len(both.gel_right.parts) == 2 and len(both) == 12
    whole = np.concatenate([np.asarray(one.gel_right), np.asarray(two.gel_right)])
    np.testing.assert_array_equal(np.asarray(both.gel_right), whole)
    np.testing.assert_array_equal(both.gel_right[[11, 0, 5, 4]], whole[[11, 0, 5, 4]])
    np.testing.assert_array_equal(both.gel_right[6], whole[6])
    np.testing.assert_array_equal(both.gel_right[3:9], whole[3:9])
    part = both.subset(np.arange(12) % 3 != 0)
    np.testing.assert_array_equal(np.stack(list(part.gel_right)), whole[np.arange(12) % 3 != 0])
    np.testing.assert_array_equal(part.labels, np.concatenate([one.labels, two.labels])[np.arange(12) % 3 != 0])


def test_views_take_rows_as_arrays_do_and_refuse_what_arrays_refuse(tmp_path):
    images = np.arange(5 * 2 * 2 * 3, dtype=np.uint8).reshape(5, 2, 2, 3)
    other = images + 100
    view = RowView.joined([other, RowView.of(images, np.array([-1, 0]))])  # a negative row: the last, as in arrays
    np.testing.assert_array_equal(np.asarray(view), np.concatenate([other, images[[-1, 0]]]))
    with pytest.raises(IndexError):
        RowView((images,), [5])
    data = _dataset(tmp_path / "ds", 6)
    inputs = load_inputs(data, CONFIG, workers=1, progress=False)
    with pytest.raises(IndexError):
        inputs.subset(np.array([True, False]))  # a mask of another length
    np.testing.assert_array_equal(inputs.subset(np.array([-1])).labels, inputs.labels[-1:])


def test_a_second_decoder_waits_for_the_first_and_reads_its_cache(tmp_path, monkeypatch):
    """Two trainings started at once on a new dataset: one decodes under the cache's lock, the other
    finds `done` once it holds the lock and decodes nothing."""
    import fcntl
    import shutil
    import threading

    from visuotactile_grasp.model import inputs as inputs_module

    data = _dataset(tmp_path / "ds", 6)
    first = load_inputs(data, CONFIG, workers=1, progress=False)
    cache = _cache_folder(data)
    kept = tmp_path / "kept"
    shutil.move(cache, kept)  # as if not decoded yet; the first decoder's result, put in place below
    decoded = []
    monkeypatch.setattr(inputs_module, "_decode_into", lambda *args, **kwargs: decoded.append(args))
    result = {}
    with open(data / "cache" / f"{cache.name}.lock", "w") as held:  # the first decoder, at work
        fcntl.flock(held, fcntl.LOCK_EX)
        waiter = threading.Thread(target=lambda: result.update(x=load_inputs(data, CONFIG, workers=1,
                                                                            progress=False)))
        waiter.start()
        waiter.join(timeout=1.0)
        assert waiter.is_alive()  # held at the lock, not decoding beside it
        shutil.move(kept, cache)  # the first decoder's rename
    waiter.join(timeout=60)
    assert not decoded  # it read the first decoder's cache
    np.testing.assert_array_equal(result["x"].labels, first.labels)
