"""MJCF of the cell: table, Kinect-like camera, a Cartesian wrist with a WSG-50-like parallel
gripper carrying two GelSight pads (each with an orthographic depth camera behind the gel), and
one object built from its ObjectSpec.

Geom groups: 0 table and robot, 1 the object (what the gel cameras see), 2 the pads.
"""
from __future__ import annotations

import numpy as np

from ..devices.wsg50.model import WSG50_STROKE
from .camera import look_at
from .objects import ObjectSpec

PAD_HALF = (0.009, 0.004, 0.012)  # x (along the gripper), y (thickness), z (height): an 18 x 24 mm pad
GEL_CAMERA_BEHIND = 0.004  # the gel camera sits this far behind the pad surface, inside the pad
# The gel camera images exactly the 24 x 18 mm sensing area as a landscape 4:3 picture: image
# columns run along the pad's height (24 mm), rows along its width (18 mm), like the sensor's webcam.
GEL_VIEW_HEIGHT = 0.018
STROKE = WSG50_STROKE  # the fingers' travel: the WSG-50's
TIMESTEP = 0.002


def _v(values) -> str:
    return " ".join(f"{float(v):.6g}" for v in values)


def camera_xyaxes(eye, target) -> str:
    """MuJoCo camera axes (x right, y up; it looks along -z) from a look-at."""
    R = look_at(np.asarray(eye, float), np.asarray(target, float))
    return _v(np.concatenate([R[:, 0], -R[:, 1]]))


def object_body(spec: ObjectSpec) -> str:
    r, h = spec.radius, spec.height
    rgba = _v((*spec.color, 1.0))
    soft = 0.002 + 0.03 * spec.compliance  # contact time constant: compliant objects give way
    common = (f'group="1" rgba="{rgba}" friction="{spec.friction:.4g} 0.01 0.0005" condim="6" '
              f'solref="{soft:.4g} 1" solimp="0.9 0.97 0.001"')
    s = spec.shape
    if s == "cylinder":
        geoms = [f'<geom type="cylinder" size="{r:.5g} {h / 2:.5g}" pos="0 0 {h / 2:.5g}" {common}/>']
    elif s == "box":
        geoms = [f'<geom type="box" size="{r * 0.8:.5g} {r * 0.8 * spec.aspect:.5g} {h / 2:.5g}" '
                 f'pos="0 0 {h / 2:.5g}" {common}/>']
    elif s == "sphere":
        geoms = [f'<geom type="sphere" size="{r:.5g}" pos="0 0 {r:.5g}" {common}/>']
    elif s == "capsule":
        half = max(h / 2 - r, 0.001)
        geoms = [f'<geom type="capsule" size="{r:.5g} {half:.5g}" pos="0 0 {half + r:.5g}" {common}/>']
    elif s == "bottle":  # a body and a narrow neck
        body_h = 0.65 * h
        geoms = [f'<geom type="cylinder" size="{r:.5g} {body_h / 2:.5g}" pos="0 0 {body_h / 2:.5g}" {common}/>',
                 f'<geom type="cylinder" size="{r * 0.45:.5g} {(h - body_h) / 2:.5g}" '
                 f'pos="0 0 {body_h + (h - body_h) / 2:.5g}" {common}/>']
    elif s == "irregular":  # a cylinder with an off-axis lobe
        lobe = r * 0.6 * spec.aspect
        geoms = [f'<geom type="cylinder" size="{r * 0.75:.5g} {h / 2:.5g}" pos="0 0 {h / 2:.5g}" {common}/>',
                 f'<geom type="box" size="{lobe:.5g} {lobe:.5g} {h * 0.3:.5g}" '
                 f'pos="{r * 0.5:.5g} 0 {h * 0.55:.5g}" euler="0 0 0.5" {common}/>']
    else:
        raise ValueError(f"unknown shape {s!r}")
    inertia = spec.mass * (r * r) / 2
    return (f'<body name="object" pos="0.6 0 0.001"><freejoint name="object"/>'
            f'<inertial pos="0 0 {spec.com_height:.5g}" mass="{spec.mass:.5g}" '
            f'diaginertia="{inertia:.4g} {inertia:.4g} {inertia:.4g}"/>{"".join(geoms)}</body>')


def build_cell_xml(spec: ObjectSpec, camera_eye, camera_target, camera_fovy_deg: float,
                   pad_friction: float = 1.0) -> str:
    px, py, pz = PAD_HALF
    pad = (f'type="box" size="{_v(PAD_HALF)}" group="2" rgba="0.85 0.85 0.8 1" condim="6" '
           f'friction="{pad_friction} 0.02 0.001" solref="0.004 1" solimp="0.9 0.97 0.001"')
    link = ('type="box" size="0.009 0.004 0.03" group="0" contype="0" conaffinity="0" '
            'rgba="0.3 0.3 0.35 1"')
    # Each finger body's origin is its pad's inner surface, so the joint value is half the opening.
    return f"""
<mujoco model="visuotactile_cell">
  <option timestep="{TIMESTEP}" cone="elliptic" impratio="10" integrator="implicitfast"/>
  <!-- znear is a fraction of the model extent: the gel cameras sit 4 mm behind the gel -->
  <visual>
    <global offwidth="1280" offheight="960"/>
    <quality shadowsize="0" numslices="96" numstacks="64"/>
    <map znear="0.0002"/>
  </visual>
  <worldbody>
    <light pos="0.6 0.3 1.5" dir="0 -0.2 -1" diffuse="0.8 0.8 0.8"/>
    <light pos="1.2 -0.5 1.2" dir="-0.5 0.4 -1" diffuse="0.4 0.4 0.4"/>
    <geom name="floor" type="plane" size="3 3 0.1" pos="0 0 -0.75" rgba="0.25 0.25 0.28 1" group="0"/>
    <geom name="table" type="box" size="0.375 0.45 0.02" pos="0.625 0 -0.02" rgba="0.55 0.5 0.45 1"
          friction="0.6 0.01 0.001" group="0"/>
    <camera name="kinect" pos="{_v(camera_eye)}" xyaxes="{camera_xyaxes(camera_eye, camera_target)}"
            fovy="{camera_fovy_deg:.6g}"/>
    <!-- The wrist target is a mocap body; the hand is a dynamic body welded to it, so the pads
         move with real velocities and friction can carry the object (a teleported mocap pad cannot). -->
    <body name="wrist_target" mocap="true" pos="0.6 0 0.35"/>
    <body name="hand" pos="0.6 0 0.35" gravcomp="1">
      <freejoint name="hand"/>
      <inertial pos="0 0 0.08" mass="1.0" diaginertia="0.004 0.004 0.004"/>
      <geom type="box" size="0.02 0.07 0.012" pos="0 0 0.084" group="0" contype="0" conaffinity="0"
            rgba="0.3 0.3 0.35 1"/>
      <body name="finger_left" pos="0 0 0" gravcomp="1">
        <joint name="finger_left" type="slide" axis="0 1 0" range="0 {STROKE / 2}" damping="5" armature="0.01"/>
        <geom name="pad_left" {pad} pos="0 {py} 0" mass="0.05"/>
        <geom {link} pos="0 {py} 0.042"/>
        <camera name="gel_left" projection="orthographic" fovy="{GEL_VIEW_HEIGHT}" pos="0 {GEL_CAMERA_BEHIND} 0"
                xyaxes="0 0 1 1 0 0"/>
      </body>
      <body name="finger_right" pos="0 0 0" gravcomp="1">
        <joint name="finger_right" type="slide" axis="0 -1 0" range="0 {STROKE / 2}" damping="5" armature="0.01"/>
        <geom name="pad_right" {pad} pos="0 {-py} 0" mass="0.05"/>
        <geom {link} pos="0 {-py} 0.042"/>
        <camera name="gel_right" projection="orthographic" fovy="{GEL_VIEW_HEIGHT}" pos="0 {-GEL_CAMERA_BEHIND} 0"
                xyaxes="0 0 1 -1 0 0"/>
      </body>
    </body>
    {object_body(spec)}
  </worldbody>
  <equality>
    <weld body1="wrist_target" body2="hand" solref="0.004 1" solimp="0.95 0.99 0.001"/>
  </equality>
  <actuator>
    <motor name="finger_left" joint="finger_left" ctrlrange="-100 100"/>
    <motor name="finger_right" joint="finger_right" ctrlrange="-100 100"/>
  </actuator>
</mujoco>"""
