"""ViT pieces against slicing, a convolution, finite differences and JAX."""

import numpy as np
import pytest

from mlsheet_utils.algorithms.nn import vit
from mlsheet_utils.algorithms.nn.train import _leaves
from mlsheet_utils.checks.layers import check_layer


def slice_patches(x, p):
    B, H, W, C = x.shape
    return np.stack([np.stack([x[b, r:r + p, c:c + p].ravel() for r in range(0, H, p) for c in range(0, W, p)])
                     for b in range(B)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_patchify_against_slicing_and_adjoint(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 6, 9, 2))
    patches = vit.patchify(x, 3)
    np.testing.assert_array_equal(patches, slice_patches(x, 3))
    np.testing.assert_array_equal(vit.unpatchify(patches, (6, 9, 2), 3), x)
    y = rng.standard_normal(patches.shape)
    np.testing.assert_allclose(np.vdot(patches, y), np.vdot(x, vit.unpatchify(y, (6, 9, 2), 3)), rtol=1e-12)
    np.testing.assert_array_equal(vit.patchify(x[..., 0], 3), slice_patches(x[..., :1], 3))


def test_patch_embedding_is_a_strided_convolution():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 8, 8, 3))
    layer = vit.PatchEmbedding((8, 8), 4, 3, 5)
    params = layer.init_params(0)
    Wk = params["W"].reshape(4, 4, 3, 5)
    ref = np.array([[np.einsum("ijc,ijco->o", x[b, r:r + 4, c:c + 4], Wk) + params["b"]
                     for r in (0, 4) for c in (0, 4)] for b in range(2)])
    np.testing.assert_allclose(layer.forward(x, params)[0], ref, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("layer, shape", [
    (vit.PatchEmbedding((4, 4), 2, 1, 3), (2, 4, 4, 1)),
    (vit.ClassToken(3, 4), (2, 3, 4)),
    (vit.TokenPool("cls"), (2, 3, 4)),
    (vit.TokenPool("mean"), (2, 3, 4)),
])
def test_layer_gradients_by_finite_differences(layer, shape):
    x = np.random.default_rng(4).standard_normal(shape)
    check_layer(layer, layer.init_params(1), x, reference=False)


def test_tiny_vit_gradients_against_finite_differences():
    model = vit.tiny_vit((4, 4), patch=2, d_model=4, n_heads=2, mlp_width=4, n_classes=2, pool="mean")
    check_layer(model, model.init_params(5), np.random.default_rng(6).standard_normal((2, 4, 4, 1)), reference=False)


@pytest.mark.parametrize("cfg", [{}, {"patch": 4, "d_model": 8, "depth": 2}, {"image_size": (4, 8), "channels": 3}])
def test_param_count_against_arrays(cfg):
    model = vit.tiny_vit(**cfg)
    assert sum(a.size for a in _leaves(model.init_params(0))) == vit.vit_param_count(**cfg)


def test_cls_attention_rows():
    model = vit.tiny_vit(depth=2)
    att = vit.cls_attention(model, model.init_params(0), np.random.default_rng(0).random((3, 8, 8, 1)))
    assert att.shape == (3, 2, 2, 16) and np.all(att.sum(-1) < 1) and np.all(att > 0)


def test_bad_inputs():
    with pytest.raises(ValueError, match="patch"):
        vit.patchify(np.zeros((1, 8, 8)), 3)
    with pytest.raises(ValueError, match="images"):
        vit.patchify(np.zeros((8, 8)), 2)
    with pytest.raises(ValueError, match="patches"):
        vit.unpatchify(np.zeros((1, 4, 3)), (4, 4), 2)
    with pytest.raises(ValueError, match="mode"):
        vit.TokenPool("max")
    with pytest.raises(ValueError, match="x must have shape"):
        vit.PatchEmbedding((8, 8), 2, 1, 4).forward(np.zeros((1, 8, 8, 2)), {"W": np.zeros((4, 4)), "b": np.zeros(4)})
