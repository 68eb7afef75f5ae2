"""rosbag2: every peer bag (written by real rosbag2 tooling) opens or fails clearly, our recorder's
bags read back, damaged bags give clear errors, and a bag recorded from the simulated grasp graph
replays through a trained model with a report."""
import csv
import math
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from visuotactile_grasp.bags.reader import Bag, BagReadError, require_topics, summarize
from visuotactile_grasp.bags.recorder import BagRecorder
from visuotactile_grasp.bags.replay import NEEDED

# the workplace's shared folder sits beside the checkout; a clone elsewhere finds it at /work/shared
PEER = next((p for p in (Path(__file__).resolve().parents[2] / "shared" / "peer_data" / "rosbag2",
                         Path("/work/shared/peer_data/rosbag2")) if p.is_dir()), Path("/nonexistent"))
VTG = str(Path(sys.executable).parent / "vtg")
peer = pytest.mark.skipif(not PEER.is_dir(), reason="shared/peer_data/rosbag2 not on this machine")


@peer
@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_cdr_bags_from_rosbag2_read_in_full(storage):
    with Bag(PEER / storage / "cdr_test") as bag:
        summary = bag.summary()
        assert summary.topics == {"/array_topic": ("test_msgs/msg/Arrays", 4),
                                  "/test_topic": ("test_msgs/msg/BasicTypes", 3)}
        msgs = list(bag.messages(set(summary.topics)))
        assert len(msgs) == 7 and not bag.problems
        assert any(hasattr(m, "bool_value") for _, _, m in msgs)


@peer
def test_talker_bag_reports_messages_its_file_does_not_hold():
    with Bag(PEER / "mcap" / "talker") as bag:
        assert list(bag.messages({"/topic"})) == []
        assert any("metadata lists 10 messages" in p for p in bag.problems)


@peer
def test_service_event_schema_is_left_out_and_the_topics_still_read():
    with Bag(PEER / "mcap" / "bag_with_topics_and_service_events") as bag:
        summary = bag.summary()
        assert "/test_topic1" in summary.topics and "/test_service1/_service_event" not in summary.topics
        assert any("does not parse" in p for p in summary.problems)
        assert len(list(bag.messages({"/test_topic1", "/test_topic2"}))) == 2


@peer
def test_wrong_serialization_format_is_a_clear_error():
    with pytest.raises(BagReadError, match="wrong_format"):
        summarize(PEER / "mcap" / "wrong_rmw_test")


@peer
@pytest.mark.parametrize("bag", ["mcap/talker", "sqlite3/cdr_test", "mcap/bag_with_topics_and_service_events"])
def test_replay_of_a_bag_without_the_planner_topics_names_them(bag, ros_env, tmp_path):
    with pytest.raises(BagReadError, match="missing topics .*/regrasp_planner/request"):
        require_topics(summarize(PEER / bag), NEEDED)


def _serialized(msg):
    from rclpy.serialization import serialize_message

    return serialize_message(msg)


def test_recorder_round_trip_with_our_messages_and_damage(tmp_path):
    from std_msgs.msg import Header
    from visuotactile_grasp_msgs.msg import GraspGoal

    from visuotactile_grasp.ros.image_conversion import image_to_numpy, numpy_to_image

    path = tmp_path / "bag"
    rec = BagRecorder(path)
    rec.add_topic("/goal", "visuotactile_grasp_msgs/msg/GraspGoal")
    rec.add_topic("/img", "sensor_msgs/msg/Image")
    img = np.arange(24 * 32 * 3, dtype=np.uint8).reshape(24, 32, 3)
    goal = GraspGoal(header=Header(frame_id="2"), grip_force=12.5, lift=True, success_probability=0.93,
                     action=[0.01, 0.0, -0.01, 0.1, 2.5], policy="tactile_vision")
    rec.write("/goal", 2_000, _serialized(goal))
    rec.write("/img", 1_000, _serialized(numpy_to_image(img, "rgb8")))  # older than the goal: out of order
    rec.close()
    with Bag(path) as bag:
        got = {topic: msg for topic, _, msg in bag.messages({"/goal", "/img"})}
        assert got["/goal"].grip_force == 12.5 and got["/goal"].lift and got["/goal"].policy == "tactile_vision"
        np.testing.assert_array_equal(image_to_numpy(got["/img"], use_cv_bridge=False), img)
    with pytest.raises(FileExistsError):
        BagRecorder(path)
    mcap = next(path.glob("*.mcap"))
    mcap.write_bytes(mcap.read_bytes()[: mcap.stat().st_size // 2])  # truncated, as after a crash
    with pytest.raises(BagReadError):
        with Bag(path) as bag:
            list(bag.messages({"/goal", "/img"}))


def test_grasp_graph_records_a_bag_that_replays_through_a_trained_model(ros_env, tmp_path):
    from test_model import SMALL, synthetic_inputs

    from visuotactile_grasp.model.network import ModelConfig
    from visuotactile_grasp.model.train import TrainConfig, train

    bag = tmp_path / "bag"
    result = subprocess.run([VTG, "run", "grasp", "--check", "--record", str(bag), "--log-dir", str(tmp_path / "l")],
                            env=ros_env, capture_output=True, text=True, timeout=400)
    print(result.stdout[-2000:], result.stderr[-2000:])
    assert result.returncode == 0
    summary = summarize(bag)
    require_topics(summary, NEEDED)
    assert summary.topics["/regrasp_planner/goal"][1] >= 1
    train(synthetic_inputs(), ModelConfig(variant="tactile_vision", **SMALL),
          TrainConfig(iterations=4, batch_size=8, checkpoint_every=4), tmp_path / "run", progress=False)
    out = tmp_path / "report"
    # a few synthetic iterations give no validated lift threshold: the paper's rule
    replay = subprocess.run([VTG, "replay", str(bag), "--checkpoint", str(tmp_path / "run"), "--out", str(out),
                             "--lift-rule", "paper"],
                            env=ros_env, capture_output=True, text=True, timeout=300)
    assert replay.returncode == 0, replay.stderr[-2000:]
    report = (out / "report.md").read_text()
    assert "with a recorded answer: 1" in report or "with a recorded answer: 2" in report
    assert (out / "decisions.csv").read_text().count("\n") >= 2
    # the same bag played into the replay graph's nodes: the live planner answers every request
    live = subprocess.run([VTG, "replay", str(bag), "--graph", "--rate", "0", "--checkpoint", str(tmp_path / "run"),
                           "--out", str(tmp_path / "live"), "--lift-rule", "paper"],
                          env=ros_env, capture_output=True, text=True, timeout=300)
    assert live.returncode == 0, live.stderr[-2000:]
    with open(tmp_path / "live" / "decisions.csv") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(math.isfinite(float(r["new_p"])) and 0 <= float(r["new_p"]) <= 1 for r in rows)
    assert "through the replay graph" in (tmp_path / "live" / "report.md").read_text()
    shutil.rmtree(bag)  # hundreds of MB of images


def test_a_bag_recorded_with_an_older_message_definition_reads_as_recorded(tmp_path):
    """PlanRequest gained its cylinder fit after bags had been recorded: such a bag reads with its own
    definition (no fit) and says so; a bag of today's definition is read with ours, silently."""
    from rosbags.rosbag2 import StoragePlugin, Writer
    from rosbags.typesys import get_types_from_msg

    from visuotactile_grasp.bags.reader import _copy
    from visuotactile_grasp.bags.typestore import project_typestore

    name = "visuotactile_grasp_msgs/msg/PlanRequest"
    old_def = "std_msgs/Header header\nuint32 regrasp_index\nbuiltin_interfaces/Time inputs_after\nbool minimum_force\n"
    old = _copy(project_typestore(), replace=get_types_from_msg(old_def, name))
    time = old.types["builtin_interfaces/msg/Time"]
    header = old.types["std_msgs/msg/Header"](stamp=time(sec=3, nanosec=0), frame_id="base")
    msg = old.types[name](header=header, regrasp_index=2, inputs_after=time(sec=3, nanosec=5), minimum_force=True)
    path = tmp_path / "old_bag"
    with Writer(path, version=8, storage_plugin=StoragePlugin.MCAP) as writer:
        conn = writer.add_connection("/regrasp_planner/request", name, typestore=old)
        writer.write(conn, 1_000, old.serialize_cdr(msg, name))
    with Bag(path) as bag:
        [(_, _, recorded)] = list(bag.messages({"/regrasp_planner/request"}))
        assert any("another definition" in p for p in bag.problems), bag.problems
    assert recorded.regrasp_index == 2 and recorded.minimum_force and not hasattr(recorded, "fit")
    rec = BagRecorder(tmp_path / "new_bag")
    rec.add_topic("/regrasp_planner/request", name)
    rec.close()
    with Bag(tmp_path / "new_bag") as bag:
        assert not bag.problems
