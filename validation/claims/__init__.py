"""The built-in claim families, one module per family (``w2s.validation.claims.<family>``).

A family has the same name here, in :mod:`w2s.theory` (its closed forms) and in :mod:`w2s.kernels` (its
simulators). Importing a family module registers its claims, its shown-not-certified statements and its figures
in :data:`w2s.validation.registry.REGISTRY`; :func:`w2s.validation.registry.builtin_registry` finds the families
by iterating this package, so adding a family is adding a module (``docs/adding-a-family.md``). Nothing in the
certifier engine imports a family.
"""
