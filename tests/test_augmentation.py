"""Augmentations against NumPy, scipy.ndimage, SciPy's interpolation and distributions."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from scipy import stats
from scipy.interpolate import interp1d

from mlsheet_utils.algorithms import augmentation as aug


def _images(seed, n=6, h=8, w=9):
    return np.random.default_rng(seed).uniform(0, 16, size=(n, h, w))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_flips_match_numpy(seed):
    X = _images(seed)
    np.testing.assert_array_equal(aug.flip(X), np.flip(X, axis=2))
    np.testing.assert_array_equal(aug.flip(X, "vertical"), np.flip(X, axis=1))
    np.testing.assert_array_equal(aug.flip(X[0])[0], np.fliplr(X[0]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_translate_and_random_crop_match_ndimage_shift(seed):
    X = _images(seed)
    rng = np.random.default_rng(seed)
    for dy, dx in rng.integers(-4, 5, size=(4, 2)):
        ref = ndi.shift(X, (0, dy, dx), order=0, mode="constant", cval=0.0)
        np.testing.assert_array_equal(aug.translate(X, int(dy), int(dx)), ref)
    crop = aug.random_crop(X, 2, rng=seed)
    for img, out, (oy, ox) in zip(X, crop.images, crop.offsets):
        np.testing.assert_array_equal(out, ndi.shift(img, (2 - oy, 2 - ox), order=0, cval=0.0))
    assert crop.offsets.min() >= 0 and crop.offsets.max() <= 4


@pytest.mark.parametrize("seed,angle,scale,shear", [(0, 17.0, 1.0, 0.0), (1, -40.0, 1.2, 0.0),
                                                    (2, 0.0, 0.7, 0.3), (3, 25.0, 0.9, -0.5)])
def test_warp_affine_matches_ndimage(seed, angle, scale, shear):
    X = _images(seed)
    A = aug.affine_matrix(angle, scale, shear)
    centre = np.array([(X.shape[1] - 1) / 2, (X.shape[2] - 1) / 2])
    ref = np.stack([ndi.affine_transform(img, A, offset=centre - A @ centre, order=1, mode="grid-constant")
                    for img in X])
    np.testing.assert_allclose(aug.warp_affine(X, A), ref, rtol=1e-10, atol=1e-10)
    if scale == 1.0 and shear == 0.0:
        rot = np.stack([ndi.rotate(img, angle, reshape=False, order=1, mode="grid-constant") for img in X])
        np.testing.assert_allclose(aug.warp_affine(X, A), rot, rtol=1e-10, atol=1e-10)


def test_brightness_contrast_moments_and_clipping():
    X = _images(4) * 0.5 + 4                           # values in [4, 12]
    out = aug.brightness_contrast(X, 1.5, 0.5)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), X.mean(axis=(1, 2)) + 1.5, rtol=1e-12)
    np.testing.assert_allclose(out.std(axis=(1, 2)), 0.5 * X.std(axis=(1, 2)), rtol=1e-12)
    strong = aug.brightness_contrast(X, 0.0, 10.0)
    assert strong.min() == 0.0 and strong.max() == 16.0


def test_gaussian_noise_is_additive_and_normal():
    X = _images(5, n=50)
    noisy = aug.gaussian_noise(X, 1.5, rng=9)
    np.testing.assert_allclose(noisy - aug.gaussian_noise(np.zeros_like(X), 1.5, rng=9), X, atol=1e-12)
    assert stats.kstest(((noisy - X) / 1.5).ravel(), "norm").pvalue > 1e-3


def test_cutout_zeroes_one_square():
    X = _images(6) + 1.0                               # no zero pixel before the cutout
    cut = aug.cutout(X, 3, rng=2)
    ref = X.copy()
    for img, (r, c) in zip(ref, cut.corners):
        img[r:r + 3, c:c + 3] = 0
    np.testing.assert_array_equal(cut.images, ref)
    assert np.all((cut.images == 0).sum(axis=(1, 2)) == 9)


def test_mixup_weights_follow_beta_and_mix_consistently():
    X = np.random.default_rng(0).normal(size=(2000, 3))
    Y = np.eye(4)[np.random.default_rng(1).integers(0, 4, 2000)]
    m = aug.mixup(X, Y, 0.3, rng=3)
    assert stats.kstest(m.lam, stats.beta(0.3, 0.3).cdf).pvalue > 1e-3
    np.testing.assert_array_equal(np.sort(m.partner), np.arange(2000))
    for i in (0, 17, 1999):
        np.testing.assert_allclose(m.X[i], m.lam[i] * X[i] + (1 - m.lam[i]) * X[m.partner[i]], rtol=1e-12)
    np.testing.assert_allclose(m.Y.sum(1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_time_warp_matches_interp1d(seed):
    x = np.random.default_rng(seed).normal(size=(3, 40)).cumsum(axis=1)
    tw = aug.time_warp(x, 0.8, n_knots=5, rng=seed)
    t = np.arange(40)
    for row, clock, out in zip(x, tw.times, tw.series):
        np.testing.assert_allclose(out, interp1d(t, row)(clock), rtol=1e-12, atol=1e-12)
        assert clock[0] == 0 and clock[-1] == 39 and np.all(np.diff(clock) >= 0)


@pytest.mark.parametrize("call,match", [
    (lambda: aug.flip(np.zeros((2, 3, 3)), "diagonal"), "axis"),
    (lambda: aug.flip(np.zeros((2, 2, 3, 3))), "images"),
    (lambda: aug.translate(np.zeros((2, 3, 3)), 0.5, 0), "dy"),
    (lambda: aug.random_crop(np.zeros((2, 3, 3)), -1), "pad"),
    (lambda: aug.affine_matrix(scale=0.0), "scale"),
    (lambda: aug.warp_affine(np.zeros((1, 3, 3)), np.eye(3)), "matrix"),
    (lambda: aug.brightness_contrast(np.zeros((1, 3, 3)), contrast=-1.0), "contrast"),
    (lambda: aug.gaussian_noise(np.zeros(3), -0.1), "sigma"),
    (lambda: aug.cutout(np.zeros((1, 3, 3)), 4), "size"),
    (lambda: aug.mixup(np.zeros((3, 2)), np.zeros((2, 2)), 1.0), "X and Y"),
    (lambda: aug.mixup(np.zeros((3, 2)), np.zeros((3, 2)), 0.0), "alpha"),
    (lambda: aug.time_warp(np.zeros(1), 0.5), "series"),
    (lambda: aug.gaussian_noise(np.array([np.nan]), 1.0), "images"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
