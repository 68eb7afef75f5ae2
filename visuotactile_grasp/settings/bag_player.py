"""What the bag_player node (nodes/bag_player_node.py) declares: each parameter, typed, ranged, described
(ROS-free: the experiments and tests read the same declarations through param_files.node_params)."""
from __future__ import annotations

from . import Param

PARAMS = [
    Param("bag", "", "Path of the bag folder (with metadata.yaml) or a single .mcap/.db3 file."),
    Param("rate", 1.0, "Playback speed relative to recorded time; 0 plays as fast as possible.", (0.0, 1000.0)),
    Param("topics", [""], "Topics to play; [''] plays every topic."),
    Param("start_delay", 0.0, "Wait at least this long before playing (steady s); ordering never depends on it: "
          "the player waits for its subscribers and for the planner's answers.", (0.0, 60.0)),
    Param("subscriber_timeout", 30.0, "Wait up to this long until every played topic has a subscriber "
          "(steady s), so a slow-starting planner misses nothing.", (0.0, 600.0)),
    Param("shutdown_when_done", True, "Exit after the last message."),
    Param("request_subscribers", 1, "Play only once the plan-request topic (when played) has this many subscribers: "
          "the planner, plus any monitor that compares the answers.", (0, 100)),
    Param("decision_window", 1.0, "After a plan request, play only this much further past its inputs_after (recorded "
          "s), then wait for the answer: the planner's inputs reach it before the rest of the bag can crowd them out "
          "of its queues at full speed. At least the planner's max_input_skew.", (0.0, 60.0)),
    Param("answer_timeout", 60.0, "Longest wait for the planner's answer to a played plan request (steady s); "
          "the planner answers within its own input_timeout plus planning time.", (0.1, 3600.0)),
]
