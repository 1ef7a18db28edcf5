"""w2s-certify: certify weak-to-strong generalization theorems against finite-d simulation."""
__version__ = "0.1.0"
