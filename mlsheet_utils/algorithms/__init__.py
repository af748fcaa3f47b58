"""Every algorithm the book implements, by family. Pages import the module they teach and show its source.

- :mod:`~mlsheet_utils.algorithms.probability`     distributions, densities, divergences, inference, tests,
  graphical models, MCMC;
- :mod:`~mlsheet_utils.algorithms.linalg`          Gram-Schmidt, determinants, rank, eigen- and singular values;
- :mod:`~mlsheet_utils.algorithms.decomposition`   LU, Cholesky, QR, least squares, NMF, ALS, PCA;
- :mod:`~mlsheet_utils.algorithms.calculus`        finite-difference derivatives, Taylor polynomials, chain rules;
- :mod:`~mlsheet_utils.algorithms.convexity`       Jensen gaps, log-sum-exp;
- :mod:`~mlsheet_utils.algorithms.optim`           Newton, constrained problems, projections, Lipschitz constants;
- :mod:`~mlsheet_utils.algorithms.optim_paths`     optimiser trajectories on 2-D test functions;
- :mod:`~mlsheet_utils.algorithms.preprocessing`   feature scaling;
- :mod:`~mlsheet_utils.algorithms.neighbors`       k-nearest neighbours, k-d trees;
- :mod:`~mlsheet_utils.algorithms.dimensionality`  volumes, shells and distance concentration in high dimension;
- :mod:`~mlsheet_utils.algorithms.clustering`      k-means, Gaussian mixtures, spectral clustering, DBSCAN,
  self-organising maps, cluster validity;
- :mod:`~mlsheet_utils.algorithms.embedding`       t-SNE;
- :mod:`~mlsheet_utils.algorithms.linear`          least squares, ridge, logistic regression and their diagnostics;
- :mod:`~mlsheet_utils.algorithms.bayes_linear`    Bayesian linear regression: posterior, predictive, evidence;
- :mod:`~mlsheet_utils.algorithms.gaussian_process`  Gaussian process regression, marginal likelihood, fitting;
- :mod:`~mlsheet_utils.algorithms.uncertainty`     ensembles, conformal intervals, coverage, temperature scaling;
- :mod:`~mlsheet_utils.algorithms.model_selection`, :mod:`~mlsheet_utils.algorithms.feature_selection`
  cross-validation, early stopping, learning curves; filter, wrapper and embedded feature selection;
- :mod:`~mlsheet_utils.algorithms.augmentation`, :mod:`~mlsheet_utils.algorithms.synthesis`   data
  augmentation and synthetic data;
- :mod:`~mlsheet_utils.algorithms.regularization`  lasso and elastic net by coordinate descent, paths, L1 balls;
- :mod:`~mlsheet_utils.algorithms.bias_variance`   exact and Monte Carlo bias-variance decompositions;
- :mod:`~mlsheet_utils.algorithms.kernels`, :mod:`~mlsheet_utils.algorithms.svm`   kernels, soft-margin SVM by SMO;
- :mod:`~mlsheet_utils.algorithms.naive_bayes`     Gaussian, multinomial and Bernoulli naive Bayes;
- :mod:`~mlsheet_utils.algorithms.trees`           decision trees, bagging, random forests, AdaBoost, XGBoost-style
  boosting;
- :mod:`~mlsheet_utils.algorithms.metrics`         classification, ranking, calibration and regression metrics;
- :mod:`~mlsheet_utils.algorithms.imbalance`       resampling, SMOTE, class weights, cost thresholds;
- :mod:`~mlsheet_utils.algorithms.decoding`        sampling rules (greedy, temperature, top-k, top-p) and
  speculative decoding, exact and sampled;
- :mod:`~mlsheet_utils.algorithms.detection`       box IoU, grid encoding of boxes, non-maximum suppression, the
  YOLO loss;
- :mod:`~mlsheet_utils.algorithms.generative_metrics`  Frechet distance and FID, Inception Score, the small-sample
  bias of FID, k-NN precision and recall of generative models;
- :mod:`~mlsheet_utils.algorithms.interpret`       exact Shapley values, LIME, gradient saliency, integrated gradients,
  SmoothGrad and occlusion;
- :mod:`~mlsheet_utils.algorithms.retrieval`       a TF-IDF retriever (cosine top-k), word chunking, recall@k and
  MRR, an extractive reader, the RAG-Sequence marginal and its gradient;
- :mod:`~mlsheet_utils.algorithms.nn`              neural networks: functional pieces, layers, losses, optimisers,
  initialisers, training, attention, convolutions, recurrent cells, self-supervised and generative models,
  efficient fine-tuning and pruning, graph networks, a small reverse-mode autodiff;
- :mod:`~mlsheet_utils.algorithms.markov`          Markov chains (stationary distributions, hitting times, PageRank)
  and categorical hidden Markov models (forward-backward, Viterbi, Baum-Welch);
- :mod:`~mlsheet_utils.algorithms.rl`              tabular reinforcement learning: MDPs, dynamic programming,
  temporal-difference control, the exact MDP of a gymnasium toy-text environment;
- :mod:`~mlsheet_utils.algorithms.rl_prediction`   model-free prediction from sampled episodes: first-/every-visit
  and importance-sampling Monte Carlo, TD(0), TD(lambda) (traces and lambda-returns), batch TD(0), certainty
  equivalence;
- :mod:`~mlsheet_utils.algorithms.policy_gradient` tabular softmax policies, the exact policy gradient of a small
  MDP, sampled episodes and returns-to-go, REINFORCE estimates (baselines, reward-to-go) and its training loop;
- :mod:`~mlsheet_utils.algorithms.actor_critic`    actor-critic learning with tabular softmax actors: GAE and n-step
  advantages with their exact biases, the advantage-weighted gradient, the entropy bonus, one-step actor-critic
  and synchronous batched A2C;
- :mod:`~mlsheet_utils.algorithms.trust_region`    PPO's clipped surrogate and TRPO's natural step (Fisher matrix,
  conjugate gradient, line search) on tabular softmax policies; the exact surrogate, KLs and improvement bound;
- :mod:`~mlsheet_utils.algorithms.model_based`     tabular models learned from samples, the simulation-lemma bound,
  Dyna-Q;
- :mod:`~mlsheet_utils.algorithms.aliasing`        softmax policies over observations (aliased states): the switched
  corridor, their exact gradient, gradient ascent, the best deterministic observation policy;
- :mod:`~mlsheet_utils.algorithms.alphago`         AlphaGo-style PUCT search on tic-tac-toe guided by policy and
  value tables;
- :mod:`~mlsheet_utils.algorithms.rlhf`            preference learning: the Bradley-Terry reward model, the
  KL-regularised optimum, DPO;
- :mod:`~mlsheet_utils.algorithms.bandits`, :mod:`~mlsheet_utils.algorithms.mcts`   multi-armed bandits
  (epsilon-greedy, UCB, Thompson sampling); tic-tac-toe, exact minimax and Monte Carlo tree search.

Rules of the house: algorithm code never imports display code (:mod:`mlsheet_utils.explore`); randomness enters
as ``rng`` (an int seed or a Generator, :func:`mlsheet_utils.validation.check_random_state`); results are frozen
dataclasses; arguments are validated once, at the public entry point, never inside an inner loop.
"""
