"""The subcommands of ``rnntrace``, a module each (or one for a few that share options).
The group in rnntrace/cli.py imports a module only when one of its commands is called:
rnntrace/cli.py's COMMANDS names the module of each command. common.py holds what they
share: reading the spec, writing the output whole, the grammar of option values and
shell completion."""
