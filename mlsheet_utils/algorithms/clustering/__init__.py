"""Clustering and mixtures: :mod:`.kmeans` (Lloyd's algorithm, k-means++), :mod:`.mixture` (Gaussian mixtures
by EM, covariance types, information criteria);
:mod:`.evaluation` (silhouette, scatter decomposition, Calinski-Harabasz, Davies-Bouldin, (adjusted) Rand index).
:mod:`.som` (self-organising maps: online training, quantisation and topographic errors, U-matrix).
:mod:`.spectral` (RBF affinity graph, graph Laplacians, spectral embedding, the SpectralClustering estimator).
:mod:`.dbscan` (epsilon-neighbourhood graph, DBSCAN with core/border/noise points, k-distances, the DBSCAN estimator).
"""
