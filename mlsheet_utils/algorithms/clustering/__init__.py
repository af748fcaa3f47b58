"""Clustering and mixtures: :mod:`.kmeans` (Lloyd's algorithm, k-means++), :mod:`.mixture` (Gaussian mixtures
by EM, information criteria)."""
