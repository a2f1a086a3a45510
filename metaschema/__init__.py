"""The metadata format: JSON Schemas of every document (``*.schema.json``) and the pure
functions that upgrade documents written in an older version of the format (:mod:`.upgrades`).

A regular package (not a namespace folder) so that both an editable install and the wheel
import ``stageflow.metaschema.upgrades`` and find the schema files beside it.
"""
