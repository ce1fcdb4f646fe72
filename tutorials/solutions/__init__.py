"""Reference solutions of the chapters' exercises, one module per chapter (``chNN.py``).

Try the exercise first; ``tests/test_exercises.py`` proves that each solution passes its check
and that a wrong answer fails it.
"""
