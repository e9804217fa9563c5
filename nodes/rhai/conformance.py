"""Adapter that lets an external conformance runner drive the Rhai binding.

The runner calls `run_script(script, mode)` once per case and compares the returned
value, or the `kind` of the raised `RhaiError`, with what Rhai's own tests expect.
"""

from nodes._rhai import Engine

MODES = ("eval", "run", "compile", "eval_expression", "compile_expression")


def run_script(script: str, mode: str) -> object:
    """Run `script` in a fresh default Engine the way `mode` names.

    Returns the script's value for "eval" and "eval_expression", and None for the
    other modes. Raises RhaiError for a Rhai error, and ValueError for an unknown mode.
    """
    engine = Engine()
    if mode == "eval":
        return engine.eval(script)
    if mode == "run":
        engine.run(script)
        return None
    if mode == "compile":
        engine.compile(script)
        return None
    if mode == "eval_expression":
        return engine.eval_expression(script)
    if mode == "compile_expression":
        engine.compile_expression(script)
        return None
    raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
