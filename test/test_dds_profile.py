"""The Fast DDS profile every run uses (config/fastdds_localhost.xml) makes a service server wait for
its client's reply reader before replying, instead of dropping the reply after Fast DDS's 100 ms.

The client here runs with a reply reader that can never match (exclusive ownership against the
server's shared writer): the server's wait is then the profile's whole max_blocking_time, measured
as a lower bound (load can only make it longer), and the reply is reported lost, not sent."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
import warnings

import rclpy
from rclpy.context import Context
from rclpy.executors import SingleThreadedExecutor
from std_srvs.srv import Trigger

from visuotactile_grasp.ros.dds import localhost_profile

SERVICE = "/vtg_test/reply_wait"
PROFILE_WAIT_S = 2.0  # config/fastdds_localhost.xml, data_writer "service"
FAST_DDS_DEFAULT_WAIT_S = 0.1

CLIENT = textwrap.dedent(f"""
    import rclpy
    from rclpy.executors import ExternalShutdownException
    from std_srvs.srv import Trigger
    rclpy.init()
    node = rclpy.create_node("reply_wait_client")
    client = node.create_client(Trigger, "{SERVICE}")
    # Its request writer matches the server at some moment this script cannot see (its reply reader
    # never matches, so service_is_ready stays False): ask until the test ends it.
    try:
        while rclpy.ok():
            client.call_async(Trigger.Request())
            rclpy.spin_once(node, timeout_sec=0.5)
    except (KeyboardInterrupt, ExternalShutdownException):  # the test's SIGINT
        pass
    except Exception:
        # rclpy's SIGINT handler shuts the context down wherever the loop is: a spin_once already past
        # its check then fails to make its timer on the dead context. Only an error while rclpy still
        # runs is one.
        if rclpy.ok():
            raise
    finally:
        rclpy.try_shutdown()
""")


def _never_matching_client_profile(tmp_path):
    reader = ('    <data_reader profile_name="client">\n'
              '      <qos><ownership><kind>EXCLUSIVE</kind></ownership></qos>\n'
              '    </data_reader>\n  </profiles>')
    path = tmp_path / "client_profile.xml"
    path.write_text(localhost_profile().read_text().replace("  </profiles>", reader, 1))
    return path


def _stop(client: subprocess.Popen) -> str:
    """End the client (SIGINT first: Fast DDS then removes its shared-memory files) and return its output."""
    if client.poll() is None:
        client.send_signal(signal.SIGINT)
        try:
            return client.communicate(timeout=10)[0]
        except subprocess.TimeoutExpired:
            client.kill()
    return client.communicate()[0]


def test_service_reply_waits_for_the_clients_reader(ros_env, tmp_path):
    context = Context()
    rclpy.init(context=context)
    node = rclpy.create_node("reply_wait_server", context=context)
    requests = []
    node.create_service(Trigger, SERVICE, lambda _req, resp: requests.append(time.monotonic()) or resp)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    env = dict(ros_env, FASTDDS_DEFAULT_PROFILES_FILE=str(_never_matching_client_profile(tmp_path)))
    client = subprocess.Popen([sys.executable, "-c", CLIENT], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            end = time.monotonic() + 60
            while not requests and time.monotonic() < end and client.poll() is None:
                executor.spin_once(timeout_sec=0.1)  # the callback and then the reply run in here
            replied = time.monotonic()
        assert requests, f"no request arrived within 60 s; the client printed:\n{_stop(client)}"
        waited = replied - requests[0]
        assert waited >= PROFILE_WAIT_S - 0.2, (
            f"the server gave up on the reply after {waited:.2f} s: the 'service' profile is not in effect "
            f"(Fast DDS's own wait is {FAST_DDS_DEFAULT_WAIT_S} s)")
        assert any("client will not receive response" in str(w.message) for w in caught), \
            [str(w.message) for w in caught]
    finally:
        output = _stop(client)
        executor.shutdown()
        node.destroy_node()
        rclpy.try_shutdown(context=context)
    assert "Traceback" not in output, output
