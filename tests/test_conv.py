"""Convolutional layers against SciPy, JAX, scikit-learn and finite differences."""

import numpy as np
import pytest
from scipy.signal import correlate2d
from sklearn.metrics import f1_score, jaccard_score

from mlsheet_utils.algorithms.nn import conv, layers
from mlsheet_utils.checks.layers import check_layer

GEOMETRIES = [(3, 1, 0, 1), (3, 1, 1, 1), (3, 2, 1, 1), (2, 2, 0, 1), (3, 1, 2, 2), (5, 3, 2, 1), (1, 1, 0, 1)]


def _jax():
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def scipy_conv(x, W, s, p, d):
    """Sum over input channels of SciPy's valid correlation of the padded input with the dilated kernel."""
    k = W.shape[0]
    Wd = np.zeros((d * (k - 1) + 1,) * 2 + W.shape[2:])
    Wd[::d, ::d] = W
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    return np.stack([[sum(correlate2d(xp[n, :, :, c], Wd[:, :, c, o], mode="valid") for c in range(x.shape[3]))
                      [::s, ::s] for o in range(W.shape[3])] for n in range(len(x))]).transpose(0, 2, 3, 1)


@pytest.mark.parametrize("k, s, p, d", GEOMETRIES)
def test_conv2d_matches_scipy(k, s, p, d):
    g = np.random.default_rng(k * 100 + s * 10 + p + d)
    x, W, b = g.standard_normal((2, 9, 8, 3)), g.standard_normal((k, k, 3, 2)), g.standard_normal(2)
    np.testing.assert_allclose(conv.conv2d(x, W, b, stride=s, padding=p, dilation=d),
                               scipy_conv(x, W, s, p, d) + b, rtol=1e-12, atol=1e-12)


def test_output_size_matches_scipy_shapes():
    for n in range(1, 11):
        for k, s, p, d in [(k, s, p, d) for k in range(1, 5) for s in (1, 2, 3) for p in (0, 1, 2) for d in (1, 2)]:
            if d * (k - 1) + 1 > n + 2 * p:
                with pytest.raises(ValueError, match="no window fits"):
                    conv.conv_output_size(n, k, s, p, d)
                continue
            expected = scipy_conv(np.zeros((1, n, n, 1)), np.zeros((k, k, 1, 1)), s, p, d).shape[1]
            assert conv.conv_output_size(n, k, s, p, d) == expected


@pytest.mark.parametrize("k, s, p, d", GEOMETRIES)
def test_conv_layer_gradients_against_jax(k, s, p, d):
    jax = _jax()
    layer = conv.Conv2D(2, 3, k, stride=s, padding=p, dilation=d)
    g = np.random.default_rng(7)
    params = {"W": g.standard_normal((k, k, 2, 3)), "b": g.standard_normal(3)}

    def reference(x, prm):
        return jax.lax.conv_general_dilated(x, prm["W"], (s, s), [(p, p)] * 2, rhs_dilation=(d, d),
                                            dimension_numbers=("NHWC", "HWIO", "NHWC")) + prm["b"]
    check_layer(layer, params, g.standard_normal((2, 7, 6, 2)), reference=reference, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("k, s, p, a", [(2, 2, 0, 0), (3, 2, 1, 1), (4, 2, 1, 0), (3, 1, 1, 0), (3, 3, 0, 2)])
def test_conv_transpose_is_the_input_gradient_of_a_convolution(k, s, p, a):
    jax = _jax()
    g = np.random.default_rng(k + 10 * s)
    layer = conv.ConvTranspose2D(3, 2, k, stride=s, padding=p, output_padding=a)
    W, x = g.standard_normal((k, k, 3, 2)), g.standard_normal((2, 4, 5, 3))
    y = layer.forward(x, {"W": W, "b": np.zeros(2)})[0]
    assert y.shape[1:3] == (conv.conv_transpose_output_size(4, k, s, p, 1, a),
                            conv.conv_transpose_output_size(5, k, s, p, 1, a))

    def forward_conv(z):                       # the convolution this layer transposes: 2 -> 3 channels
        return jax.lax.conv_general_dilated(z, W.transpose(0, 1, 3, 2), (s, s), [(p, p)] * 2,
                                            dimension_numbers=("NHWC", "HWIO", "NHWC"))
    _, pull = jax.vjp(forward_conv, np.zeros(y.shape))
    np.testing.assert_allclose(y, np.asarray(pull(x)[0]), rtol=1e-12, atol=1e-12)
    check_layer(layer, {"W": W, "b": g.standard_normal(2)}, x, reference=False, rtol=1e-5, atol=1e-7)


def test_pooling_against_reshapes_and_finite_differences():
    g = np.random.default_rng(3)
    x = g.standard_normal((2, 6, 8, 3))
    blocks = x.reshape(2, 3, 2, 4, 2, 3)
    np.testing.assert_array_equal(conv.MaxPool2D(2).forward(x, {})[0], blocks.max(axis=(2, 4)))
    np.testing.assert_allclose(conv.AvgPool2D(2).forward(x, {})[0], blocks.mean(axis=(2, 4)), rtol=1e-14)
    for pool in (conv.MaxPool2D(3, 2), conv.AvgPool2D(3, 1), conv.Upsample2D(2), conv.Flatten()):
        check_layer(pool, {}, x[:, :5, :5], reference=False, rtol=1e-5, atol=1e-7)
    up = conv.Upsample2D(3).forward(x, {})[0]
    np.testing.assert_array_equal(up, np.kron(x.transpose(0, 3, 1, 2), np.ones((3, 3))).transpose(0, 2, 3, 1))


@pytest.mark.parametrize("skip", [True, False])
def test_unet_gradients_against_finite_differences(skip):
    g = np.random.default_rng(5)
    model = conv.UNet(2, 2, width=2, skip=skip)
    params = {name: {"W": q["W"], "b": g.standard_normal(q["b"].shape)} for name, q in model.init_params(1).items()}
    check_layer(model, params, g.standard_normal((1, 4, 4, 2)), reference=False, rtol=1e-5, atol=1e-7)
    assert model.forward(np.zeros((3, 8, 6, 2)), params)[0].shape == (3, 8, 6, 2)


def test_im2col_col2im_are_adjoint():
    g = np.random.default_rng(11)
    x = g.standard_normal((2, 7, 9, 3))
    cols = conv.im2col(x, 3, stride=2, padding=1, dilation=2)
    C = g.standard_normal(cols.shape)
    np.testing.assert_allclose(np.sum(cols * C), np.sum(x * conv.col2im(C, x.shape, 3, 2, 1, 2)), rtol=1e-12)


def test_receptive_field_matches_the_gradient_support():
    kernels, strides, dilations = [3, 2, 3, 3], [1, 2, 2, 1], [1, 1, 1, 2]
    stack = layers.Sequential(conv.Conv2D(1, 1, 3), conv.AvgPool2D(2), conv.Conv2D(1, 1, 3, stride=2),
                              conv.Conv2D(1, 1, 3, dilation=2))
    params = [{k: np.ones_like(v) for k, v in q.items()} for q in stack.init_params(0)]
    y, cache = stack.forward(np.ones((1, 40, 40, 1)), params)
    dy = np.zeros_like(y)
    dy[0, y.shape[1] // 2, y.shape[2] // 2, 0] = 1.0
    rows = np.flatnonzero(stack.backward(dy, cache)[0][0, :, :, 0].any(axis=1))
    rf = conv.receptive_field(kernels, strides, dilations)
    assert rows.size == rf.size[-1] == np.ptp(rows) + 1
    assert conv.receptive_field([3] * 5).size.tolist() == [3, 5, 7, 9, 11]


def test_param_count_matches_the_layer():
    for c_in, c_out, k in [(3, 64, 3), (1, 8, 5), (16, 4, 1)]:
        params = conv.Conv2D(c_in, c_out, k).init_params(0)
        assert sum(v.size for v in params.values()) == conv.conv_param_count(c_in, c_out, k)
    assert conv.conv_param_count(3, 64, 3, bias=False) == 27 * 64


def test_mask_overlap_matches_sklearn():
    g = np.random.default_rng(2)
    pred, truth = g.random((5, 6, 6)) < 0.4, g.random((5, 6, 6)) < 0.3
    ov = conv.mask_overlap(pred, truth)
    np.testing.assert_allclose(ov.iou, [jaccard_score(t.ravel(), p.ravel()) for p, t in zip(pred, truth)])
    np.testing.assert_allclose(ov.dice, [f1_score(t.ravel(), p.ravel()) for p, t in zip(pred, truth)])
    empty = conv.mask_overlap(np.zeros((1, 4, 4), bool), np.zeros((1, 4, 4), bool))
    assert empty.iou[0] == empty.dice[0] == empty.accuracy[0] == 1.0


def test_shapes_segmentation():
    images, masks = conv.shapes_segmentation(6, 12, noise=0.0, rng=0)
    assert images.shape == masks.shape == (6, 12, 12, 1) and masks.dtype == bool
    np.testing.assert_array_equal(images, masks.astype(float))
    assert masks.sum(axis=(1, 2, 3)).min() > 0
    again = conv.shapes_segmentation(6, 12, rng=0)[0]
    np.testing.assert_array_equal(again, conv.shapes_segmentation(6, 12, rng=0)[0])


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="stride"):
        conv.conv_output_size(8, 3, stride=0)
    with pytest.raises(ValueError, match="output_padding"):
        conv.conv_transpose_output_size(4, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="x must have shape"):
        conv.Conv2D(3, 4).forward(np.zeros((2, 8, 8, 2)), conv.Conv2D(3, 4).init_params(0))
    with pytest.raises(ValueError, match="too small"):
        conv.Conv2D(1, 1, 5).forward(np.zeros((1, 3, 3, 1)), conv.Conv2D(1, 1, 5).init_params(0))
    with pytest.raises(ValueError, match="W must have shape"):
        conv.conv2d(np.zeros((1, 5, 5, 1)), np.zeros((3, 2, 1, 1)))
    with pytest.raises(ValueError, match="even height"):
        conv.UNet().forward(np.zeros((1, 5, 6, 1)), conv.UNet().init_params(0))
    with pytest.raises(ValueError, match="binary"):
        conv.mask_overlap(np.full((1, 2, 2), 0.5), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="radius"):
        conv.shapes_segmentation(2, 8, radius=(1.0, 5.0))
    with pytest.raises(ValueError, match="kernel_sizes"):
        conv.receptive_field([])
    with pytest.raises(ValueError, match="cols must have shape"):
        conv.col2im(np.zeros((1, 2, 2, 3, 3, 1)), (1, 5, 5, 1), 3)
