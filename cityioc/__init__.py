"""cityioc — an open-source Intelligent Operations Centre for smart cities and provinces."""

__version__ = "0.1.0"
