"""groundcode: bilingual automated qualitative coding for grounded-theory research."""

__version__ = "0.1.0"
