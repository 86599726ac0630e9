"""PyPI project names → rez family names.

One function names families *and* requirements, so the two can never disagree
(rez#1430, rez#1545, rez-pip#55, rez#1159).

>>> family_name("zope.interface"), family_name("PyYAML"), family_name("typing-extensions")
('zope_interface', 'pyyaml', 'typing_extensions')
"""

from __future__ import annotations

import re

from packaging.utils import canonicalize_name

from pkgimport.errors import InvalidRequirement

__all__ = ["family_name", "normalize_name"]

# PEP 508 project names: letters, digits, and '.', '_', '-' inside.
_PROJECT_NAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?\Z")


def normalize_name(name: str) -> str:
    """Return the PEP 503 normalised form of a project *name*.

    :raises InvalidRequirement: *name* is not a valid PEP 508 project name.

    >>> normalize_name("Zope.Interface")
    'zope-interface'
    """
    if not _PROJECT_NAME_RE.match(name):
        raise InvalidRequirement(f"invalid project name {name!r}")
    return str(canonicalize_name(name))


def family_name(name: str) -> str:
    """Return the rez family name for the PyPI project *name*.

    PEP 503-normalised, then ``-`` as ``_`` (normalisation has already turned ``.`` and ``_``
    into ``-``): rez uses ``-`` to separate a name from its version, and a dotted family name
    would differ from the import name users type only in punctuation, which is how today's
    tools end up with two spellings of one project.

    >>> family_name("Flask_SQLAlchemy")
    'flask_sqlalchemy'
    """
    return normalize_name(name).replace("-", "_")
