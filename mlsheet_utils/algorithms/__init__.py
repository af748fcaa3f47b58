"""Every algorithm the book implements, by family. Pages import the module they teach and show its source.

- :mod:`~mlsheet_utils.algorithms.probability`  distributions, densities, divergences, inference, tests,
  graphical models, MCMC;
- :mod:`~mlsheet_utils.algorithms.linalg`       factorisations, determinants, rank, eigen- and singular values;
- :mod:`~mlsheet_utils.algorithms.calculus`     finite-difference derivatives and Taylor polynomials;
- :mod:`~mlsheet_utils.algorithms.optim`        constrained problems, projections, Lipschitz constants;
- :mod:`~mlsheet_utils.algorithms.clustering`   k-means and Gaussian mixtures;
- :mod:`~mlsheet_utils.algorithms.linear`       least squares, ridge and their diagnostics;
- :mod:`~mlsheet_utils.algorithms.nn`           neural networks: functional pieces, layers, losses, optimisers;
- :mod:`~mlsheet_utils.algorithms.rl`           tabular reinforcement learning.

Rules of the house: algorithm code never imports display code (:mod:`mlsheet_utils.explore`); randomness enters
as ``rng`` (an int seed or a Generator, :func:`mlsheet_utils.validation.check_random_state`); results are frozen
dataclasses; arguments are validated once, at the public entry point, never inside an inner loop.
"""
