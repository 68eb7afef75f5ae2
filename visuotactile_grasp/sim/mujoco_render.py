"""Offscreen rendering for the MuJoCo cell: one GL context for the cell's life, one MuJoCo render
context per model.

Why not three `mujoco.Renderer`s (Kinect colour, Kinect depth, gel depth)? Each one opens its own
GL context and render context, and a bare cell rebuilds its model for every trial. With Mesa's
software renderer (no GPU here) that cost 0.2 s a GL context, 0.1-0.3 s a render context (its
offscreen buffer was sized for 1280x960 images) and 0.15 s for the first frame of each context
(Mesa compiles its shaders per context): about 1.5 s a trial, three times the physics and the
frames together (benchmarks/sim_trials.py). Here the GL context and its compiled shaders live as
long as the cell; a new model costs one render context sized to the images actually rendered.

Images are what `mujoco.Renderer` gives: rows top-down, depth in metres along the view axis, depth
drawn with MuJoCo's segmentation colouring (every geom opaque, as the depth camera sees it).
"""
from __future__ import annotations

import os

os.environ.setdefault("MUJOCO_GL", "egl")  # no display here: MuJoCo picks its GL backend at import

import mujoco  # noqa: E402
import numpy as np  # noqa: E402

# geoms a frame can hold: the cell has a few dozen; MuJoCo's 10,000 cost 45 ms to allocate and free per model
MAX_GEOMS = 500


def _render_assets(m: mujoco.MjModel) -> tuple:
    """What MuJoCo's render context copies from a model when it is made, as far as this cell's models go:
    uploaded meshes, textures, height fields, skins and flexes, the planes' grids (their sizes and
    materials), and the settings it keeps (buffer sizes, primitive resolution, fog and shadow ranges,
    which scale with the model's extent). test_mujoco_render checks the frames against MuJoCo's own
    Renderer over both object libraries."""
    v = m.vis
    planes = np.flatnonzero(m.geom_type == mujoco.mjtGeom.mjGEOM_PLANE)  # the context keeps a grid per plane
    plane_key = tuple((tuple(m.geom_size[g]), int(m.geom_matid[g])) for g in planes)
    return (m.nmesh, m.ntex, m.nhfield, m.nskin, m.nflex, float(m.stat.extent), plane_key, m.nmat,
            v.global_.offwidth, v.global_.offheight, float(v.global_.linewidth),
            v.quality.shadowsize, v.quality.offsamples, v.quality.numslices, v.quality.numstacks,
            v.quality.numquads, float(v.map.fogstart), float(v.map.fogend), float(v.map.shadowclip),
            float(v.map.shadowscale), tuple(v.rgba.fog), tuple(v.rgba.haze))


def same_render_assets(a: mujoco.MjModel, b: mujoco.MjModel) -> bool:
    """Whether a render context made for model a should draw model b as its own would: neither has
    assets uploaded to the context (the cell's objects are built of primitives) and both have the same
    kept settings and planes. A new object then costs no new context (45 ms in software GL)."""
    ra, rb = _render_assets(a), _render_assets(b)
    return ra[:5] == rb[:5] == (0,) * 5 and ra[5:] == rb[5:]


class SceneRenderer:
    """Colour and depth frames of named cameras, for one model at a time (see `bind`).

    GL work happens in the thread that calls `render`; a context to free is only queued by `bind`
    or `release` (they may run in another thread) and freed at the next render or at `close`. The
    EGL context stays current in the thread that rendered first: render from one thread (the sim node
    and the bare cells do).
    """

    def __init__(self, max_width: int, max_height: int) -> None:
        self.max_width, self.max_height = int(max_width), int(max_height)
        self._gl = None
        self._model = None
        self._context = None
        self._scene = None
        self._stale: list = []

    def bind(self, model: mujoco.MjModel) -> None:
        """Render this model from now on (its render context is made at the next frame, unless the
        last model's context draws it exactly: see `same_render_assets`)."""
        # the offscreen buffer only as large as the largest frame drawn (its size is what a context costs)
        model.vis.global_.offwidth, model.vis.global_.offheight = self.max_width, self.max_height
        if self._model is None or not same_render_assets(self._model, model):
            self.release()
        self._model = model

    def release(self) -> None:
        if self._context is not None:
            self._stale.append(self._context)
        self._context, self._scene = None, None

    def _ready(self) -> None:
        if self._model is None:
            raise RuntimeError("SceneRenderer has no model: call bind(model) first")
        if self._gl is None:
            self._gl = mujoco.GLContext(self.max_width, self.max_height)
        self._gl.make_current()
        while self._stale:
            self._stale.pop().free()
        if self._context is None:
            m = self._model
            self._context = mujoco.MjrContext(m, mujoco.mjtFontScale.mjFONTSCALE_50)
            mujoco.mjr_setBuffer(mujoco.mjtFramebuffer.mjFB_OFFSCREEN, self._context)
            self._context.readDepthMap = mujoco.mjtDepthMap.mjDEPTH_ZEROFAR
            self._scene = mujoco.MjvScene(m, maxgeom=MAX_GEOMS)

    def render(self, data: mujoco.MjData, camera: str, width: int, height: int, depth: bool = False,
               option: mujoco.MjvOption | None = None) -> np.ndarray:
        """An RGB image (height, width, 3) uint8, or with depth=True metres (height, width) float32."""
        if width > self.max_width or height > self.max_height:
            raise ValueError(f"a {width}x{height} frame is larger than this renderer's "
                             f"{self.max_width}x{self.max_height}")
        self._ready()
        m, scene = self._model, self._scene
        cam = mujoco.MjvCamera()
        cam.type = mujoco.mjtCamera.mjCAMERA_FIXED
        cam.fixedcamid = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_CAMERA, camera)
        if cam.fixedcamid < 0:
            raise ValueError(f"the model has no camera {camera!r}")
        mujoco.mjv_updateScene(m, data, option or mujoco.MjvOption(), mujoco.MjvPerturb(), cam,
                               mujoco.mjtCatBit.mjCAT_ALL, scene)
        if scene.ngeom >= scene.maxgeom:  # MuJoCo would silently leave the rest out of the frame
            raise RuntimeError(f"the scene has more than {scene.maxgeom} geoms to draw: raise MAX_GEOMS")
        scene.flags[mujoco.mjtRndFlag.mjRND_SEGMENT] = depth
        scene.flags[mujoco.mjtRndFlag.mjRND_IDCOLOR] = depth
        rect = mujoco.MjrRect(0, 0, width, height)
        mujoco.mjr_render(rect, scene, self._context)
        if not depth:
            rgb = np.empty((height, width, 3), np.uint8)
            mujoco.mjr_readPixels(rgb, None, rect, self._context)
            return np.flipud(rgb).copy()
        z = np.empty((height, width), np.float32)
        mujoco.mjr_readPixels(None, z, rect, self._context)
        return np.flipud(self._metres(z, scene.camera[0].orthographic)).copy()

    def _metres(self, z: np.ndarray, orthographic: bool) -> np.ndarray:
        """The depth buffer (reversed Z, 1 at the near plane) in metres from the camera."""
        extent = self._model.stat.extent
        near = np.float32(self._model.vis.map.znear * extent)
        far = np.float32(self._model.vis.map.zfar * extent)
        z = z.astype(np.float64)
        if orthographic:
            return (far - z * (far - near)).astype(np.float32)
        # undo the reversed-Z perspective projection (glFrustum's terms in float32, as MuJoCo has them)
        c = np.float32(-0.5) * (-(far + near) / (far - near)) - np.float32(0.5)
        d = np.float32(-0.5) * (-(np.float32(2) * far * near) / (far - near))
        return (d / (z + c)).astype(np.float32)

    def close(self) -> None:
        self.release()
        if self._gl is not None:
            self._gl.make_current()
            while self._stale:
                self._stale.pop().free()
            self._gl.free()
            self._gl = None
        self._model = None
