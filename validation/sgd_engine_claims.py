"""Registered claims: the online-SGD kernels against their exact reduced Gram-matrix chain (placeholder: no claim registered yet)."""
