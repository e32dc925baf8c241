"""残协工作台 canxie_tui: offline case work for community disability-association staff."""

__version__ = "0.1.0"
