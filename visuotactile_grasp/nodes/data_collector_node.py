"""Data collector: the paper's self-supervised trials through the arm, gripper, GelSight and fitter nodes.

Action /data_collector/collect_trial (ExecuteGrasp: object_id, trial_id): fit the cylinder, grasp at
its centre plus a random offset with random height, yaw and force, regrasp by a random action, lift,
hold, label from the GelSight contacts, put down, and (sim) place the object back at random. The
sensor frames of each phase are written as three records (collection/trial.py) to an append-only
dataset (data/store.py) that survives the process being killed.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from sensor_msgs.msg import CameraInfo, Image
from visuotactile_grasp_msgs.msg import CylinderFit, GraspOutcome, TactileContact

from ..streams import keyed_rng
from .. import topics
from ..graph import interfaces
from ..collection.trial import NOT_RECORDED, CollectConfig, Snapshot, build_records
from ..data.store import MANIFEST, DatasetError, DatasetWriter
from ..procedure.outcome import INSPECTION_RULE, failure_reason
from ..procedure.trial import run_trial
from ..ros import qos
from ..ros.clocks import node_now
from ..ros.declared_node import DeclaredNode
from ..ros.frame_cache import FrameCache
from ..perception.depth import DEPTH_ENCODINGS, depth_to_meters
from ..perception.tactile import CONTACT_DETECTOR
from ..ros.image_conversion import image_to_numpy
from ..ros.input_checks import (COLOUR_ENCODINGS, CauseLog, Problem, checked_camera_model, cylinder_fit_problem,
                                image_problem, stamp_ahead, tactile_contact_problem)
from ..ros.node_main import run_node
from ..ros.params import declare_params
from ..settings.data_collector import PARAMS
from ..ros.robot_steps import AttemptStopped, RobotSteps, StepFailed
from ..ros.trial_cell import RosTrialCell

STREAMS = {"rgb": topics.KINECT_RGB, "depth": topics.KINECT_DEPTH,
           "gel_left": topics.gelsight("left", "image_raw"), "gel_right": topics.gelsight("right", "image_raw")}


class DataCollectorNode(RobotSteps, DeclaredNode):
    def __init__(self) -> None:
        super().__init__("data_collector", interfaces.data_collector_node())
        self.p = declare_params(self, PARAMS)
        self.config = CollectConfig.from_params(vars(self.p))  # the settings bulk collection reads too
        # an existing dataset is continued at once, with its own info (a bad one fails here, at start-up); a new
        # one is made when the Kinect's CameraInfo first gives the camera model it records (at the latest at the
        # first trial, then without it)
        self.writer: DatasetWriter | None = None
        self.camera = None
        self._writer_lock = threading.Lock()
        if self.p.dataset_dir and (Path(self.p.dataset_dir) / MANIFEST).exists():
            self.writer = DatasetWriter(self.p.dataset_dir, resume=True)
        group = ReentrantCallbackGroup()
        self.frames = FrameCache(wait=self.wait_or_stop)  # on the robot's clock, ends on a stop
        sensors = MutuallyExclusiveCallbackGroup()  # one thread for the sensor streams keeps their order
        self.bad_input = CauseLog(self.get_logger())
        for key, topic in STREAMS.items():
            encodings = DEPTH_ENCODINGS if key == "depth" else COLOUR_ENCODINGS
            self.create_subscription(Image, topic, self._checked(key, lambda m, e=encodings: image_problem(m, e)),
                                     qos.IMAGE, callback_group=sensors)
        for side in topics.SIDES:
            self.create_subscription(TactileContact, topics.gelsight(side, "contact"),
                                     self._checked(f"contact_{side}", lambda m, s=side: tactile_contact_problem(m, s)),
                                     qos.RELIABLE, callback_group=sensors)
        self.create_subscription(CylinderFit, topics.CYLINDER_FIT, self._checked("fit", cylinder_fit_problem),
                                 qos.LATCHED, callback_group=sensors)
        self.create_subscription(CameraInfo, topics.KINECT_DEPTH_INFO, self.on_camera_info, qos.IMAGE,
                                 callback_group=sensors)
        self.outcome_pub = self.create_publisher(GraspOutcome, topics.GRASP_OUTCOME, qos.RELIABLE)
        self.connect_robot_clients(group)
        self.trials_done = 0
        self.serve_trials(topics.COLLECT_TRIAL_ACTION, lambda goal_handle: self.collect(goal_handle.request), group)

    # sensing -----------------------------------------------------------------------------
    def _checked(self, key: str, check):
        """The frame cache's callback for key, for messages that pass check (msg -> Problem | None) and
        are not stamped in the far future (they would count as fresh for every wait); others are
        dropped with one error line per cause (throttled)."""
        store = self.frames.callback(key)

        def callback(msg) -> None:
            problem = check(msg) or stamp_ahead(msg.header.stamp, node_now(self))
            if problem is not None:
                self.bad_input.problem(problem, f"{key} ignored")
                return
            store(msg)
        return callback

    def snapshot(self, keys=("gel_left", "gel_right"), settle: bool = True) -> Snapshot:
        if settle:
            self.sleep_sim(self.p.settle_time)
        now = node_now(self)
        snap = Snapshot(stamp=now)
        for key in keys:
            msg = self.frames.fresh(key, now, self.p.frame_timeout)
            if msg is None:
                raise StepFailed(f"no fresh {key} frame within {self.p.frame_timeout} s (sensor down or stale)")
            setattr(snap, key, image_to_numpy(msg))
        if snap.depth is not None and snap.depth.dtype == np.uint16:
            snap.depth = depth_to_meters(snap.depth, "16UC1")
        return snap

    def tactile_label(self) -> bool:
        return all(c.in_contact for c in self.fresh_contacts(node_now(self)))

    def fresh_contacts(self, after: float) -> list:
        """Both gels' contact estimates stamped at or after `after` (StepFailed when a stream stopped)."""
        contacts = [self.frames.fresh(f"contact_{s}", after, self.p.frame_timeout) for s in topics.SIDES]
        if any(c is None for c in contacts):
            raise StepFailed("no fresh GelSight contact estimate (a GelSight stream stopped?)")
        return contacts

    # the trial -------------------------------------------------------------------------
    def collect(self, request) -> GraspOutcome:
        self.trials_done += 1
        trial_id = request.trial_id or self.trials_done
        outcome = GraspOutcome(trial_id=trial_id, object_id=request.object_id, policy="random_collection",
                               final_probability=float("nan"), label_source="tactile")
        rng = keyed_rng((self.p.seed, trial_id), "grasp_plan")
        stopped = False
        cell = RosTrialCell(self)
        try:
            obs = run_trial(cell, self.config, rng, trial_id, request.object_id)
            outcome.success, outcome.ground_truth_success = obs.success, obs.ground_truth_success
            outcome.grip_force = obs.plan.regrasp_force
            if not cell.put_down:  # the damage inspection put it down already
                self.move(np.array([0.0, 0.0, -self.config.lift_height, 0.0]), relative=True, what="put down")
            if self.p.dataset_dir:
                self._dataset().append_trial(build_records(obs))
            if not outcome.success:
                outcome.failure_reason = failure_reason(bool(obs.held), obs.damaged, obs.on_table)
        except AttemptStopped as exc:  # nothing of this trial was written: a resume runs it again
            stopped = True
            self.stopped(exc, outcome)
            outcome.failure_reason = NOT_RECORDED + outcome.failure_reason
        except (StepFailed, DatasetError) as exc:  # a step failed, or the dataset cannot be written: not recorded
            outcome.success = False
            outcome.failure_reason = NOT_RECORDED + str(exc)
            self.get_logger().warning(f"trial {trial_id} {outcome.failure_reason}")
        finally:
            if not stopped:
                if not cell.put_down:  # else the fingers are open and the arm at the observation pose
                    self.retreat()
                if self.p.reset_object:
                    self.reset_sim_object(self.reset_client)
        outcome.header.stamp = self.get_clock().now().to_msg()
        self.outcome_pub.publish(outcome)
        return outcome

    def _dataset(self) -> DatasetWriter:
        with self._writer_lock:  # the sensor thread (camera_info) and a trial's thread may both get here first
            return self._open_dataset()

    def _open_dataset(self) -> DatasetWriter:
        if self.writer is None:
            info = {"source": "graph", "seed": self.p.seed, "contact_detector": CONTACT_DETECTOR}
            # what this node decides about the labels and the data, as `vtg collect` records it (the gels
            # and objects are the cell's, a real one or the simulator's, and not this node's to say)
            if self.p.inspect_damage:
                info["inspection"] = INSPECTION_RULE
            if self.config.first_force:
                info["first_force"] = self.config.first_force
            if self.camera is not None:
                info["front_camera"] = self.camera.to_dict()
            else:
                self.get_logger().warning("no camera_info yet: a new dataset records no front camera model "
                                          "(models with the object view will refuse it)")
            self.writer = DatasetWriter(self.p.dataset_dir, resume=True, info=info)  # an existing one keeps its own
        return self.writer

    def on_camera_info(self, msg) -> None:
        camera = checked_camera_model(msg, self.p.camera_position, self.p.camera_orientation)
        if isinstance(camera, Problem):
            self.bad_input.problem(camera, "camera_info ignored")
            return
        self.camera = camera
        if self.p.dataset_dir and self.writer is None:
            try:
                self._dataset()
            except DatasetError as exc:  # a trial reports it again; the node stays up
                self.get_logger().error(f"dataset {self.p.dataset_dir}: {exc}")

    def on_shutdown(self) -> None:
        if self.writer is not None:
            self.writer.close()


def main(args=None) -> int:
    return run_node(DataCollectorNode, args)


if __name__ == "__main__":
    raise SystemExit(main())
