"""The command line's exit codes, for every ``livedesk`` command module: 0 done; 1 the
command ran and failed (bad data, refused, a lost server); 2 it was misused (a wrong path,
bad arguments)."""

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
