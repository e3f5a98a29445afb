"""`python -m policydsl …` runs the command line, as the `policydsl` script does."""

from policydsl.cli import run

if __name__ == "__main__":
    run()
