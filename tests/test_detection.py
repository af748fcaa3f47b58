"""IoU, grid encoding, NMS and the YOLO v1 loss against brute-force references written here."""

import numpy as np
import pytest

from mlsheet_utils.algorithms import detection as det


def _random_int_boxes(g, n, size, max_side):
    lo = g.integers(0, size - max_side, (n, 2))
    return np.hstack([lo, lo + g.integers(0, max_side + 1, (n, 2))]).astype(float)


def _raster_iou(a, b, size):
    ma, mb = np.zeros((size, size), bool), np.zeros((size, size), bool)
    ma[int(a[1]):int(a[3]), int(a[0]):int(a[2])] = True
    mb[int(b[1]):int(b[3]), int(b[0]):int(b[2])] = True
    union = (ma | mb).sum()
    return (ma & mb).sum() / union if union else 0.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_box_iou_and_pixel_iou_match_rasters(seed):
    g = np.random.default_rng(seed)
    a, b = _random_int_boxes(g, 7, 32, 12), _random_int_boxes(g, 5, 32, 12)
    ref = np.array([[_raster_iou(x, y, 32) for y in b] for x in a])
    np.testing.assert_allclose(det.box_iou(a, b), ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(det.pixel_iou(a, b, 32), ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_encode_decode_round_trip_and_cells(seed):
    g = np.random.default_rng(seed)
    boxes = _random_int_boxes(g, 200, 448, 60)
    grid = det.encode_boxes(boxes, 7, 448)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    np.testing.assert_array_equal(grid.col, np.floor(centre[:, 0] / 64).astype(int))
    np.testing.assert_array_equal(grid.row, np.floor(centre[:, 1] / 64).astype(int))
    np.testing.assert_allclose(grid.x, centre[:, 0] / 64 - grid.col, atol=1e-14)
    np.testing.assert_allclose(grid.w, (boxes[:, 2] - boxes[:, 0]) / 448, rtol=1e-15)
    np.testing.assert_allclose(det.decode_boxes(grid, 7, 448), boxes, rtol=1e-15, atol=1e-12)


def _greedy(boxes, scores, thr, score_thr):
    idx = [i for i in np.argsort(-scores, kind="stable") if scores[i] >= score_thr]
    kept = []
    for i in idx:
        if all(_raster_iou(boxes[i], boxes[k], 64) <= thr for k in kept):
            kept.append(i)
    return kept


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_nms_matches_greedy_reference(seed):
    g = np.random.default_rng(seed)
    boxes = _random_int_boxes(g, 25, 64, 20)
    scores = g.permutation(25) / 25.0                      # distinct scores: the order is unambiguous
    for thr in (0.0, 0.2, 0.5, 0.8):
        ref = _greedy(boxes, scores, thr, 0.3)
        assert list(det.nms(boxes, scores, thr, 0.3)) == ref
        assert det.nms_loop(boxes, scores, thr, 0.3) == ref


def test_yolo_loss_single_object_by_hand():
    s, b, c, side = 2, 2, 3, 100.0
    truth = np.array([[10.0, 10.0, 40.0, 30.0]])          # centre (25, 20): cell (0, 0), offsets (0.5, 0.4)
    out = np.zeros((s, s, 5 * b + c))
    out[0, 0, :5] = [0.5, 0.4, 0.3, 0.2, 0.7]             # exact box, confidence 0.7
    out[0, 0, 5:10] = [0.1, 0.1, 0.1, 0.1, 0.2]
    out[0, 0, 10:] = [0.1, 0.8, 0.1]
    out[1, 1, 4] = 0.4
    res = det.yolo_v1_loss(out.ravel(), truth, np.array([1]), grid_size=s, n_boxes=b, n_classes=c, image_size=side,
                           lambda_coord=5.0, lambda_noobj=0.5)
    assert res.responsible[0, 0].tolist() == [True, False] and res.responsible.sum() == 1
    np.testing.assert_allclose([res.coord_xy, res.coord_wh], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(res.conf_obj, (1.0 - 0.7) ** 2, rtol=1e-12)
    np.testing.assert_allclose(res.conf_noobj, 0.5 * (0.2**2 + 0.4**2), rtol=1e-12)
    np.testing.assert_allclose(res.classes, 0.1**2 + 0.2**2 + 0.1**2, rtol=1e-12)
    assert det.yolo_output_size(7, 2, 20) == 1470


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="x1 <= x2"):
        det.box_iou([[2.0, 0.0, 1.0, 1.0]], [[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="shape"):
        det.box_iou(np.zeros((2, 3)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="iou_threshold"):
        det.nms([[0.0, 0.0, 1.0, 1.0]], [0.5], 1.5)
    with pytest.raises(ValueError, match="scores"):
        det.nms([[0.0, 0.0, 1.0, 1.0]], [0.5, 0.2], 0.5)
    with pytest.raises(ValueError, match="centres"):
        det.encode_boxes([[440.0, 440.0, 460.0, 460.0]], 7, 448)
    with pytest.raises(ValueError, match="output"):
        det.split_output(np.zeros(10), 7, 2, 20)
    with pytest.raises(ValueError, match="one centre per grid cell"):
        det.yolo_v1_loss(np.full(7 * 7 * 30, 0.1), [[0, 0, 10, 10], [2, 2, 12, 12]], np.array([0, 1]),
                         grid_size=7, n_boxes=2, n_classes=20, image_size=448)
    with pytest.raises(ValueError, match="integer coordinates"):
        det.pixel_iou([[0.5, 0, 1, 1]], [[0, 0, 1, 1]], 4)
