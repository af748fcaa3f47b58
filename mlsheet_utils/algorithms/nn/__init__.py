"""Neural networks from scratch, in NumPy (float64), each piece a forward/backward pair.

- :mod:`.functional`  softmax, log-softmax, logsumexp, the softmax Jacobian; activations (ReLU, leaky ReLU,
  sigmoid, tanh, GELU exact and tanh-approximated, softplus, ELU, SELU, SiLU/Swish, Mish, softsign, hard
  sigmoid and hard tanh) with their derivatives;
- :mod:`.layers`      ``Linear``, ``Activation``, ``Dropout``, ``LayerNorm``, ``RMSNorm``, ``BatchNorm`` (and
  ``batch_norm_trace``), ``Residual`` (pre- or post-norm), ``Embedding``, ``Sequential``; ``normalize`` and its
  backward pass: ``forward(x, params) -> (y, cache)``, ``backward(dy, cache) -> (dx, grads)``;
- :mod:`.attention`   masks, scaled dot-product and multi-head attention (forward and backward), the per-head
  loop that counts the work, the ``MultiHeadAttention`` layer, softmax saturation;
- :mod:`.transformer` positional encodings (sinusoidal, learned, RoPE), the feed-forward block and the encoder
  block (pre- or post-norm), their parameter and multiply-add counts;
- :mod:`.sparse_attention`  Longformer masks (sliding window, global tokens), encoder/decoder/cross masks, costs;
- :mod:`.vit`         patchify, patch embedding, the [CLS] token with learned positions, a tiny vision transformer;
- :mod:`.contrastive` InfoNCE and NT-Xent with their gradients, alignment and uniformity, the mutual-information
  bound;
- :mod:`.selfsupervised` SimCLR (two augmented views, a training step and pre-training with NT-Xent) and MoCo
  (the momentum update, a FIFO key queue, the loss with K + 1 logits, training with linear encoders);
- :mod:`.masking`     BERT-style masking (80/10/10) and the masked-language-model loss;
- :mod:`.conv`        ``Conv2D``, ``ConvTranspose2D``, pooling, upsampling, ``UNet``; im2col, sizes, receptive fields;
- :mod:`.recurrent`   ``SimpleRNN``, ``LSTM``, ``GRU`` over sequences: BPTT (full or truncated), gradient norms;
- :mod:`.autoencoder` autoencoders (``fit_autoencoder``, the ``Autoencoder`` estimator, denoising by masking
  noise) and VAEs (the ``VAE`` layer with its reparameterised draw, the ``NegativeELBO`` loss,
  ``kl_standard_normal``, ``fit_vae``), trained by ``train.fit``;
- :mod:`.gumbel`      Gumbel noise, Gumbel-max sampling, the Gumbel-softmax relaxation and its pullback; relaxed,
  straight-through and REINFORCE gradient estimators against the exact gradient;
- :mod:`.moe`         top-k routing with expert capacity and dropped tokens, the load-balancing loss, the
  ``MixtureOfExperts`` layer, parameter and multiply-add counts;
- :mod:`.lora`        ``LoRALinear`` (frozen weight plus a scaled low-rank product, only the factors trained),
  merging, parameter counts, the best low-rank update by truncated SVD;
- :mod:`.pruning`     magnitude masks (per array, layerwise, global), structured masks by unit, ``MaskedLinear``,
  shrinking a network, iterative magnitude pruning (lottery tickets, rewind or re-initialise);
- :mod:`.gan`         the optimal discriminator and the minimax value on discrete distributions, saturating and
  non-saturating generator losses, alternating training (conditional by a one-hot label), mode coverage;
- :mod:`.diffusion`   noise schedules and the forward process, the exact noise predictor for Gaussian-mixture
  data, classifier-free guidance, DDPM and DDIM samplers;
- :mod:`.graph`       GCN message passing over an edge list (``GraphConv``), the dense normalised adjacency,
  semi-supervised node classification, over-smoothing;
- :mod:`.distillation` tempered soft targets, ``DistillationLoss`` (the T-squared-scaled KL to the teacher plus
  the hard cross-entropy, a loss for ``train.fit``), the two terms apart;
- :mod:`.hopfield`    Hebbian learning (plain and Oja's rule), Hopfield storage, energy, asynchronous recall,
  fixed points by enumeration, recall capacity;
- :mod:`.boltzmann`   fully visible Boltzmann machines: energy, the exact distribution by enumeration, the Gibbs
  conditional and sampler, the exact log-likelihood gradient and fitting;
- :mod:`.rbm`         Bernoulli RBMs (energy, free energy, factorised conditionals, exact log Z and gradients by
  enumeration, CD-k and its exact mean), the ``RBM`` estimator, greedy layer-wise stacking into a ``DBN``;
- :mod:`.covariate_shift` a random per-feature shift layer and training traces of hidden-layer distributions,
  with and without batch normalisation;
- :mod:`.tying`       tied parameters: recurrent gradients summed over time, convolution as a Toeplitz matrix,
  tied against untied fits;
- :mod:`.dqn`         deep Q-learning: a replay buffer, TD targets (plain and double DQN), the DQN loss with its
  semi-gradient, and ``train_dqn`` (replay and a target network on a finite MDP);
- :mod:`.losses`      mean squared and absolute error, Huber, binary and softmax cross-entropy (label smoothing),
  hinge, focal, KL and Jensen-Shannon, cosine, ranking hinge, Dice, contrastive and triplet losses:
  ``forward(pred, target) -> (value, cache)``, ``backward(cache) -> dpred``;
- :mod:`.optimizers`  SGD (momentum, Nesterov), AdaGrad, RMSProp, Adam, AdamW: ``init(params) -> state``,
  ``update(grads, state, params) -> (params, state)``;
- :mod:`.schedules`   learning-rate schedules, ``Scheduled`` (an optimiser with a per-step rate), the range test;
- :mod:`.init`        zeros, constants, normal, LeCun, Xavier/Glorot and He/Kaiming (uniform and normal),
  variance scaling (JAX's truncated normal too), orthogonal initialisers;
- :mod:`.propagation` activation and gradient moments layer by layer through a random network; unit distances;
- :mod:`.dynamics`    GD linearised at a critical point, Jacobian spectra through depth, mean-field propagation;
- :mod:`.dropout`     Monte Carlo dropout predictions, the expected dropout loss and its ridge-like closed form;
- :mod:`.train`       ``fit`` (the minibatch training loop) and its ``History``, ``minibatches``, training
  trajectories, per-example gradients, minibatch noise, gradient clipping;
- :mod:`.memory`      gradient accumulation over micro-batches and checkpointed backpropagation, with counts;
- :mod:`.autodiff`    reverse-mode autodiff on a graph of ``Node``s (topological sort, ``backward``, counted flops).

Parameters are plain arrays (dicts of arrays, lists of dicts for ``Sequential``) passed in and out, never held
by a layer. Nothing here imports JAX: the automatic-differentiation references live in
:mod:`mlsheet_utils.checks.layers` and in the tests.
"""
