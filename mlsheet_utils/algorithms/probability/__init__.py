"""Probability and statistics.

- :mod:`.distributions`  log-densities and samplers written from their formulas;
- :mod:`.density`        kernel density estimates, bandwidth rules, the empirical CDF;
- :mod:`.limits`         sample means and the limit theorems (law of large numbers, central limit theorem, i.i.d.);
- :mod:`.divergences`    KL divergences in closed form, on a grid and by Monte Carlo, the Hellinger distance;
- :mod:`.inference`      conjugate updates, grid posteriors, maximum likelihood and MAP, interval coverage;
- :mod:`.variational`    coordinate-ascent and reparameterised variational inference, ELBOs;
- :mod:`.rules`          finite probability spaces: joint tables, events, exact and Monte Carlo probabilities;
- :mod:`.partition`      partition functions of small models by enumeration;
- :mod:`.hypothesis`     z, t, chi-square, G and permutation tests, p-value adjustment;
- :mod:`.power`          power, sample size and error rates of tests;
- :mod:`.graphical`      factors, exact inference, Ising models, Bayesian networks, LDA;
- :mod:`.belief_propagation`  sum-product and max-product message passing on pairwise MRFs (damped, loopy);
- :mod:`.mcmc`           Gibbs samplers and chain diagnostics.
"""
