"""Errors a user can cause. The CLI prints their message as one sentence and exits non-zero."""


class UserError(Exception):
    """A mistake in the user's input (file, flag, prompt, run directory): shown without a traceback."""
