"""Probability and statistics.

- :mod:`.distributions`  log-densities and samplers written from their formulas;
- :mod:`.density`        kernel density estimates, bandwidth rules, the empirical CDF;
- :mod:`.divergences`    KL divergences in closed form and by Monte Carlo, the Hellinger distance;
- :mod:`.rules`          finite probability spaces: joint tables, events, exact and Monte Carlo probabilities;
- :mod:`.hypothesis`     z, t and chi-square tests;
- :mod:`.graphical`      factors, exact inference, Ising models, Bayesian networks, LDA;
- :mod:`.mcmc`           a Gibbs sampler and chain diagnostics.
"""
