"""ament_python package of the nodes, cores and tools (the interfaces are in msg/)."""
from glob import glob

from setuptools import find_packages, setup

PACKAGE = "visuotactile_grasp"

# One console script per node (ros2 run / launch_ros), plus the vtg command.
NODES = {
    "sim_cell_node": "sim_cell_node",
    "sawyer_arm_node": "sawyer_arm_node",
    "wsg50_gripper_node": "wsg50_gripper_node",
    "gelsight_node": "gelsight_node",
    "cylinder_fitter_node": "cylinder_fitter_node",
    "regrasp_planner_node": "regrasp_planner_node",
    "grasp_executive_node": "grasp_executive_node",
    "data_collector_node": "data_collector_node",
    "bag_player_node": "bag_player_node",
    "bag_recorder_node": "bag_recorder_node",
}

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(include=[PACKAGE, f"{PACKAGE}.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.launch.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml") + glob("config/*.xml")),
        *[(f"share/{PACKAGE}/{d}", glob(f"{d}/*")) for d in glob("models/*")],
    ],
    install_requires=["setuptools"],
    zip_safe=False,
    maintainer="visuotactile_grasp developers",
    maintainer_email="dev@visuotactile-grasp.invalid",
    description="Learning to grasp and regrasp from vision and touch (ROS 2).",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [f"{exe} = {PACKAGE}.nodes.{module}:main" for exe, module in NODES.items()]
        + [f"vtg = {PACKAGE}.cli:main"],
    },
)
