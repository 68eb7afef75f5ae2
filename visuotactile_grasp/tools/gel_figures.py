"""vtg gels: the simulated GelSight images side by side with real and published references.

Top row: a real GelSight's no-contact frame, Taxim's rendering of a flat-ended cylinder pressed in,
and the same flat punch through our calibrated optics; then the legacy model's background and a
30 N grasp. Then one row per calibrated gel (three real sensors' tables): the background, a
cylinder grasped at 5, 20 and 40 N, the grasp lifted (the weight shears the markers) and the
fingers opened again (the gel relaxes). Writes gelsight_vs_reference.png.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..devices.wsg50.model import WSG50_STROKE

TILE = (240, 180)


def _label(img: np.ndarray, text: str) -> np.ndarray:
    tile = cv2.resize(np.ascontiguousarray(img), TILE, interpolation=cv2.INTER_AREA)
    cv2.rectangle(tile, (0, 0), (TILE[0], 16), (0, 0, 0), -1)
    cv2.putText(tile, text, (3, 12), cv2.FONT_HERSHEY_SIMPLEX, 0.38, (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def _grasp_sequence(cell, object_id: str) -> list[tuple[str, np.ndarray]]:
    from ..sim.scripted_trial import run_for

    cell.reset_object(object_id, (0.6, 0.0))
    h = cell.obj.height
    cell.gripper.start_motion("move", WSG50_STROKE, 0.3)
    cell.command_ee([0.6, 0.0, h + 0.06, 0.0])
    run_for(cell, 1.0)
    z = max(0.015, h * 0.5)
    cell.command_ee([0.6, 0.0, z, 0.0])
    run_for(cell, 1.0)
    frames = [("background", cell.render_gel("left"))]
    for force in (5.0, 20.0, 40.0):
        cell.gripper.force_limit = force
        cell.gripper.start_motion("grasp", 0.0, 0.1)
        run_for(cell, 1.0)
        frames.append((f"{force:.0f} N", cell.render_gel("left")))
    cell.command_ee([0.6, 0.0, z + 0.1, 0.0])
    run_for(cell, 1.5)
    frames.append(("lifted: weight shears markers", cell.render_gel("left")))
    cell.gripper.start_motion("move", WSG50_STROKE, 0.3)
    run_for(cell, 1.0)
    frames.append(("released", cell.render_gel("left")))
    return frames


def write_gel_figure(out_dir: Path, object_id: str = "train_000") -> Path:
    from ..sim.gel_mechanics import indentation
    from ..sim.gel_optics import DATA, GelLook, GelOptics
    from ..sim.cell import CellConfig
    from ..sim.mujoco_cell import MujocoCell
    from ..sim.mujoco_gels import GEL_SIDE_MM

    out_dir.mkdir(parents=True, exist_ok=True)
    w, h = 320, 240
    real = cv2.imread(str(DATA / "real_background_gelsight.jpg"))[..., ::-1]
    taxim = cv2.imread(str(DATA / "taxim_sim_cylinder_press.jpg"))[..., ::-1]
    v, u = np.mgrid[0:h, 0:w]
    mm = GEL_SIDE_MM / w
    # Taxim's press: a flat-ended cylinder of about a third of the image width, face-on
    punch = np.where((u - w / 2) ** 2 + (v - h / 2) ** 2 < (0.16 * w) ** 2, 0.0, np.nan)
    ours = GelOptics(w, h, mm, GelLook(calibration="gelsight"), seed=0)  # Taxim's own table, like for like
    top = [_label(real, "real GelSight, no contact"), _label(taxim, "Taxim: flat punch"),
           _label(ours.render(indentation(punch, 15.0, mm)), "ours (calibrated): flat punch")]
    legacy = MujocoCell(CellConfig(gel_model="legacy", objects="v1"), object_id=object_id)  # v1: nothing crushes
    try:
        seq = _grasp_sequence(legacy, object_id)
    finally:
        legacy.close()
    top += [_label(seq[0][1], "legacy: background"), _label(seq[3][1], "legacy: 40 N")]
    rows = [top + [np.zeros_like(top[0])]]
    for seed in (0, 1, 2):  # gel ids 0..5: the three calibrations appear among the first gels
        cell = MujocoCell(CellConfig(gel_model="calibrated", seed=seed, objects="v1"), object_id=object_id)
        try:
            look = cell.gels["left"].optics.look
            rows.append([_label(img, f"gel {cell.gels['left'].gel_id} ({look.calibration}): {name}")
                         for name, img in _grasp_sequence(cell, object_id)])
        finally:
            cell.close()
    sheet = np.concatenate([np.concatenate(r, axis=1) for r in rows], axis=0)
    path = out_dir / "gelsight_vs_reference.png"
    cv2.imwrite(str(path), sheet[..., ::-1])
    return path


def run_gels(args) -> int:
    path = write_gel_figure(Path(args.out), args.object)
    print(f"wrote {path}")
    return 0


def add_args(p) -> None:
    p.add_argument("--out", default="out/gels")
    p.add_argument("--object", default="train_000", help="the object grasped in the sequences")
