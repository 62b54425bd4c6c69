"""`python -m logbaseline`: the same command line as `logbaseline`."""

from logbaseline.cli import main

main(prog_name="logbaseline")
