"""The command line: parse, dispatch to one core function, print, exit."""
