"""Object detection: vectorised IoU and NMS against their brute-force and plain-loop references."""

import numpy as np

from mlsheet_utils.algorithms import detection as det
from mlsheet_utils.tools.speed import SpeedPair


def make_boxes(n):
    """``n`` seeded integer boxes on a 64 x 64 raster, split in two halves."""
    g = np.random.default_rng(0)
    lo = g.integers(0, 48, (2 * n, 2))
    boxes = np.hstack([lo, lo + g.integers(0, 17, (2 * n, 2))]).astype(float)
    return boxes[:n], boxes[n:]


def make_scene(n):
    """A seeded scene with about ``n`` scored detections."""
    scene = det.detection_scene(n_objects=max(1, n // 6), per_object=5, n_false=max(1, n // 6), rng=0)
    return scene.boxes, scene.scores


PAIRS = [
    SpeedPair("4.28", "box IoU (broadcast) vs pixel counting", det.box_iou,
              lambda a, b: det.pixel_iou(a, b, 64), make_boxes, small=300, large=400),
    SpeedPair("4.28", "NMS (IoU matrix) vs plain-loop NMS",
              lambda b, s: det.nms(b, s, 0.5, 0.2), lambda b, s: np.array(det.nms_loop(b, s, 0.5, 0.2)),
              make_scene, small=24, large=600),
]
