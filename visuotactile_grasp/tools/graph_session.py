"""Start a graph on this machine, watch it, drive grasp attempts through it, stop it cleanly."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from .. import topics
from ..graph import build_graph
from ..graph.lifecycle import join_domain, reserve_domain, reserve_port
from ..graph.runner import GraphRunner, clean_exit
from ..ros.dds import localhost_env


class GraphSession:
    """Context manager: the graph's processes plus an in-process monitor/driver node."""

    def __init__(self, mode: str, sim: bool = True, bag: str = "", log_dir: str | None = None,
                 domain_id: int | None = None, overrides: dict | None = None, record: str = "") -> None:
        self._locks = []
        if domain_id is None and "ROS_DOMAIN_ID" not in os.environ:
            domain_id, lock = reserve_domain()  # no other vtg run on this machine has it while we live
        else:  # the user's choice: shared with runs that chose it too, refused if a run reserved it
            lock = join_domain(domain_id if domain_id is not None else int(os.environ["ROS_DOMAIN_ID"]))
        self._locks.append(lock)
        overrides = {k: dict(v) for k, v in (overrides or {}).items()}
        if sim and mode != "replay":
            # the simulated WSG-50 listens on a port of this run's own, and the driver is told which
            self.wsg_port, lock = reserve_port()
            self._locks.append(lock)
            overrides.setdefault("sim_cell", {})["wsg_port"] = self.wsg_port
            overrides.setdefault("wsg50_gripper", {})["port"] = self.wsg_port
        self.graph = build_graph(mode, sim=sim, bag=bag, overrides=overrides, record=record)
        self.env = localhost_env(domain_id=domain_id)
        os.environ.update({k: self.env[k] for k in ("FASTDDS_DEFAULT_PROFILES_FILE", "ROS_AUTOMATIC_DISCOVERY_RANGE",
                                                    "ROS_DOMAIN_ID", "RMW_IMPLEMENTATION")})
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix=f"vtg_{mode}_"))
        ports = {"wsg50": self.wsg_port} if sim and mode != "replay" else {}
        self.runner = GraphRunner(self.graph, self.env, self.log_dir, ports=ports)
        self.exit_codes: dict[str, int] = {}

    def __enter__(self) -> GraphSession:
        import rclpy
        from rclpy.executors import SingleThreadedExecutor

        from ..graph.monitor import GraphMonitor

        rclpy.init()
        try:
            self.monitor = GraphMonitor(self.graph)
            self.executor = SingleThreadedExecutor()
            self.executor.add_node(self.monitor)
            self.runner.start()
        except BaseException:  # a node that failed to start: stop the ones that did, free what we hold
            self.runner.stop()
            rclpy.try_shutdown()
            self._release()
            raise
        if self.runner.notice:
            print(f"note: {self.runner.notice}")
        return self

    def spin_for(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=min(0.05, max(0.0, end - time.monotonic())))

    def spin_until(self, predicate, timeout_s: float) -> bool:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if predicate():
                return True
            self.executor.spin_once(timeout_sec=0.05)
            dead = self.runner.dead_required()
            if dead:
                raise RuntimeError(f"node(s) {dead} exited early:\n" +
                                   "\n".join(f"--- {n} ---\n{self.runner.log_tail(n)}" for n in dead))
        return predicate()

    # what a trial needs to have heard before it starts: the arm's state, the gels' contact estimates
    # and the depth the cylinder is fitted from (a trial sent before them fails: "no end-effector state")
    READY_STREAMS = (topics.ARM_EE_POSE, topics.KINECT_DEPTH) + tuple(topics.gelsight(s, "contact")
                                                                      for s in topics.SIDES)

    def wait_until_up(self, timeout_s: float = 60.0) -> bool:
        """Every node up and every robot stream of this graph carrying messages (a handshake on the
        data itself: a slow-starting simulator delays the first trial instead of failing it)."""
        robot = self.graph.mode in ("grasp", "collect")  # a replay's streams come when its bag plays
        streams = [t for t in self.READY_STREAMS if robot and t in self.monitor.counts]
        return self.spin_until(lambda: all(self.monitor.nodes_up().values())
                               and all(self.monitor.counts[t] > 0 for t in streams), timeout_s)

    def execute_grasp(self, object_id: str, policy: str, timeout_s: float = 180.0, trial_id: int = 0,
                      minimum_force: bool = False, episode_key=()):
        """Place object_id (sim) and run one ExecuteGrasp attempt (a collection trial in the collect
        graph); return the GraspOutcome. episode_key: the placement and gel noise keyed on it (as
        evaluation's attempt with that key; streams.attempt_key)."""
        from rclpy.action import ActionClient
        from visuotactile_grasp_msgs.action import ExecuteGrasp
        from visuotactile_grasp_msgs.srv import ResetObject

        if not hasattr(self, "_grasp_client"):
            self._action = topics.COLLECT_TRIAL_ACTION if self.graph.mode == "collect" else topics.EXECUTE_GRASP_ACTION
            self._grasp_client = ActionClient(self.monitor, ExecuteGrasp, self._action)
            self._reset_client = self.monitor.create_client(ResetObject, topics.SIM_RESET_OBJECT)
        if self.graph.sim:
            if not self._reset_client.wait_for_service(timeout_sec=10.0):
                raise RuntimeError("simulator reset service not available")
            future = self._reset_client.call_async(ResetObject.Request(object_id=object_id, random_pose=True,
                                                                       episode_key=[int(k) for k in episode_key]))
            self.spin_until(future.done, 10.0)
            if not future.done() or not future.result().success:
                why = future.result().message if future.done() else "timeout"
                raise RuntimeError(f"could not place {object_id}: {why}")
        if not self._grasp_client.wait_for_server(timeout_sec=20.0):
            raise RuntimeError(f"{self._action} action server not available")
        send = self._grasp_client.send_goal_async(ExecuteGrasp.Goal(object_id=object_id, policy=policy,
                                                                    trial_id=trial_id, minimum_force=minimum_force))
        if not self.spin_until(send.done, 20.0) or not send.result().accepted:
            raise RuntimeError("grasp goal was not accepted")
        result = send.result().get_result_async()
        if not self.spin_until(result.done, timeout_s):
            raise RuntimeError(f"grasp attempt on {object_id} did not finish in {timeout_s} s")
        return result.result().result.outcome

    def watch_decisions(self) -> tuple[dict, dict]:
        """Plan requests and the planner's GraspGoals as they cross the graph, by header key:
        (requests: key -> wall s seen, goals: key -> (goal, wall s seen)); filled while spinning."""
        from visuotactile_grasp_msgs.msg import GraspGoal, PlanRequest

        from .. import topics
        from ..ros import qos
        from ..stamps import header_key

        requests, goals = {}, {}
        # goals first: a bag player that waits for this request subscriber then finds the goal one too
        self.monitor.create_subscription(GraspGoal, topics.GRASP_GOAL,
                                         lambda g: goals.setdefault(header_key(g.header), (g, time.monotonic())),
                                         qos.ANSWERS)
        self.monitor.create_subscription(PlanRequest, topics.PLAN_REQUEST,
                                         lambda r: requests.setdefault(header_key(r.header), time.monotonic()),
                                         qos.REQUESTS)
        return requests, goals

    def __exit__(self, *exc) -> None:
        import rclpy

        self.exit_codes = self.runner.stop()
        self.monitor.destroy_node()
        rclpy.try_shutdown()
        self._release()

    def _release(self) -> None:
        for lock in self._locks:
            lock.release()

    def clean_shutdown(self) -> bool:
        return all(clean_exit(c) for c in self.exit_codes.values())
