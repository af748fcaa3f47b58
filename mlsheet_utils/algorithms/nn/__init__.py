"""Neural networks from scratch, in NumPy (float64), each piece a forward/backward pair.

- :mod:`.functional`  softmax, log-softmax, logsumexp, the softmax Jacobian; activations (ReLU, leaky ReLU,
  sigmoid, tanh, GELU exact and tanh-approximated, softplus) with their derivatives;
- :mod:`.layers`      ``Linear``, ``Activation``, ``Dropout``, ``LayerNorm``, ``BatchNorm``, ``Embedding``,
  ``Sequential``: ``forward(x, params) -> (y, cache)``, ``backward(dy, cache) -> (dx, grads)``;
- :mod:`.attention`   masks, scaled dot-product and multi-head attention (forward and backward), the per-head
  loop that counts the work, the ``MultiHeadAttention`` layer, softmax saturation;
- :mod:`.losses`      mean squared error, binary cross-entropy with logits, softmax cross-entropy (label
  smoothing): ``forward(pred, target) -> (value, cache)``, ``backward(cache) -> dpred``;
- :mod:`.optimizers`  SGD (momentum, Nesterov), AdaGrad, RMSProp, Adam, AdamW: ``init(params) -> state``,
  ``update(grads, state, params) -> (params, state)``;
- :mod:`.init`        zeros, normal, Xavier/Glorot and He/Kaiming (uniform and normal) initialisers;
- :mod:`.train`       ``fit`` (the minibatch training loop) and its ``History``, ``minibatches``.
- :mod:`.autodiff`    reverse-mode autodiff on a graph of ``Node``s (topological sort, ``backward``, counted flops).

Parameters are plain arrays (dicts of arrays, lists of dicts for ``Sequential``) passed in and out, never held
by a layer. Nothing here imports JAX: the automatic-differentiation references live in
:mod:`mlsheet_utils.checks.layers` and in the tests.
"""
