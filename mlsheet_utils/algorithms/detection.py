r"""Single-stage object detection in the style of YOLO v1: boxes, overlap, the grid encoding, suppression, loss.

Boxes are corner boxes ``(x1, y1, x2, y2)`` in pixels with ``x1 <= x2`` and ``y1 <= y2`` unless said otherwise.

- :func:`box_iou`: pairwise intersection over union of two sets of boxes, vectorised;
- :func:`pixel_iou`: the same for integer boxes by counting the pixels of a raster (the brute-force reference);
- :func:`encode_boxes` / :func:`decode_boxes`: a box as the grid cell holding its centre, the centre's offset in
  that cell and the width and height relative to the image (a :class:`GridBoxes`), and back;
- :func:`nms`: greedy non-maximum suppression with a precomputed IoU matrix; :func:`nms_loop`: the same rule
  written as a plain double loop (the reference);
- :func:`yolo_output_size` and :func:`split_output`: the :math:`S \times S \times (5B + C)` output and its parts
  (a :class:`YoloOutput`);
- :func:`yolo_v1_loss`: the five terms of the YOLO v1 loss with the responsible predictor of each object
  (a :class:`YoloLoss`);
- :func:`detection_scene`: a seeded toy scene of true boxes and noisy scored detections (a :class:`Scene`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlsheet_utils.validation import as_array, check_float, check_int, check_random_state

__all__ = ["GridBoxes", "Scene", "YoloLoss", "YoloOutput", "box_iou", "decode_boxes", "detection_scene",
           "encode_boxes", "nms", "nms_loop", "pixel_iou", "split_output", "yolo_output_size", "yolo_v1_loss"]


def _check_boxes(boxes, name: str) -> np.ndarray:
    b = as_array(boxes, name, empty=True)       # no boxes (nothing detected, nothing kept) is a valid set
    if b.ndim == 1 and b.size == 4:
        b = b[None, :]
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must have shape (n, 4) as (x1, y1, x2, y2), got shape {b.shape}")
    if np.any(b[:, 2] < b[:, 0]) or np.any(b[:, 3] < b[:, 1]):
        raise ValueError(f"{name} must have x1 <= x2 and y1 <= y2 in every row")
    return b


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(hi - lo, 0.0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def box_iou(a, b) -> np.ndarray:
    r"""Intersection over union of every box of ``a`` with every box of ``b``.

    .. math::
        \mathrm{IoU}(A, B) = \frac{|A \cap B|}{|A| + |B| - |A \cap B|}, \qquad
        |A \cap B| = \bigl[\min(x_2, x_2') - \max(x_1, x_1')\bigr]_+ \bigl[\min(y_2, y_2') - \max(y_1, y_1')\bigr]_+

    (0 where both boxes have zero area).

    Parameters
    ----------
    a : array_like, shape (n, 4)
    b : array_like, shape (m, 4)

    Returns
    -------
    numpy.ndarray, shape (n, m), values in [0, 1]
    """
    return _iou(_check_boxes(a, "a"), _check_boxes(b, "b"))


def pixel_iou(a, b, size: int) -> np.ndarray:
    """IoU of integer boxes by counting pixels: box ``(x1, y1, x2, y2)`` covers pixels ``x1 <= u < x2``,
    ``y1 <= v < y2`` of a ``size x size`` raster.

    Parameters
    ----------
    a : array_like of int, shape (n, 4)
    b : array_like of int, shape (m, 4)
    size : int >= 1
        Every coordinate must lie in ``[0, size]``.

    Returns
    -------
    numpy.ndarray, shape (n, m)
    """
    size = check_int(size, "size", low=1)
    a, b = _check_boxes(a, "a"), _check_boxes(b, "b")
    for arr, name in ((a, "a"), (b, "b")):
        if arr.size == 0:
            continue
        if np.any(arr != np.round(arr)) or arr.min() < 0 or arr.max() > size:
            raise ValueError(f"{name} must hold integer coordinates in [0, size] = [0, {size}]")
    u = np.arange(size)

    def masks(boxes):
        inside_x = (u[None, :] >= boxes[:, 0:1]) & (u[None, :] < boxes[:, 2:3])
        inside_y = (u[None, :] >= boxes[:, 1:2]) & (u[None, :] < boxes[:, 3:4])
        return (inside_y[:, :, None] & inside_x[:, None, :]).reshape(len(boxes), -1).astype(np.int64)

    ma, mb = masks(a), masks(b)
    inter = ma @ mb.T
    union = ma.sum(1)[:, None] + mb.sum(1)[None, :] - inter
    return np.divide(inter, union, out=np.zeros(inter.shape), where=union > 0)


@dataclass(frozen=True)
class GridBoxes:
    """Boxes in YOLO's grid coordinates.

    Attributes
    ----------
    row, col : numpy.ndarray of int, shape (n,)
        The cell holding each box's centre.
    x, y : numpy.ndarray, shape (n,)
        The centre's offset inside that cell, in cell units, in [0, 1).
    w, h : numpy.ndarray, shape (n,)
        Width and height as fractions of the image side.
    """

    row: np.ndarray
    col: np.ndarray
    x: np.ndarray
    y: np.ndarray
    w: np.ndarray
    h: np.ndarray


def encode_boxes(boxes, grid_size: int, image_size: float) -> GridBoxes:
    r"""Corner boxes in a square image of side :math:`W` to grid coordinates on an :math:`S \times S` grid.

    With centre :math:`(c_x, c_y)`: :math:`s_x = c_x S / W`, column :math:`\lfloor s_x \rfloor`, offset
    :math:`x = s_x - \lfloor s_x \rfloor` (the same for rows), :math:`w = (x_2 - x_1)/W`, :math:`h = (y_2 - y_1)/W`.

    Parameters
    ----------
    boxes : array_like, shape (n, 4)
        Centres inside the image, ``0 <= c < image_size``.
    grid_size : int >= 1
    image_size : float > 0

    Returns
    -------
    GridBoxes
    """
    b = _check_boxes(boxes, "boxes")
    s = check_int(grid_size, "grid_size", low=1)
    size = check_float(image_size, "image_size", low=0, low_open=True)
    centre = (b[:, :2] + b[:, 2:]) / 2
    if centre.size and (centre.min() < 0 or centre.max() >= size):
        raise ValueError(f"boxes must have their centres in [0, image_size) = [0, {size:g}) (inside the image)")
    scaled = centre * s / size
    cell = np.floor(scaled).astype(int)
    off = scaled - cell
    wh = (b[:, 2:] - b[:, :2]) / size
    return GridBoxes(cell[:, 1], cell[:, 0], off[:, 0], off[:, 1], wh[:, 0], wh[:, 1])


def decode_boxes(grid: GridBoxes, grid_size: int, image_size: float) -> np.ndarray:
    r"""Inverse of :func:`encode_boxes`: :math:`c_x = (\text{col} + x) W / S`, width :math:`w W`.

    Parameters
    ----------
    grid : GridBoxes
    grid_size : int >= 1
    image_size : float > 0

    Returns
    -------
    numpy.ndarray, shape (n, 4), corner boxes
    """
    if not isinstance(grid, GridBoxes):
        raise ValueError(f"grid must be a GridBoxes, got {type(grid).__name__}")
    s = check_int(grid_size, "grid_size", low=1)
    size = check_float(image_size, "image_size", low=0, low_open=True)
    return _decode(np.asarray(grid.col), np.asarray(grid.row), np.asarray(grid.x), np.asarray(grid.y),
                   np.asarray(grid.w), np.asarray(grid.h), s, size)


def _decode(col, row, x, y, w, h, s, size):
    cx, cy = (col + x) * size / s, (row + y) * size / s
    half_w, half_h = w * size / 2, h * size / 2
    return np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=-1)


def nms(boxes, scores, iou_threshold: float, score_threshold: float = 0.0) -> np.ndarray:
    """Greedy non-maximum suppression.

    Drop the boxes scoring below ``score_threshold``; then, from the highest score down, keep a box and remove
    every remaining box whose IoU with it exceeds ``iou_threshold``. Ties in score go to the lower index. The
    IoU matrix is computed once; each kept box removes its neighbours in one vectorised step.

    Parameters
    ----------
    boxes : array_like, shape (n, 4), n >= 0 (no boxes: nothing is kept)
    scores : array_like, shape (n,)
    iou_threshold : float in [0, 1]
    score_threshold : float

    Returns
    -------
    numpy.ndarray of int
        Indices into ``boxes`` of the kept boxes, by decreasing score.
    """
    b = _check_boxes(boxes, "boxes")
    sc = as_array(scores, "scores", ndim=1, empty=True)
    if len(sc) != len(b):
        raise ValueError(f"scores must have one entry per row of boxes ({len(b)}), got {len(sc)}")
    thr = check_float(iou_threshold, "iou_threshold", low=0, high=1)
    score_threshold = check_float(score_threshold, "score_threshold")
    cand = np.flatnonzero(sc >= score_threshold)
    order = cand[np.argsort(-sc[cand], kind="stable")]
    iou = _iou(b[order], b[order])
    alive = np.ones(len(order), dtype=bool)
    for i in range(len(order)):
        if alive[i]:
            alive[i + 1:] &= iou[i, i + 1:] <= thr
    return order[alive]


def nms_loop(boxes, scores, iou_threshold: float, score_threshold: float = 0.0) -> list[int]:
    """The rule of :func:`nms` as a plain loop over pairs, one scalar IoU at a time (a reference).

    Parameters and returns as :func:`nms` (a list of indices).
    """
    b = _check_boxes(boxes, "boxes")
    sc = [float(s) for s in as_array(scores, "scores", ndim=1, empty=True)]
    if len(sc) != len(b):
        raise ValueError(f"scores must have one entry per row of boxes ({len(b)}), got {len(sc)}")
    iou_threshold = check_float(iou_threshold, "iou_threshold", low=0, high=1)
    score_threshold = check_float(score_threshold, "score_threshold")
    remaining = [i for i in range(len(b)) if sc[i] >= score_threshold]
    kept = []
    while remaining:
        best = remaining[0]
        for i in remaining:
            if sc[i] > sc[best]:
                best = i
        kept.append(best)
        survivors = []
        for i in remaining:
            if i == best:
                continue
            x1, y1 = max(b[i, 0], b[best, 0]), max(b[i, 1], b[best, 1])
            x2, y2 = min(b[i, 2], b[best, 2]), min(b[i, 3], b[best, 3])
            inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
            union = ((b[i, 2] - b[i, 0]) * (b[i, 3] - b[i, 1]) + (b[best, 2] - b[best, 0]) * (b[best, 3] - b[best, 1])
                     - inter)
            if (inter / union if union > 0 else 0.0) <= iou_threshold:
                survivors.append(i)
        remaining = survivors
    return kept


def yolo_output_size(grid_size: int, n_boxes: int, n_classes: int) -> int:
    r"""Length of YOLO v1's output: :math:`S \cdot S \cdot (5B + C)` (each of :math:`B` boxes has
    :math:`x, y, w, h` and a confidence; each cell has :math:`C` class probabilities)."""
    s = check_int(grid_size, "grid_size", low=1)
    b = check_int(n_boxes, "n_boxes", low=1)
    c = check_int(n_classes, "n_classes", low=1)
    return s * s * (5 * b + c)


@dataclass(frozen=True)
class YoloOutput:
    """YOLO v1's output tensor split into its parts.

    Attributes
    ----------
    boxes : numpy.ndarray, shape (S, S, B, 4)
        Per cell and predictor: ``x, y`` (offset in the cell) and ``w, h`` (relative to the image).
    confidence : numpy.ndarray, shape (S, S, B)
    class_probs : numpy.ndarray, shape (S, S, C)
    """

    boxes: np.ndarray
    confidence: np.ndarray
    class_probs: np.ndarray


def split_output(output, grid_size: int, n_boxes: int, n_classes: int) -> YoloOutput:
    r"""Read a flat (or :math:`S \times S \times (5B + C)`) output: per cell, :math:`B` blocks of
    ``(x, y, w, h, confidence)`` followed by :math:`C` class probabilities.

    Parameters
    ----------
    output : array_like, S * S * (5B + C) values
    grid_size, n_boxes, n_classes : int >= 1

    Returns
    -------
    YoloOutput
    """
    size = yolo_output_size(grid_size, n_boxes, n_classes)
    out = as_array(output, "output")
    if out.size != size:
        raise ValueError(f"output must hold S*S*(5B+C) = {size} values, got {out.size}")
    s, b = grid_size, n_boxes
    cells = out.reshape(s, s, 5 * b + n_classes)
    per_box = cells[..., :5 * b].reshape(s, s, b, 5)
    return YoloOutput(per_box[..., :4], per_box[..., 4], cells[..., 5 * b:])


@dataclass(frozen=True)
class YoloLoss:
    r"""The YOLO v1 loss of one image, term by term.

    Attributes
    ----------
    coord_xy, coord_wh : float
        :math:`\lambda_{coord}` times the squared errors of the centres and of the square roots of the sizes,
        over the responsible predictors.
    conf_obj : float
        Squared error of the responsible predictors' confidences against their IoU with the true box.
    conf_noobj : float
        :math:`\lambda_{noobj}` times the squared confidences of every other predictor.
    classes : float
        Squared error of the class probabilities in the cells that hold an object.
    total : float
    responsible : numpy.ndarray of bool, shape (S, S, B)
        :math:`\mathbb 1^{obj}_{ij}`: predictor ``j`` of cell ``i`` is the one with the highest IoU with the
        object whose centre is in that cell.
    """

    coord_xy: float
    coord_wh: float
    conf_obj: float
    conf_noobj: float
    classes: float
    total: float
    responsible: np.ndarray


def yolo_v1_loss(output, boxes, labels, *, grid_size: int, n_boxes: int, n_classes: int, image_size: float,
                 lambda_coord: float = 5.0, lambda_noobj: float = 0.5) -> YoloLoss:
    r"""The YOLO v1 loss (Redmon et al. 2016) of one image.

    .. math::
        \mathcal L = \lambda_{coord} \sum_{i,j} \mathbb 1^{obj}_{ij}\bigl[(x_i - \hat x_{ij})^2 + (y_i - \hat y_{ij})^2
        + (\sqrt{w_i} - \sqrt{\hat w_{ij}})^2 + (\sqrt{h_i} - \sqrt{\hat h_{ij}})^2\bigr]
        + \sum_{i,j} \mathbb 1^{obj}_{ij} (C_{ij} - \hat C_{ij})^2
        + \lambda_{noobj} \sum_{i,j} (1 - \mathbb 1^{obj}_{ij}) \hat C_{ij}^2
        + \sum_i \mathbb 1^{obj}_i \sum_c (p_i(c) - \hat p_i(c))^2

    over the :math:`S^2` cells :math:`i` and :math:`B` predictors :math:`j`. An object belongs to the cell holding
    its centre (:math:`\mathbb 1^{obj}_i`); of that cell's :math:`B` predicted boxes, the one with the highest IoU
    with it is responsible (:math:`\mathbb 1^{obj}_{ij}`, ties to the lower :math:`j`), and its confidence target
    :math:`C_{ij}` is that IoU. Every other predictor, in every cell, is pushed towards confidence 0.

    Parameters
    ----------
    output : array_like, S * S * (5B + C) values (see :func:`split_output`); predicted ``w, h`` must be >= 0
    boxes : array_like, shape (n, 4)
        True corner boxes, at most one centre per cell.
    labels : array_like of int, shape (n,)
    grid_size, n_boxes, n_classes : int >= 1
    image_size : float > 0
    lambda_coord, lambda_noobj : float >= 0

    Returns
    -------
    YoloLoss
    """
    pred = split_output(output, grid_size, n_boxes, n_classes)
    truth = encode_boxes(boxes, grid_size, image_size)
    y = np.asarray(labels)
    if not np.issubdtype(y.dtype, np.integer) or y.shape != truth.x.shape or (y.size and (y.min() < 0 or
                                                                                            y.max() >= n_classes)):
        raise ValueError(f"labels must be {len(truth.x)} integers (one per row of boxes) in [0, {n_classes - 1}]")
    lam_c = check_float(lambda_coord, "lambda_coord", low=0)
    lam_n = check_float(lambda_noobj, "lambda_noobj", low=0)
    if pred.boxes[..., 2:].min() < 0:
        raise ValueError("output must have non-negative predicted widths and heights (their square roots are taken)")
    cells = truth.row * grid_size + truth.col
    if len(np.unique(cells)) != len(cells):
        raise ValueError("boxes must have at most one centre per grid cell (YOLO v1 assigns one object per cell)")
    s, size = grid_size, float(image_size)
    true_boxes = _check_boxes(boxes, "boxes")
    pb = pred.boxes[truth.row, truth.col]                                   # (n, B, 4)
    cand = _decode(truth.col[:, None], truth.row[:, None], pb[..., 0], pb[..., 1], pb[..., 2], pb[..., 3], s, size)
    ious = np.array([_iou(true_boxes[k:k + 1], cand[k])[0] for k in range(len(cells))]).reshape(len(cells), -1)
    best = np.argmax(ious, axis=1)
    responsible = np.zeros(pred.confidence.shape, dtype=bool)
    responsible[truth.row, truth.col, best] = True
    k = np.arange(len(cells))
    chosen = pb[k, best]                                                    # (n, 4)
    coord_xy = lam_c * float(np.sum((truth.x - chosen[:, 0]) ** 2 + (truth.y - chosen[:, 1]) ** 2))
    coord_wh = lam_c * float(np.sum((np.sqrt(truth.w) - np.sqrt(chosen[:, 2])) ** 2
                                    + (np.sqrt(truth.h) - np.sqrt(chosen[:, 3])) ** 2))
    conf_obj = float(np.sum((ious[k, best] - pred.confidence[truth.row, truth.col, best]) ** 2))
    conf_noobj = lam_n * float(np.sum(pred.confidence[~responsible] ** 2))
    onehot = np.eye(n_classes)[y]
    classes = float(np.sum((onehot - pred.class_probs[truth.row, truth.col]) ** 2))
    total = coord_xy + coord_wh + conf_obj + conf_noobj + classes
    return YoloLoss(coord_xy, coord_wh, conf_obj, conf_noobj, classes, total, responsible)


@dataclass(frozen=True)
class Scene:
    """A toy detection problem.

    Attributes
    ----------
    true_boxes : numpy.ndarray, shape (k, 4)
    boxes : numpy.ndarray, shape (n, 4)
        Detections: several jittered copies of each true box, then a few random false positives.
    scores : numpy.ndarray, shape (n,)
    source : numpy.ndarray of int, shape (n,)
        The true box each detection was drawn around (-1 for a false positive).
    """

    true_boxes: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    source: np.ndarray


def detection_scene(n_objects: int = 4, per_object: int = 5, n_false: int = 3, *, image_size: float = 100.0,
                    jitter: float = 0.12, rng=0) -> Scene:
    """Draw a scene: ``n_objects`` true boxes, ``per_object`` noisy detections around each, ``n_false`` strays.

    A detection moves each side of its box by a normal error of ``jitter`` times the box size and scores higher
    the closer it is (score = IoU with its box times a uniform factor in [0.8, 1]); a stray scores in [0, 0.5].

    Parameters
    ----------
    n_objects, per_object : int >= 1
    n_false : int >= 0
    image_size : float > 0
    jitter : float >= 0
    rng : int or numpy.random.Generator

    Returns
    -------
    Scene
    """
    n_objects = check_int(n_objects, "n_objects", low=1)
    per_object = check_int(per_object, "per_object", low=1)
    n_false = check_int(n_false, "n_false", low=0)
    size = check_float(image_size, "image_size", low=0, low_open=True)
    jitter = check_float(jitter, "jitter", low=0)
    g = check_random_state(rng)
    wh = g.uniform(0.15, 0.35, (n_objects, 2)) * size
    lo = g.uniform(0, 1, (n_objects, 2)) * (size - wh)
    true = np.hstack([lo, lo + wh])
    src = np.repeat(np.arange(n_objects), per_object)
    noise = g.normal(0, jitter, (len(src), 4)) * np.tile(wh[src], 2)
    det = true[src] + noise
    det = np.hstack([np.minimum(det[:, :2], det[:, 2:]), np.maximum(det[:, :2], det[:, 2:])])
    det = np.clip(det, 0, size)
    scores = _iou(det, true)[np.arange(len(src)), src] * g.uniform(0.8, 1.0, len(src))
    fwh = g.uniform(0.1, 0.3, (n_false, 2)) * size
    flo = g.uniform(0, 1, (n_false, 2)) * (size - fwh)
    det = np.vstack([det, np.hstack([flo, flo + fwh])])
    scores = np.concatenate([scores, g.uniform(0, 0.5, n_false)])
    return Scene(true, det, scores, np.concatenate([src, -np.ones(n_false, dtype=int)]))
