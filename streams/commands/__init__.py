"""The `ccm` command's subcommands, one module each (`streams.cli` puts them together)."""
